import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CURRENCIES,
  MoneyFormatError,
  UnknownCurrencyError,
  applyBps,
  convert,
  convertInverse,
  currencyExponent,
  formatDecimal,
  isKnownCurrency,
  isSafeMinor,
  parseDecimal,
  parseMoneySetting,
} from '../../src/money/index.js';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const CODES = [...CURRENCIES.keys()];
const absB = (n: bigint): bigint => (n < 0n ? -n : n);
const arbCode = fc.constantFrom(...CODES);
const arbSafe = fc.bigInt({ min: -MAX, max: MAX });
// Positive decimal rate strings such as "7.20", "0.000137", "155".
const arbRate = fc
  .tuple(
    fc.bigInt({ min: 0n, max: 10n ** 9n }),
    fc.integer({ min: 0, max: 10 }),
    fc.bigInt({ min: 0n, max: 10n ** 10n - 1n }),
  )
  .map(([i, fl, f]) => (fl === 0 ? i.toString() : `${i}.${(f % 10n ** BigInt(fl)).toString().padStart(fl, '0')}`))
  .filter((r) => /[1-9]/.test(r));

/** Independent exact fraction for a decimal string: [num, den]. */
function fraction(rate: string): [bigint, bigint] {
  const [i, f = ''] = rate.split('.');
  return [BigInt(`${i}${f}`), 10n ** BigInt(f.length)];
}

function expectFormatError(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MoneyFormatError);
    expect((err as MoneyFormatError).code).toBe('invalid_request');
    return;
  }
  throw new Error('expected MoneyFormatError');
}

describe('currency table', () => {
  it('has the required currencies and exponents', () => {
    const expected: Record<string, number> = {
      USD: 2,
      EUR: 2,
      GBP: 2,
      CNY: 2,
      JPY: 0,
      KRW: 0,
      HKD: 2,
      SGD: 2,
      INR: 2,
      BRL: 2,
      CAD: 2,
      AUD: 2,
      CHF: 2,
      RUB: 2,
      TRY: 2,
      MXN: 2,
      IDR: 2,
      VND: 0,
      THB: 2,
      PHP: 2,
      MYR: 2,
      AED: 2,
      SAR: 2,
      ZAR: 2,
      NGN: 2,
      KES: 2,
      BHD: 3,
      KWD: 3,
      JOD: 3,
      OMR: 3,
      TND: 3,
      CLP: 0,
      USDT: 6,
      USDC: 6,
      BTC: 8,
      ETH: 18,
    };
    for (const [code, exp] of Object.entries(expected)) {
      expect(currencyExponent(code)).toBe(exp);
      expect(isKnownCurrency(code)).toBe(true);
      expect(CURRENCIES.get(code)?.code).toBe(code);
      expect(CURRENCIES.get(code)?.name).toBeTruthy();
    }
  });
  it('rejects unknown codes', () => {
    expect(isKnownCurrency('XXX')).toBe(false);
    expect(isKnownCurrency('usd')).toBe(false);
    expect(isKnownCurrency('')).toBe(false);
    expect(() => currencyExponent('ABC')).toThrow(UnknownCurrencyError);
    try {
      currencyExponent('ABC');
    } catch (err) {
      expect((err as UnknownCurrencyError).code).toBe('currency_not_supported');
    }
    expect(() => parseDecimal('1', 'ABC')).toThrow(UnknownCurrencyError);
    expect(() => formatDecimal(1n, 'ABC')).toThrow(UnknownCurrencyError);
  });
});

describe('parseDecimal', () => {
  it('parses examples', () => {
    expect(parseDecimal('10', 'USD')).toBe(1000n);
    expect(parseDecimal('10.5', 'USD')).toBe(1050n);
    expect(parseDecimal('10.50', 'USD')).toBe(1050n);
    expect(parseDecimal('-3.25', 'USD')).toBe(-325n);
    expect(parseDecimal('0', 'USD')).toBe(0n);
    expect(parseDecimal('0.000001', 'USDT')).toBe(1n);
    expect(parseDecimal('1000', 'JPY')).toBe(1000n);
    expect(parseDecimal('1.234', 'BHD')).toBe(1234n);
    expect(parseDecimal('0.00000001', 'BTC')).toBe(1n);
    expect(parseDecimal('0.000000000000000001', 'ETH')).toBe(1n);
  });
  it('accepts the max safe integer and rejects beyond it', () => {
    expect(parseDecimal('90071992547409.91', 'USD')).toBe(MAX);
    expect(parseDecimal('-90071992547409.91', 'USD')).toBe(-MAX);
    expect(parseDecimal('9007199254740991', 'JPY')).toBe(MAX);
    expectFormatError(() => parseDecimal('90071992547409.92', 'USD'));
    expectFormatError(() => parseDecimal('9007199254740992', 'JPY'));
    expectFormatError(() => parseDecimal('9007199254.740992', 'USDT'));
    expectFormatError(() => parseDecimal('1'.repeat(1000), 'USD'));
  });
  it('rejects malformed input', () => {
    const bad = [
      '',
      ' ',
      '1e3',
      '1E3',
      ' 1',
      '1 ',
      '1 000',
      '+1',
      '1,000',
      '1,5',
      '.5',
      '5.',
      '-',
      '-.5',
      '--1',
      '0x10',
      'abc',
      '1.2.3',
      'NaN',
      'Infinity',
      '１',
      '1_000',
    ];
    for (const s of bad) expectFormatError(() => parseDecimal(s, 'USD'));
  });
  it('rejects too many fractional digits', () => {
    expectFormatError(() => parseDecimal('10.001', 'USD'));
    expectFormatError(() => parseDecimal('10.0', 'JPY'));
    expectFormatError(() => parseDecimal('1.0000', 'BHD'));
    expectFormatError(() => parseDecimal('0.0000001', 'USDT'));
  });
});

describe('formatDecimal', () => {
  it('formats with exactly exponent decimals', () => {
    expect(formatDecimal(1000n, 'USD')).toBe('10.00');
    expect(formatDecimal(-5n, 'USD')).toBe('-0.05');
    expect(formatDecimal(0n, 'USD')).toBe('0.00');
    expect(formatDecimal(1000n, 'JPY')).toBe('1000');
    expect(formatDecimal(-7n, 'KRW')).toBe('-7');
    expect(formatDecimal(1_500_000n, 'USDT')).toBe('1.500000');
    expect(formatDecimal(1n, 'BHD')).toBe('0.001');
    expect(formatDecimal(MAX, 'USD')).toBe('90071992547409.91');
    expect(formatDecimal(123456789n, 'USD')).toBe('1234567.89');
    expect(formatDecimal(10n ** 18n, 'ETH')).toBe('1.000000000000000000');
  });
});

describe('parseMoneySetting', () => {
  it('parses settings', () => {
    expect(parseMoneySetting('USD 10.00')).toEqual({ amountMinor: 1000n, currency: 'USD' });
    expect(parseMoneySetting('CNY 72')).toEqual({ amountMinor: 7200n, currency: 'CNY' });
    expect(parseMoneySetting('JPY 500')).toEqual({ amountMinor: 500n, currency: 'JPY' });
    expect(parseMoneySetting('USDT 0.5')).toEqual({ amountMinor: 500000n, currency: 'USDT' });
  });
  it('rejects bad settings with a clear message', () => {
    const bad = [
      '',
      'USD',
      '10.00',
      'USD  10',
      ' USD 10',
      'USD 10 ',
      'usd 10',
      'USD10',
      'XXX 10',
      'USD 1e3',
      'USD 10.001',
      'JPY 1.5',
      '10 USD',
      'USD\t10',
    ];
    for (const s of bad) expectFormatError(() => parseMoneySetting(s));
    expect(() => parseMoneySetting('XXX 10')).toThrow(/not supported/);
    expect(() => parseMoneySetting('USD')).toThrow(/expected "<CURRENCY> <amount>"/);
    expect(() => parseMoneySetting('USD 10.001')).toThrow(/at most 2 decimal/);
  });
});

describe('convert / convertInverse', () => {
  it('examples', () => {
    expect(convert(1000n, 'USD', 'CNY', '7.20', 'down')).toBe(7200n);
    expect(convert(1n, 'USD', 'CNY', '7.205', 'down')).toBe(7n);
    expect(convert(1n, 'USD', 'CNY', '7.205', 'up')).toBe(8n);
    expect(convert(-1n, 'USD', 'CNY', '7.205', 'down')).toBe(-7n);
    expect(convert(-1n, 'USD', 'CNY', '7.205', 'up')).toBe(-8n);
    expect(convert(100n, 'USD', 'JPY', '155.5', 'down')).toBe(155n);
    expect(convert(100n, 'USD', 'JPY', '155.5', 'up')).toBe(156n);
    expect(convert(1000n, 'JPY', 'USD', '0.0064', 'down')).toBe(640n);
    expect(convert(100n, 'USD', 'USDT', '1', 'down')).toBe(1_000_000n);
    expect(convert(1_000_001n, 'USDT', 'USD', '1', 'down')).toBe(100n);
    expect(convert(1_000_001n, 'USDT', 'USD', '1', 'up')).toBe(101n);
    expect(convert(1000n, 'USD', 'BHD', '0.376', 'down')).toBe(3760n);
    expect(convertInverse(7200n, 'CNY', 'USD', '7.20', 'down')).toBe(1000n);
    expect(convertInverse(100n, 'CNY', 'USD', '7.20', 'down')).toBe(13n);
    expect(convertInverse(100n, 'CNY', 'USD', '7.20', 'up')).toBe(14n);
    expect(convertInverse(15500n, 'JPY', 'USD', '155', 'down')).toBe(10000n);
  });
  it('rejects bad rates', () => {
    for (const r of ['', '0', '0.00', '-1', '+1', '1e3', '.5', '5.', ' 1', 'abc', '1,5', '1'.repeat(100)]) {
      expectFormatError(() => convert(1n, 'USD', 'CNY', r, 'down'));
      expectFormatError(() => convertInverse(1n, 'USD', 'CNY', r, 'down'));
    }
    expectFormatError(() => convert(1n, 'USD', 'CNY', '1', 'nearest' as 'up'));
    expect(() => convert(1n, 'USD', 'ABC', '1', 'down')).toThrow(UnknownCurrencyError);
  });
  it('property: down <= exact <= up, and they differ by at most one unit', () => {
    fc.assert(
      fc.property(arbSafe, arbCode, arbCode, arbRate, (amount, from, to, rate) => {
        const [rn, rd] = fraction(rate);
        const expFrom = BigInt(currencyExponent(from));
        const expTo = BigInt(currencyExponent(to));
        for (const inverse of [false, true]) {
          // exact = num / den, den > 0
          const num = amount * (inverse ? rd : rn) * 10n ** expTo;
          const den = (inverse ? rn : rd) * 10n ** expFrom;
          const f = inverse ? convertInverse : convert;
          const down = f(amount, from, to, rate, 'down');
          const up = f(amount, from, to, rate, 'up');
          // |down| <= |exact| <= |up|, same sign as the amount (or zero)
          expect(absB(down) * den <= absB(num)).toBe(true);
          expect(absB(num) <= absB(up) * den).toBe(true);
          if (amount >= 0n) {
            expect(down >= 0n && up >= 0n).toBe(true);
            expect([0n, 1n]).toContain(up - down);
          } else {
            expect(down <= 0n && up <= 0n).toBe(true);
            expect([0n, -1n]).toContain(up - down);
          }
          expect(up === down).toBe(num % den === 0n);
        }
      }),
      { numRuns: 500 },
    );
  });
  it('property: convert then convertInverse rounding down never exceeds the original', () => {
    fc.assert(
      fc.property(arbSafe, arbCode, arbCode, arbRate, (amount, from, to, rate) => {
        const there = convert(amount, from, to, rate, 'down');
        const back = convertInverse(there, to, from, rate, 'down');
        expect(absB(back) <= absB(amount)).toBe(true);
        if (amount !== 0n) expect(back === 0n || back > 0n === amount > 0n).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('applyBps', () => {
  it('examples', () => {
    expect(applyBps(10000n, 290, 'down')).toBe(290n);
    expect(applyBps(1000n, 290, 'down')).toBe(29n);
    expect(applyBps(1001n, 290, 'down')).toBe(29n);
    expect(applyBps(1001n, 290, 'up')).toBe(30n);
    expect(applyBps(1n, 1n, 'down')).toBe(0n);
    expect(applyBps(1n, 1n, 'up')).toBe(1n);
    expect(applyBps(-1001n, 290, 'up')).toBe(-30n);
    expect(applyBps(0n, 290, 'up')).toBe(0n);
    expect(applyBps(MAX, 10000, 'down')).toBe(MAX);
    expectFormatError(() => applyBps(1n, 2.5, 'down'));
    expectFormatError(() => applyBps(1n, Number.NaN, 'up'));
  });
  it('property: down <= exact <= up within one unit', () => {
    fc.assert(
      fc.property(arbSafe, fc.integer({ min: 0, max: 100000 }), (amount, bps) => {
        const num = amount * BigInt(bps);
        const down = applyBps(amount, bps, 'down');
        const up = applyBps(amount, BigInt(bps), 'up');
        expect(absB(down) * 10000n <= absB(num)).toBe(true);
        expect(absB(num) <= absB(up) * 10000n).toBe(true);
        expect(absB(up - down) <= 1n).toBe(true);
        expect(up === down).toBe(num % 10000n === 0n);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('isSafeMinor', () => {
  it('bounds', () => {
    expect(isSafeMinor(0n)).toBe(false);
    expect(isSafeMinor(-1n)).toBe(false);
    expect(isSafeMinor(1n)).toBe(true);
    expect(isSafeMinor(MAX)).toBe(true);
    expect(isSafeMinor(MAX + 1n)).toBe(false);
  });
});

describe('round-trip properties', () => {
  it('parseDecimal(formatDecimal(x)) === x for every currency', () => {
    for (const code of CODES) {
      fc.assert(
        fc.property(arbSafe, (x) => {
          const s = formatDecimal(x, code);
          expect(parseDecimal(s, code)).toBe(x);
          // canonical shape: optional '-', no leading zeros, exactly `exponent` decimals, no "-0"
          const exp = currencyExponent(code);
          const re = exp === 0 ? /^-?(0|[1-9][0-9]*)$/ : new RegExp(`^-?(0|[1-9][0-9]*)\\.[0-9]{${exp}}$`);
          expect(s).toMatch(re);
          if (x === 0n) expect(s.startsWith('-')).toBe(false);
          expect(formatDecimal(parseDecimal(s, code), code)).toBe(s);
        }),
        { numRuns: 100 },
      );
    }
  });
  it('formatting a parsed input yields the canonical form', () => {
    const arbFrac = fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), maxLength: 18 });
    fc.assert(
      fc.property(
        arbCode,
        fc.boolean(),
        fc.nat({ max: 3 }),
        fc.nat({ max: 999999 }),
        arbFrac,
        (code, neg, zeros, int, fracRaw) => {
          const exp = currencyExponent(code);
          const frac = fracRaw.slice(0, exp);
          const text = `${neg ? '-' : ''}${'0'.repeat(zeros)}${int}${frac.length > 0 ? `.${frac}` : ''}`;
          const [n0, d0] = fraction(text.replace('-', ''));
          fc.pre((n0 * 10n ** BigInt(exp)) / d0 <= MAX); // stay within safe minor units
          const value = parseDecimal(text, code);
          const canonical = formatDecimal(value, code);
          expect(parseDecimal(canonical, code)).toBe(value);
          expect(formatDecimal(parseDecimal(canonical, code), code)).toBe(canonical);
          // independent check: the same number as an exact fraction
          const [n, d] = fraction(text.replace('-', ''));
          expect(absB(value) * d).toBe(n * 10n ** BigInt(exp));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
