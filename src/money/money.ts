/**
 * Exact money arithmetic on bigint minor units. No floating point anywhere.
 *
 * Rounding rule (convert, convertInverse, applyBps):
 *   - 'down' rounds towards zero, 'up' rounds away from zero, and 'up' only
 *     moves when the exact result has a remainder.
 *   - Amounts credited to a user round 'down'; fees charged round 'up'.
 *   - Either way the result is never more than one minor unit away from the
 *     exact rational value, so the platform never gives away money.
 */
import { currencyExponent, isKnownCurrency } from './currency.js';

export interface Money {
  amountMinor: bigint;
  currency: string;
}

export type Rounding = 'down' | 'up';

export class MoneyFormatError extends Error {
  readonly code = 'invalid_request' as const;
  constructor(message: string) {
    super(message);
    this.name = 'MoneyFormatError';
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const DECIMAL_RE = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;
const RATE_RE = /^([0-9]+)(?:\.([0-9]+))?$/;
const MAX_RATE_LENGTH = 64;
const MAX_DECIMAL_LENGTH = 64;

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** 0 < n <= Number.MAX_SAFE_INTEGER */
export function isSafeMinor(n: bigint): boolean {
  return n > 0n && n <= MAX_SAFE;
}

/**
 * Parse a plain decimal string ("10", "10.5", "-3.25") into minor units of
 * `currency`. Throws MoneyFormatError on anything else, and
 * UnknownCurrencyError for an unknown currency.
 */
export function parseDecimal(text: string, currency: string): bigint {
  const exponent = currencyExponent(currency);
  if (typeof text !== 'string') throw new MoneyFormatError('amount must be a string');
  const m = text.length <= MAX_DECIMAL_LENGTH ? DECIMAL_RE.exec(text) : null;
  if (m === null) {
    throw new MoneyFormatError(
      `invalid amount ${JSON.stringify(text)}: expected a plain decimal such as "10" or "10.50"`,
    );
  }
  const sign = m[1] as string;
  const intPart = m[2] as string;
  const fracPart = m[3] ?? '';
  if (fracPart.length > exponent) {
    throw new MoneyFormatError(
      `invalid amount ${JSON.stringify(text)}: ${currency} allows at most ${exponent} decimal place(s)`,
    );
  }
  const magnitude = BigInt(intPart + fracPart.padEnd(exponent, '0'));
  if (magnitude > MAX_SAFE) {
    throw new MoneyFormatError(`invalid amount ${JSON.stringify(text)}: too large`);
  }
  return sign === '-' ? -magnitude : magnitude;
}

/** Format minor units with exactly `exponent` decimals, no grouping ("10.00", "-0.05", "1000"). */
export function formatDecimal(amountMinor: bigint, currency: string): string {
  const exponent = currencyExponent(currency);
  const sign = amountMinor < 0n ? '-' : '';
  const digits = abs(amountMinor).toString();
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const cut = padded.length - exponent;
  return `${sign}${padded.slice(0, cut)}.${padded.slice(cut)}`;
}

/** Parse a config setting such as "USD 10.00" or "CNY 72". */
export function parseMoneySetting(text: string): Money {
  if (typeof text !== 'string') throw new MoneyFormatError('money setting must be a string');
  const m = /^([A-Z0-9]{2,10}) (\S+)$/.exec(text);
  if (m === null) {
    throw new MoneyFormatError(
      `invalid money setting ${JSON.stringify(text)}: expected "<CURRENCY> <amount>", e.g. "USD 10.00"`,
    );
  }
  const currency = m[1] as string;
  const amount = m[2] as string;
  if (!isKnownCurrency(currency)) {
    throw new MoneyFormatError(`invalid money setting ${JSON.stringify(text)}: currency ${currency} is not supported`);
  }
  try {
    return { amountMinor: parseDecimal(amount, currency), currency };
  } catch (err) {
    if (err instanceof MoneyFormatError) {
      throw new MoneyFormatError(`invalid money setting ${JSON.stringify(text)}: ${err.message}`);
    }
    throw err;
  }
}

/** Parse a positive decimal rate into an exact fraction num/den. */
function parseRate(rate: string): { num: bigint; den: bigint } {
  const m = typeof rate === 'string' && rate.length <= MAX_RATE_LENGTH ? RATE_RE.exec(rate) : null;
  if (m === null) {
    throw new MoneyFormatError(`invalid rate ${JSON.stringify(rate)}: expected a positive decimal`);
  }
  const intPart = m[1] as string;
  const fracPart = m[2] ?? '';
  const num = BigInt(intPart + fracPart);
  if (num === 0n) throw new MoneyFormatError(`invalid rate ${JSON.stringify(rate)}: must be > 0`);
  return { num, den: pow10(fracPart.length) };
}

/** n / d (d > 0) rounded towards zero ('down') or away from zero ('up'). */
function divRound(n: bigint, d: bigint, rounding: Rounding): bigint {
  if (rounding !== 'down' && rounding !== 'up') {
    throw new MoneyFormatError(`invalid rounding ${JSON.stringify(rounding)}`);
  }
  const q = n / d; // bigint division truncates towards zero
  if (rounding === 'up' && n % d !== 0n) return n < 0n ? q - 1n : q + 1n;
  return q;
}

/** Scale factors so that minor_to = minor_from * scaleNum / scaleDen. */
function exponentScale(from: string, to: string): { num: bigint; den: bigint } {
  const diff = currencyExponent(to) - currencyExponent(from);
  return diff >= 0 ? { num: pow10(diff), den: 1n } : { num: 1n, den: pow10(-diff) };
}

/**
 * Convert `amountMinor` of `from` into minor units of `to`, where
 * 1 `from` = `rate` `to` (e.g. USD→CNY rate "7.20").
 */
export function convert(amountMinor: bigint, from: string, to: string, rate: string, rounding: Rounding): bigint {
  const r = parseRate(rate);
  const s = exponentScale(from, to);
  return divRound(amountMinor * r.num * s.num, r.den * s.den, rounding);
}

/**
 * Convert `amountMinor` of `from` into minor units of `to`, where the rate is
 * quoted the other way: 1 `to` = `rate` `from` (so the amount is divided by it).
 */
export function convertInverse(
  amountMinor: bigint,
  from: string,
  to: string,
  rate: string,
  rounding: Rounding,
): bigint {
  const r = parseRate(rate);
  const s = exponentScale(from, to);
  return divRound(amountMinor * r.den * s.num, r.num * s.den, rounding);
}

/** amountMinor * bps / 10000 (290 bps = 2.90%), rounded as in convert(). */
export function applyBps(amountMinor: bigint, bps: bigint | number, rounding: Rounding): bigint {
  let b: bigint;
  if (typeof bps === 'bigint') {
    b = bps;
  } else if (typeof bps === 'number' && Number.isSafeInteger(bps)) {
    b = BigInt(bps);
  } else {
    throw new MoneyFormatError(`invalid basis points ${String(bps)}: must be an integer`);
  }
  return divRound(amountMinor * b, 10000n, rounding);
}
