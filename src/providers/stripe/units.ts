/**
 * Stripe takes amounts in the currency's smallest unit, like Coffer, and for nearly every currency
 * the two agree (USD 2, JPY 0, KRW 0, CLP 0, VND 0, UGX 0, HUF 2, TWD 2 …): a zero-decimal currency
 * is already in whole units on both sides. The exceptions are written here, from Stripe's
 * "Supported currencies → special cases":
 *
 * - ISK: ISO 4217 (and Coffer) give it 0 decimals; Stripe's API keeps it two-decimal for backward
 *   compatibility and requires multiples of 100 (ISK 5 is `500`).
 * - BHD, JOD, KWD, OMR, TND: three-decimal on both sides, but Stripe requires the last digit to be 0.
 *   We never round a quoted amount silently: an amount Stripe cannot take is refused before the call.
 */
const STRIPE_SCALE: Readonly<Record<string, bigint>> = { ISK: 100n };
const LAST_DIGIT_ZERO: ReadonlySet<string> = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

export class UnsupportedAmount extends Error {}

/** A Coffer amount in minor units as Stripe's integer `amount` for that currency. */
export function toStripeAmount(amountMinor: bigint, currency: string): number {
  const code = currency.toUpperCase();
  if (LAST_DIGIT_ZERO.has(code) && amountMinor % 10n !== 0n) {
    throw new UnsupportedAmount(
      `Stripe takes ${code} amounts only in multiples of 0.010; ${amountMinor} minor units cannot be charged`,
    );
  }
  const scaled = amountMinor * (STRIPE_SCALE[code] ?? 1n);
  if (scaled <= 0n || scaled > BigInt(Number.MAX_SAFE_INTEGER))
    throw new UnsupportedAmount(`amount ${amountMinor} ${code} is out of range for Stripe`);
  return Number(scaled);
}

/** Stripe's integer `amount` in a currency as Coffer minor units (rounded down for ISK, which Stripe keeps whole). */
export function fromStripeAmount(amount: number, currency: string): bigint {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new UnsupportedAmount(`Stripe amount ${amount} is not a non-negative integer`);
  return BigInt(amount) / (STRIPE_SCALE[currency.toUpperCase()] ?? 1n);
}
