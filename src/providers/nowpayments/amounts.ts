import { currencyExponent, formatDecimal, parseDecimal } from '../../money/index.js';

/**
 * NOWPayments names an asset on a network with one lower-case code (`pay_currency`). Only the pairs
 * Coffer offers are listed; an order for any other pair is refused before NOWPayments is called.
 */
export const PAY_CURRENCIES: ReadonlyArray<{ asset: string; network: string; code: string }> = [
  { asset: 'USDT', network: 'TRC20', code: 'usdttrc20' },
  { asset: 'USDT', network: 'ERC20', code: 'usdterc20' },
  { asset: 'USDT', network: 'BEP20', code: 'usdtbsc' },
];

export function payCurrencyFor(asset: string, network: string | null): string | null {
  return PAY_CURRENCIES.find((p) => p.asset === asset && p.network === network)?.code ?? null;
}

export function assetOfPayCurrency(code: unknown): { asset: string; network: string } | null {
  if (typeof code !== 'string') return null;
  const found = PAY_CURRENCIES.find((p) => p.code === code.toLowerCase());
  return found ? { asset: found.asset, network: found.network } : null;
}

const MAX_DIGITS = 30;

/** Expands JavaScript's exponent form ("1e-7", "1.5e+21") into plain decimal text. */
function expandExponent(text: string): string | null {
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return null;
  const digits = m[1] + (m[2] ?? '');
  const point = 1 + Number(m[3]);
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * A NOWPayments amount as plain, non-negative decimal text, or null. Its API sends JSON numbers
 * (`"actually_paid": 19.36121163`); JSON.parse keeps the shortest text that reads back as the same
 * double, which for the digits NOWPayments sends (network precision, ≤ 18) is what it wrote.
 * Decimal strings are accepted too.
 */
export function decimalText(value: unknown): string | null {
  let text: string | null = null;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    const s = String(value);
    text = /e/.test(s) ? expandExponent(s) : s;
  } else if (typeof value === 'string') {
    text = value;
  }
  if (text === null || text.length > 2 * MAX_DIGITS + 1 || !/^\d+(\.\d+)?$/.test(text)) return null;
  return text;
}

/**
 * An amount in minor units of `currency`, or null when it is not a readable amount. Digits past the
 * currency's exponent are dropped (rounded down: money is credited in the platform's favour, never
 * by more than one minor unit, docs/design.md §5).
 */
export function amountMinor(value: unknown, currency: string): bigint | null {
  const text = decimalText(value);
  if (text === null) return null;
  const [whole, fraction = ''] = text.split('.');
  const kept = fraction.slice(0, currencyExponent(currency));
  try {
    return parseDecimal(kept ? `${whole}.${kept}` : whole, currency);
  } catch {
    return null;
  }
}

/**
 * Minor units as the JSON number NOWPayments expects, refused when a double cannot carry it exactly
 * (over ~15 significant digits), so the amount asked for is always the amount quoted.
 */
export function amountNumber(minor: bigint, currency: string): number {
  const n = Number(formatDecimal(minor, currency));
  if (amountMinor(n, currency) !== minor)
    throw new Error(`${formatDecimal(minor, currency)} ${currency} has too many digits to send to NOWPayments exactly`);
  return n;
}
