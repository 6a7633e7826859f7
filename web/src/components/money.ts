// Formatting money for people: exact (integer minor units, never floats), the currency's own
// number of decimals, the locale's digit grouping. Used only through <Money> and formatMoney.

const FALLBACK_EXPONENTS: Record<string, number> = { JPY: 0, KRW: 0, USDT: 6, USDC: 6, BTC: 8, ETH: 18 };

let exponents: Record<string, number> = {};

/** Called once with GET /portal/api/config's `currencies`. */
export function setCurrencyExponents(map: Record<string, number>): void {
  exponents = map;
}

export function exponentOf(currency: string): number {
  return exponents[currency] ?? FALLBACK_EXPONENTS[currency] ?? 2;
}

const parts = (locale: string) => {
  const p = new Intl.NumberFormat(locale).formatToParts(1.5);
  return { decimal: p.find((x) => x.type === 'decimal')?.value ?? '.' };
};

/** "1,234.50" for 123450 USD; signed when asked ("+1.00", "−1.00"). */
export function formatAmount(
  amountMinor: number | bigint,
  currency: string,
  locale: string,
  opts: { signed?: boolean } = {},
): string {
  const exp = exponentOf(currency);
  const value = BigInt(amountMinor);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const scale = 10n ** BigInt(exp);
  const whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(abs / scale);
  const fraction = exp > 0 ? parts(locale).decimal + (abs % scale).toString().padStart(exp, '0') : '';
  const sign = negative ? '−' : opts.signed && value > 0n ? '+' : '';
  return `${sign}${whole}${fraction}`;
}

/** "1,234.50 USD" */
export function formatMoney(
  amountMinor: number | bigint,
  currency: string,
  locale: string,
  opts: { signed?: boolean } = {},
): string {
  return `${formatAmount(amountMinor, currency, locale, opts)} ${currency}`;
}

/** Parses what a person typed ("12.5", "1,000") into minor units; null when it is not an amount of this currency. */
export function parseAmount(text: string, currency: string): number | null {
  const cleaned = text.replace(/[\s,]/g, '');
  const exp = exponentOf(currency);
  const m = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.length > exp) return null;
  const minor = BigInt(m[1]) * 10n ** BigInt(exp) + BigInt((frac + '0'.repeat(exp)).slice(0, exp) || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(minor);
}
