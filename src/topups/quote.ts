import { CofferError } from '../errors.js';
import { noRate, type FxRate, type RateLookup } from '../fx/index.js';
import { applyBps, convert, convertInverse, formatDecimal, type Money, type Rounding } from '../money/index.js';
import type { PaymentMethod } from './methods.js';

/** What an order locks: the customer pays `payMinor` (= amount + fee) and `creditMinor` is credited. */
export interface Quote {
  amountMinor: bigint;
  feeMinor: bigint;
  payMinor: bigint;
  payCurrency: string;
  creditMinor: bigint;
  creditCurrency: string;
  /** the rate used between the paying and the balance currency; null when they are the same */
  fx: { base: string; quote: string; rate: string } | null;
}

export type { RateLookup };

/**
 * Converts `amountMinor` of `from` into `to` with whichever way round the rate is quoted.
 * Rounding is the caller's: credits round down, fees and minimums up (docs/design.md §5).
 */
export function convertWith(
  rate: Pick<FxRate, 'base' | 'quote' | 'rate'>,
  amountMinor: bigint,
  from: string,
  to: string,
  rounding: Rounding,
): bigint {
  if (rate.base === from && rate.quote === to) return convert(amountMinor, from, to, rate.rate, rounding);
  if (rate.base === to && rate.quote === from) return convertInverse(amountMinor, from, to, rate.rate, rounding);
  throw new Error(`rate ${rate.base}/${rate.quote} does not convert ${from} to ${to}`);
}

function inCurrency(money: Money, to: string, rates: RateLookup, rounding: Rounding): bigint {
  if (money.currency === to) return money.amountMinor;
  const rate = rates(money.currency, to);
  if (!rate) throw noRate(money.currency, to);
  return convertWith(rate, money.amountMinor, money.currency, to, rounding);
}

/** The credit for what the customer actually paid (fee first), at the order's locked rate. */
export function creditFor(
  paidMinor: bigint,
  q: Pick<Quote, 'feeMinor' | 'payCurrency' | 'creditCurrency' | 'fx'>,
): bigint {
  const net = paidMinor - q.feeMinor;
  if (net <= 0n) return 0n;
  if (!q.fx) return net;
  return convertWith(q.fx, net, q.payCurrency, q.creditCurrency, 'down');
}

export interface QuoteInput {
  amountMinor: bigint;
  payCurrency: string;
  creditCurrency: string;
  method: PaymentMethod;
  minTopup: Money;
}

/**
 * Prices a top-up. The minimum (the larger of MIN_TOPUP and the method's own) applies to the
 * amount before fees, converted at the quoted rate; it is stated in the paying currency, rounded
 * up, so paying exactly the stated minimum is always accepted.
 */
export function quoteTopup(input: QuoteInput, rates: RateLookup): Quote {
  const { amountMinor, payCurrency, creditCurrency, method } = input;
  const fx = payCurrency === creditCurrency ? null : rates(payCurrency, creditCurrency);
  if (payCurrency !== creditCurrency && !fx) throw noRate(payCurrency, creditCurrency);

  let minimum = inCurrency(input.minTopup, payCurrency, rates, 'up');
  if (method.minimum) minimum = bigMax(minimum, inCurrency(method.minimum, payCurrency, rates, 'up'));
  if (amountMinor < minimum) {
    throw new CofferError(
      'amount_below_minimum',
      `The minimum top-up is ${formatDecimal(minimum, payCurrency)} ${payCurrency}.`,
      { minimum: { amount: Number(minimum), currency: payCurrency } },
    );
  }
  if (method.maximum) {
    const maximum = inCurrency(method.maximum, payCurrency, rates, 'down');
    if (amountMinor > maximum) {
      throw new CofferError(
        'amount_above_maximum',
        `The maximum top-up by ${method.method} is ${formatDecimal(maximum, payCurrency)} ${payCurrency}.`,
        {
          maximum: { amount: Number(maximum), currency: payCurrency },
        },
      );
    }
  }
  const fixedFee = method.feeFixed.amountMinor === 0n ? 0n : inCurrency(method.feeFixed, payCurrency, rates, 'up');
  const feeMinor = applyBps(amountMinor, method.feeBps, 'up') + fixedFee;
  const quote: Quote = {
    amountMinor,
    feeMinor,
    payMinor: amountMinor + feeMinor,
    payCurrency,
    creditMinor: 0n,
    creditCurrency,
    fx: fx ? { base: fx.base, quote: fx.quote, rate: fx.rate } : null,
  };
  quote.creditMinor = creditFor(quote.payMinor, quote);
  if (quote.payMinor > MAX_SAFE || quote.creditMinor > MAX_SAFE) {
    throw new CofferError('amount_above_maximum', 'This amount is larger than the API can represent.', {
      maximum: { amount: Number.MAX_SAFE_INTEGER, currency: payCurrency },
    });
  }
  if (quote.creditMinor <= 0n) {
    throw new CofferError(
      'amount_below_minimum',
      `This amount is worth nothing in ${creditCurrency} at the current rate.`,
      {
        minimum: { amount: Number(minimum), currency: payCurrency },
      },
    );
  }
  return quote;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const bigMax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
