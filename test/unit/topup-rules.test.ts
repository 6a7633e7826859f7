import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CofferError } from '../../src/errors.js';
import type { FxRate } from '../../src/fx/index.js';
import { currencyExponent, type Money } from '../../src/money/index.js';
import type { PaymentMethod } from '../../src/topups/methods.js';
import {
  convertWith,
  creditFor,
  quoteTopup,
  type Quote,
  type QuoteInput,
  type RateLookup,
} from '../../src/topups/quote.js';
import type { PaymentNews } from '../../src/providers/contract.js';
import { ORDER_TRANSITIONS, canMove, decide, type Decision, type OrderFacts } from '../../src/topups/states.js';
import type { OrderStatus } from '../../src/db/schema.js';

const USD = (amountMinor: bigint): Money => ({ amountMinor, currency: 'USD' });
const MIN_TOPUP = USD(1000n);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const fx = (base: string, quote: string, rate: string): FxRate => ({
  base,
  quote,
  rate,
  source: 'test',
  createdAt: new Date(0),
});

/** A rate table that serves a pair quoted either way round, like findRate(). */
function rates(...list: FxRate[]): RateLookup {
  return (a, b) => list.find((r) => (r.base === a && r.quote === b) || (r.base === b && r.quote === a)) ?? null;
}
const NO_RATES: RateLookup = () => null;

/** The seeded card method (defaultMethods): 290 bps + USD 0.30, max USD 10,000. */
function card(over: Partial<PaymentMethod> = {}): PaymentMethod {
  return {
    method: 'card',
    provider: 'sandbox',
    enabled: true,
    forWallet: true,
    forProducts: true,
    currencies: ['USD', 'CNY', 'EUR'],
    networks: [],
    feeBps: 290,
    feeFixed: USD(30n),
    minimum: null,
    maximum: USD(1_000_000n),
    processingTime: 'Instant',
    orderTtlSeconds: 1800,
    displayOrder: 1,
    ...over,
  };
}
/** A fee-less method with no limits of its own (bank transfer, crypto). */
const plain = (over: Partial<PaymentMethod> = {}): PaymentMethod =>
  card({ method: 'bank_transfer', feeBps: 0, feeFixed: USD(0n), maximum: null, ...over });

function quote(
  amountMinor: bigint,
  payCurrency: string,
  creditCurrency: string,
  method: PaymentMethod,
  lookup: RateLookup,
  minTopup: Money = MIN_TOPUP,
): Quote {
  const input: QuoteInput = { amountMinor, payCurrency, creditCurrency, method, minTopup };
  return quoteTopup(input, lookup);
}

function refusal(fn: () => unknown): CofferError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CofferError);
    return err as CofferError;
  }
  throw new Error('expected a CofferError');
}

const CNY720 = rates(fx('USD', 'CNY', '7.20'));

describe('convertWith', () => {
  it('uses the rate whichever way round it is quoted, rounding as asked', () => {
    const r = fx('USD', 'CNY', '7.20');
    expect(convertWith(r, 1000n, 'USD', 'CNY', 'down')).toBe(7200n);
    expect(convertWith(r, 1001n, 'USD', 'CNY', 'up')).toBe(7208n); // 7207.2
    expect(convertWith(r, 1001n, 'USD', 'CNY', 'down')).toBe(7207n);
    expect(convertWith(r, 1001n, 'CNY', 'USD', 'down')).toBe(139n); // 139.03
    expect(convertWith(r, 1001n, 'CNY', 'USD', 'up')).toBe(140n);
    expect(convertWith(r, 7200n, 'CNY', 'USD', 'up')).toBe(1000n); // exact: no rounding up
    // Different exponents: USDT has 6 decimals (1 USDT = 0.998 USD).
    const t = fx('USDT', 'USD', '0.998');
    expect(convertWith(t, 20_123_457n, 'USDT', 'USD', 'down')).toBe(2008n); // 2008.32
    expect(convertWith(t, 1000n, 'USD', 'USDT', 'up')).toBe(10_020_041n); // 10020040.08
    expect(convertWith(t, 1000n, 'USD', 'USDT', 'down')).toBe(10_020_040n);
  });

  it('refuses a rate that does not join the two currencies', () => {
    expect(() => convertWith(fx('EUR', 'USD', '1.08'), 100n, 'CNY', 'USD', 'down')).toThrow(
      'rate EUR/USD does not convert CNY to USD',
    );
    expect(() => convertWith(fx('USD', 'CNY', '7.20'), 100n, 'USD', 'USD', 'down')).toThrow(
      'rate USD/CNY does not convert USD to USD',
    );
  });
});

describe('creditFor', () => {
  const sameCurrency = { feeMinor: 175n, payCurrency: 'USD', creditCurrency: 'USD', fx: null };
  const cnyToUsd = {
    feeMinor: 425n,
    payCurrency: 'CNY',
    creditCurrency: 'USD',
    fx: { base: 'USD', quote: 'CNY', rate: '7.20' },
  };

  it('takes the fee first, then converts at the locked rate rounding down', () => {
    expect(creditFor(5175n, sameCurrency)).toBe(5000n);
    expect(creditFor(9999n, sameCurrency)).toBe(9824n);
    expect(creditFor(7625n, cnyToUsd)).toBe(1000n); // 7200 CNY net = 1000.00 USD exactly
    expect(creditFor(7626n, cnyToUsd)).toBe(1000n); // 7201 / 7.2 = 1000.138…
    expect(creditFor(7632n, cnyToUsd)).toBe(1000n); // 7207 / 7.2 = 1000.97… still down
    expect(creditFor(7633n, cnyToUsd)).toBe(1001n); // 7208 / 7.2 = 1001.11…
  });

  it('is zero when nothing is left after the fee', () => {
    expect(creditFor(175n, sameCurrency)).toBe(0n);
    expect(creditFor(100n, sameCurrency)).toBe(0n);
    expect(creditFor(0n, sameCurrency)).toBe(0n);
    expect(creditFor(176n, sameCurrency)).toBe(1n);
    expect(creditFor(432n, cnyToUsd)).toBe(0n); // 7 CNY minor = 0.97 USD minor → 0
    expect(creditFor(433n, cnyToUsd)).toBe(1n);
  });
});

describe('quoteTopup: the rounding rule with exact numbers', () => {
  it('same currency: fee rounds up, pay = amount + fee, credit = amount', () => {
    expect(quote(1001n, 'USD', 'USD', card(), NO_RATES)).toEqual({
      amountMinor: 1001n,
      feeMinor: 60n, // ceil(29.029) + 30
      payMinor: 1061n,
      payCurrency: 'USD',
      creditMinor: 1001n,
      creditCurrency: 'USD',
      fx: null,
    });
    expect(quote(5000n, 'USD', 'USD', card(), NO_RATES)).toMatchObject({
      feeMinor: 175n,
      payMinor: 5175n,
      creditMinor: 5000n,
    });
    // exactly 2.90 %: no rounding
    expect(quote(10_000n, 'USD', 'USD', card(), NO_RATES)).toMatchObject({
      feeMinor: 320n,
      payMinor: 10_320n,
      creditMinor: 10_000n,
    });
  });

  it('CNY at 7.20 crediting USD: fixed fee converted, credit rounds down', () => {
    expect(quote(7201n, 'CNY', 'USD', card(), CNY720)).toEqual({
      amountMinor: 7201n,
      feeMinor: 425n, // ceil(208.829) = 209 + USD 0.30 → CNY 2.16
      payMinor: 7626n,
      payCurrency: 'CNY',
      creditMinor: 1000n, // 7201 / 7.2 = 1000.138…
      creditCurrency: 'USD',
      fx: { base: 'USD', quote: 'CNY', rate: '7.20' },
    });
    expect(quote(7207n, 'CNY', 'USD', plain(), CNY720)).toMatchObject({
      feeMinor: 0n,
      payMinor: 7207n,
      creditMinor: 1000n,
    }); // 1000.97
  });

  it('a fixed fee converted into the paying currency rounds up', () => {
    const r = rates(fx('USD', 'CNY', '7.2345'));
    // 30 × 7.2345 = 217.035 → 218; 7235 × 2.9 % = 209.815 → 210
    expect(quote(7235n, 'CNY', 'USD', card(), r)).toMatchObject({
      feeMinor: 428n,
      payMinor: 7663n,
      creditMinor: 1000n,
    });
    // the other way round: 1 CNY = 0.1388 USD; 30 / 0.1388 = 216.14 → 217
    const inv = rates(fx('CNY', 'USD', '0.1388'));
    expect(quote(10_000n, 'CNY', 'USD', plain({ feeFixed: USD(30n) }), inv)).toMatchObject({
      feeMinor: 217n,
      payMinor: 10_217n,
      creditMinor: 1388n,
    });
    // a fixed fee in the paying currency itself is not converted
    expect(
      quote(10_000n, 'CNY', 'USD', plain({ feeFixed: { amountMinor: 99n, currency: 'CNY' } }), CNY720),
    ).toMatchObject({ feeMinor: 99n, payMinor: 10_099n, creditMinor: 1388n });
  });

  it('the stated minimum rounds up and the maximum rounds down', () => {
    const r = rates(fx('USD', 'CNY', '7.2345'));
    // USD 10.00 = CNY 72.345 → stated as 72.35
    const low = refusal(() => quote(7234n, 'CNY', 'USD', card(), r));
    expect(low.code).toBe('amount_below_minimum');
    expect(low.status).toBe(422);
    expect(low.details).toEqual({ minimum: { amount: 7235, currency: 'CNY' } });
    expect(low.message).toBe('The minimum top-up is 72.35 CNY.');
    expect(quote(7235n, 'CNY', 'USD', card(), r).amountMinor).toBe(7235n);

    // 1 CNY = 0.1388 USD: USD 10,000 = CNY 72,046.1095… → stated as 72,046.10
    const inv = rates(fx('CNY', 'USD', '0.1388'));
    expect(quote(7_204_610n, 'CNY', 'USD', card(), inv).creditMinor).toBe(999_999n); // 7204610 × 0.1388 = 999999.868
    const high = refusal(() => quote(7_204_611n, 'CNY', 'USD', card(), inv));
    expect(high.code).toBe('amount_above_maximum');
    expect(high.details).toEqual({ maximum: { amount: 7_204_610, currency: 'CNY' } });
    expect(high.message).toBe('The maximum top-up by card is 72046.10 CNY.');
    // and the minimum the other way round: 1000 / 0.1388 = 7204.61 → 7205
    expect(refusal(() => quote(7204n, 'CNY', 'USD', card(), inv)).details).toEqual({
      minimum: { amount: 7205, currency: 'CNY' },
    });
    expect(quote(7205n, 'CNY', 'USD', card(), inv).creditMinor).toBe(1000n); // 1000.054

    // same currency: USD 10,000.00 is allowed, one cent more is not
    expect(quote(1_000_000n, 'USD', 'USD', card(), NO_RATES).payMinor).toBe(1_029_030n);
    expect(refusal(() => quote(1_000_001n, 'USD', 'USD', card(), NO_RATES)).details).toEqual({
      maximum: { amount: 1_000_000, currency: 'USD' },
    });
  });

  it('minimum in CNY at 7.20: 7199 refused, 7200 accepted', () => {
    const err = refusal(() => quote(7199n, 'CNY', 'USD', card(), CNY720));
    expect(err.code).toBe('amount_below_minimum');
    expect(err.details).toEqual({ minimum: { amount: 7200, currency: 'CNY' } });
    expect(err.message).toBe('The minimum top-up is 72.00 CNY.');
    expect(quote(7200n, 'CNY', 'USD', card(), CNY720)).toEqual({
      amountMinor: 7200n,
      feeMinor: 425n, // ceil(208.8) + 216
      payMinor: 7625n,
      payCurrency: 'CNY',
      creditMinor: 1000n,
      creditCurrency: 'USD',
      fx: { base: 'USD', quote: 'CNY', rate: '7.20' },
    });
    // USD 9.99 / 10.00
    expect(refusal(() => quote(999n, 'USD', 'USD', card(), NO_RATES)).details).toEqual({
      minimum: { amount: 1000, currency: 'USD' },
    });
    expect(quote(1000n, 'USD', 'USD', card(), NO_RATES).payMinor).toBe(1059n);
  });

  it('a method minimum larger than MIN_TOPUP wins (converted, rounded up)', () => {
    const m = plain({ minimum: USD(2000n) });
    expect(refusal(() => quote(1999n, 'USD', 'USD', m, NO_RATES)).details).toEqual({
      minimum: { amount: 2000, currency: 'USD' },
    });
    expect(quote(2000n, 'USD', 'USD', m, NO_RATES).creditMinor).toBe(2000n);
    expect(refusal(() => quote(14_399n, 'CNY', 'USD', m, CNY720)).details).toEqual({
      minimum: { amount: 14_400, currency: 'CNY' },
    });
    expect(quote(14_400n, 'CNY', 'USD', m, CNY720).creditMinor).toBe(2000n);
    // a method minimum stated in another currency: CNY 100.00 = USD 13.888… → 13.89
    const cnyMin = plain({ minimum: { amountMinor: 10_000n, currency: 'CNY' } });
    expect(refusal(() => quote(1388n, 'USD', 'USD', cnyMin, CNY720)).details).toEqual({
      minimum: { amount: 1389, currency: 'USD' },
    });
    expect(quote(1389n, 'USD', 'USD', cnyMin, CNY720).payMinor).toBe(1389n);
    // a method minimum smaller than MIN_TOPUP does not lower it
    expect(refusal(() => quote(999n, 'USD', 'USD', plain({ minimum: USD(500n) }), NO_RATES)).details).toEqual({
      minimum: { amount: 1000, currency: 'USD' },
    });
  });

  it('USDT (6 decimals) crediting USD', () => {
    const r = rates(fx('USDT', 'USD', '0.998'));
    const crypto = plain({ method: 'crypto', currencies: ['USDT'], networks: ['TRC20'] });
    expect(quote(20_123_457n, 'USDT', 'USD', crypto, r)).toEqual({
      amountMinor: 20_123_457n,
      feeMinor: 0n,
      payMinor: 20_123_457n,
      payCurrency: 'USDT',
      creditMinor: 2008n,
      creditCurrency: 'USD',
      fx: { base: 'USDT', quote: 'USD', rate: '0.998' },
    });
    expect(refusal(() => quote(10_020_040n, 'USDT', 'USD', crypto, r)).details).toEqual({
      minimum: { amount: 10_020_041, currency: 'USDT' },
    });
    expect(quote(10_020_041n, 'USDT', 'USD', crypto, r).creditMinor).toBe(1000n);
  });

  it('a currency with no rate is currency_not_supported', () => {
    const err = refusal(() => quote(5000n, 'EUR', 'USD', card(), CNY720));
    expect(err.code).toBe('currency_not_supported');
    expect(err.status).toBe(422);
    expect(err.details).toEqual({ from: 'EUR', to: 'USD' });
    // the balance and paying currency agree, but MIN_TOPUP (USD) cannot be stated in EUR
    const min = refusal(() => quote(5000n, 'EUR', 'EUR', plain(), NO_RATES));
    expect(min.code).toBe('currency_not_supported');
    expect(min.details).toEqual({ from: 'USD', to: 'EUR' });
    // nor can a fixed fee in USD be stated in EUR
    const fee = refusal(() =>
      quote(5000n, 'EUR', 'EUR', plain({ feeFixed: USD(30n) }), NO_RATES, { amountMinor: 1000n, currency: 'EUR' }),
    );
    expect(fee.code).toBe('currency_not_supported');
    expect(fee.details).toEqual({ from: 'USD', to: 'EUR' });
  });

  it('an amount worth nothing in the balance currency, or beyond a safe integer, is refused', () => {
    const zero = refusal(() => quote(7n, 'CNY', 'USD', plain(), CNY720, USD(0n)));
    expect(zero.code).toBe('amount_below_minimum');
    expect(zero.message).toBe('This amount is worth nothing in USD at the current rate.');
    expect(quote(8n, 'CNY', 'USD', plain(), CNY720, USD(0n)).creditMinor).toBe(1n);
    const huge = refusal(() => quote(MAX_SAFE, 'USD', 'USD', card({ maximum: null }), NO_RATES));
    expect(huge.code).toBe('amount_above_maximum');
    expect(huge.details).toEqual({ maximum: { amount: Number.MAX_SAFE_INTEGER, currency: 'USD' } });
    expect(quote(MAX_SAFE, 'USD', 'USD', plain(), NO_RATES).payMinor).toBe(MAX_SAFE);
  });
});

/** Independent exact fraction for a decimal string. */
function fraction(rate: string): [bigint, bigint] {
  const [i, f = ''] = rate.split('.');
  return [BigInt(`${i}${f}`), 10n ** BigInt(f.length)];
}

/** exact value of `amount` of `from` in `to` as num/den, with `r` quoted either way round. */
function exact(amount: bigint, r: FxRate, from: string, to: string): [bigint, bigint] {
  const [n, d] = fraction(r.rate);
  const scale = 10n ** BigInt(currencyExponent(to));
  const unscale = 10n ** BigInt(currencyExponent(from));
  return r.base === from ? [amount * n * scale, d * unscale] : [amount * d * scale, n * unscale];
}

const arbRate = fc
  .tuple(
    fc.bigInt({ min: 0n, max: 20_000n }),
    fc.integer({ min: 0, max: 8 }),
    fc.bigInt({ min: 0n, max: 10n ** 8n - 1n }),
  )
  .map(([i, fl, f]) => (fl === 0 ? i.toString() : `${i}.${(f % 10n ** BigInt(fl)).toString().padStart(fl, '0')}`))
  .filter((r) => /[1-9]/.test(r));
const arbPay = fc.constantFrom('CNY', 'JPY', 'USDT', 'BHD', 'EUR');

describe('properties', () => {
  it('creditFor(pay) ≤ exact credit and > exact − 1 minor unit', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        arbRate,
        arbPay,
        fc.boolean(),
        (paid, fee, rate, pay, baseIsPay) => {
          const r = baseIsPay ? fx(pay, 'USD', rate) : fx('USD', pay, rate);
          const credit = creditFor(paid, {
            feeMinor: fee,
            payCurrency: pay,
            creditCurrency: 'USD',
            fx: { base: r.base, quote: r.quote, rate },
          });
          if (paid <= fee) return credit === 0n;
          const [num, den] = exact(paid - fee, r, pay, 'USD');
          expect(credit * den <= num).toBe(true);
          expect((credit + 1n) * den > num).toBe(true);
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('quoteTopup: fee ≥ exact fee (< exact + 2), pay = amount + fee, credit = creditFor(pay) within one unit below exact', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.integer({ min: 0, max: 2000 }),
        fc.bigInt({ min: 0n, max: 1000n }),
        arbRate,
        arbPay,
        fc.boolean(),
        (amount, bps, fixed, rate, pay, baseIsPay) => {
          const r = baseIsPay ? fx(pay, 'USD', rate) : fx('USD', pay, rate);
          const m = plain({ feeBps: bps, feeFixed: USD(fixed) });
          let q: Quote;
          try {
            q = quote(amount, pay, 'USD', m, rates(r), USD(0n));
          } catch (err) {
            // only the documented refusals: worth nothing, or beyond a safe integer
            expect(err).toBeInstanceOf(CofferError);
            expect(['amount_below_minimum', 'amount_above_maximum']).toContain((err as CofferError).code);
            return true;
          }
          // exact fee = amount·bps/10000 + fixed (USD → pay), as one fraction
          const [fn, fd] = exact(fixed, r, 'USD', pay);
          const num = amount * BigInt(bps) * fd + fn * 10_000n;
          const den = 10_000n * fd;
          expect(q.feeMinor * den >= num).toBe(true);
          expect(q.feeMinor * den < num + 2n * den).toBe(true);
          expect(q.payMinor).toBe(amount + q.feeMinor);
          expect(q.creditMinor).toBe(creditFor(q.payMinor, q));
          const [cn, cd] = exact(amount, r, pay, 'USD');
          expect(q.creditMinor * cd <= cn).toBe(true);
          expect((q.creditMinor + 1n) * cd > cn).toBe(true);
          return true;
        },
      ),
      { numRuns: 1000 },
    );
  });
});

const STATUSES: OrderStatus[] = ['pending', 'processing', 'succeeded', 'failed', 'expired', 'cancelled'];

describe('ORDER_TRANSITIONS and canMove', () => {
  it('is exactly the table of docs/design.md §7 (plus late payments)', () => {
    expect(ORDER_TRANSITIONS).toEqual({
      pending: ['processing', 'succeeded', 'failed', 'expired', 'cancelled'],
      processing: ['succeeded', 'failed'],
      expired: ['processing', 'succeeded'],
      cancelled: ['processing', 'succeeded'],
      failed: ['processing', 'succeeded'],
      succeeded: [],
    });
  });

  it('canMove agrees with the table for every pair; succeeded is final; no self-moves', () => {
    const allowed = new Set(
      Object.entries(ORDER_TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`)),
    );
    let yes = 0;
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        expect(canMove(from, to), `${from} → ${to}`).toBe(allowed.has(`${from}>${to}`));
        if (canMove(from, to)) yes++;
      }
      expect(canMove(from, from)).toBe(false);
      expect(canMove('succeeded', from)).toBe(false);
    }
    expect(yes).toBe(13);
    // nothing ever goes back to pending; processing cannot expire or be cancelled
    for (const from of STATUSES) expect(canMove(from, 'pending')).toBe(false);
    expect(canMove('processing', 'expired')).toBe(false);
    expect(canMove('processing', 'cancelled')).toBe(false);
  });
});

describe('decide', () => {
  const facts = (status: OrderStatus, over: Partial<OrderFacts> = {}): OrderFacts => ({
    status,
    payMinor: 20_000_000n,
    payCurrency: 'USDT',
    network: 'TRC20',
    ...over,
  });
  const paid = (amountMinor: bigint, currency = 'USDT', network: string | null = 'TRC20'): PaymentNews => ({
    kind: 'succeeded',
    amountMinor,
    currency,
    network,
  });
  const none = (note: string, extra: Partial<Decision> = {}): Decision => ({
    to: null,
    needsReview: false,
    creditPaidMinor: null,
    receivedMinor: null,
    paidLate: false,
    note,
    ...extra,
  });

  it('processing: pending moves to processing; anything else stays', () => {
    expect(decide(facts('pending'), { kind: 'processing' })).toEqual(
      none('Payment seen; waiting for confirmation', { to: 'processing' }),
    );
    for (const s of ['processing', 'succeeded', 'failed', 'expired', 'cancelled'] as const) {
      expect(decide(facts(s), { kind: 'processing' })).toEqual(
        none(`Payment processing reported while ${s}; no change`),
      );
    }
  });

  it('failed: pending and processing fail; anything else stays', () => {
    for (const s of ['pending', 'processing'] as const) {
      expect(decide(facts(s), { kind: 'failed', reason: 'card_declined' })).toEqual(
        none('Payment failed: card_declined', { to: 'failed' }),
      );
    }
    for (const s of ['succeeded', 'failed', 'expired', 'cancelled'] as const) {
      expect(decide(facts(s), { kind: 'failed', reason: 'x' })).toEqual(
        none(`Payment failure reported while ${s}; no change`),
      );
    }
  });

  it('exact success from pending or processing credits the amount paid', () => {
    for (const s of ['pending', 'processing'] as const) {
      expect(decide(facts(s), paid(20_000_000n))).toEqual({
        to: 'succeeded',
        needsReview: false,
        creditPaidMinor: 20_000_000n,
        receivedMinor: 20_000_000n,
        paidLate: false,
        note: 'Paid',
      });
    }
    // a card payment carries no network: no network check
    expect(
      decide(facts('pending', { payCurrency: 'USD', payMinor: 5175n, network: null }), paid(5175n, 'USD', null)),
    ).toMatchObject({ to: 'succeeded', creditPaidMinor: 5175n });
    // a network reported for an order without one is not a mismatch either
    expect(decide(facts('pending', { network: null }), paid(20_000_000n, 'USDT', 'ERC20'))).toMatchObject({
      to: 'succeeded',
      creditPaidMinor: 20_000_000n,
    });
  });

  it('under-payment goes to processing with needs_review and credits nothing', () => {
    expect(decide(facts('pending'), paid(19_999_999n))).toEqual({
      to: 'processing',
      needsReview: true,
      creditPaidMinor: null,
      receivedMinor: 19_999_999n,
      paidLate: false,
      note: 'Under-payment: 19999999 of 20000000 arrived; it needs review',
    });
    // already processing: no move, but flagged
    expect(decide(facts('processing'), paid(1n))).toEqual({
      to: null,
      needsReview: true,
      creditPaidMinor: null,
      receivedMinor: 1n,
      paidLate: false,
      note: 'Under-payment: 1 of 20000000 arrived; it needs review',
    });
  });

  it('over-payment credits what arrived', () => {
    expect(decide(facts('processing'), paid(25_000_000n))).toEqual({
      to: 'succeeded',
      needsReview: false,
      creditPaidMinor: 25_000_000n,
      receivedMinor: 25_000_000n,
      paidLate: false,
      note: 'Paid (over-payment: 25000000 of 20000000)',
    });
  });

  it('wrong currency and wrong network need review, whatever the amount', () => {
    expect(decide(facts('pending'), paid(20_000_000n, 'USDC'))).toEqual({
      to: 'processing',
      needsReview: true,
      creditPaidMinor: null,
      receivedMinor: 20_000_000n,
      paidLate: false,
      note: 'Payment arrived in USDC instead of USDT; it needs review',
    });
    expect(decide(facts('processing'), paid(30_000_000n, 'USDT', 'ERC20'))).toEqual({
      to: null,
      needsReview: true,
      creditPaidMinor: null,
      receivedMinor: 30_000_000n,
      paidLate: false,
      note: 'Payment arrived on ERC20 instead of TRC20; it needs review',
    });
    expect(decide(facts('pending'), paid(20_000_000n, 'USDT', 'BEP20'))).toMatchObject({
      to: 'processing',
      needsReview: true,
      creditPaidMinor: null,
    });
  });

  it('a payment after expired/cancelled/failed is still credited, marked paid late', () => {
    for (const s of ['expired', 'cancelled', 'failed'] as const) {
      expect(decide(facts(s), paid(20_000_000n))).toEqual({
        to: 'succeeded',
        needsReview: false,
        creditPaidMinor: 20_000_000n,
        receivedMinor: 20_000_000n,
        paidLate: true,
        note: `Paid late (order was ${s})`,
      });
      expect(decide(facts(s), paid(21_000_000n))).toMatchObject({
        to: 'succeeded',
        creditPaidMinor: 21_000_000n,
        paidLate: true,
        note: `Paid late (order was ${s}) (over-payment: 21000000 of 20000000)`,
      });
      // late and short, or on the wrong network: to review, still marked late
      expect(decide(facts(s), paid(5n))).toEqual({
        to: 'processing',
        needsReview: true,
        creditPaidMinor: null,
        receivedMinor: 5n,
        paidLate: true,
        note: 'Under-payment: 5 of 20000000 arrived; it needs review',
      });
      expect(decide(facts(s), paid(20_000_000n, 'USDT', 'ERC20'))).toMatchObject({
        to: 'processing',
        needsReview: true,
        creditPaidMinor: null,
        paidLate: true,
      });
    }
  });

  it('news after succeeded needs review and moves nothing', () => {
    for (const amount of [20_000_000n, 1n, 99_000_000n]) {
      expect(decide(facts('succeeded'), paid(amount))).toEqual({
        to: null,
        needsReview: true,
        creditPaidMinor: null,
        receivedMinor: amount,
        paidLate: false,
        note: 'Another payment arrived after the order succeeded; it needs review',
      });
    }
  });

  it('every decision is a move the table allows', () => {
    const news: PaymentNews[] = [
      { kind: 'processing' },
      { kind: 'failed', reason: 'r' },
      paid(20_000_000n),
      paid(1n),
      paid(30_000_000n),
      paid(20_000_000n, 'USD'),
      paid(20_000_000n, 'USDT', 'ERC20'),
    ];
    for (const s of STATUSES) {
      for (const n of news) {
        const d = decide(facts(s), n);
        if (d.to !== null) expect(canMove(s, d.to), `${s} → ${d.to}`).toBe(true);
        if (d.creditPaidMinor !== null) expect(d.to).toBe('succeeded');
      }
    }
  });
});
