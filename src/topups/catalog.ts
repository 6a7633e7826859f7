import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { rateTable, type RateLookup } from '../fx/index.js';
import { unknownBalance } from '../ledger/index.js';
import type { Money } from '../money/index.js';
import { listMethods, payingCurrencies, servesBalance, type PaymentMethod } from './methods.js';
import { convertWith } from './quote.js';

export interface CatalogQuery {
  balance: string;
  currency: string | null;
  /** the customer's balance currency, when the caller named a customer */
  customerCurrency: string | null;
}

/**
 * States an amount in `to` when a rate exists (rounded as asked); else leaves it as configured and
 * says so (`stated: false`): such a currency cannot be quoted, so the method is not available in it.
 */
function stated(
  rates: RateLookup,
  m: Money,
  to: string | null,
  rounding: 'up' | 'down',
): { amount: bigint; currency: string; converted: boolean } {
  if (!to || to === m.currency) return { amount: m.amountMinor, currency: m.currency, converted: true };
  const rate = rates(m.currency, to);
  return rate
    ? { amount: convertWith(rate, m.amountMinor, m.currency, to, rounding), currency: to, converted: true }
    : { amount: m.amountMinor, currency: m.currency, converted: false };
}

const money = (s: { amount: bigint; currency: string }) => ({ amount: s.amount, currency: s.currency });

/**
 * `GET /v1/payment-methods`: what a balance can be topped up with, in a currency. Methods that
 * serve the balance are all listed (so a UI can explain what is missing); `available` says
 * whether this currency can be used now: the method accepts it and, for a named customer, an FX
 * rate to their balance currency exists. Fees and minimums are stated in the asked currency.
 */
export async function paymentMethodCatalog(db: Db, config: Config, q: CatalogQuery) {
  if (q.balance !== 'wallet') {
    const product = await db
      .selectFrom('products')
      .select('code')
      .where('code', '=', q.balance)
      .where('enabled', '=', true)
      .executeTakeFirst();
    if (!product) throw unknownBalance(q.balance);
  }
  const methods = (await listMethods(db)).filter((m) => m.enabled && servesBalance(m, q.balance));
  const rates = await rateTable(db);
  return methods.map((m) => describe(rates, config, m, q));
}

function describe(rates: RateLookup, config: Config, m: PaymentMethod, q: CatalogQuery) {
  const currencies = m.currencies.length === 0 && q.customerCurrency ? [q.customerCurrency] : m.currencies;
  let available =
    q.currency === null ||
    (m.currencies.length === 0
      ? q.customerCurrency === null || q.currency === q.customerCurrency
      : currencies.includes(q.currency));
  if (available && q.currency && q.customerCurrency && q.currency !== q.customerCurrency) {
    available = rates(q.currency, q.customerCurrency) !== null;
  }
  const global = stated(rates, config.minTopup, q.currency, 'up');
  const own = m.minimum ? stated(rates, m.minimum, q.currency, 'up') : null;
  const minimum = own && own.currency === global.currency && own.amount > global.amount ? own : global;
  const fixed = stated(rates, m.feeFixed, q.currency, 'up');
  const maximum = m.maximum ? stated(rates, m.maximum, q.currency, 'down') : null;
  // A top-up in this currency needs its minimum (and fee, and maximum) in it: no rate, no quote.
  if (
    !global.converted ||
    own?.converted === false ||
    (m.feeFixed.amountMinor > 0n && !fixed.converted) ||
    maximum?.converted === false
  )
    available = false;
  return {
    method: m.method,
    provider: m.provider,
    currencies:
      m.currencies.length === 0 ? payingCurrencies(m, q.customerCurrency ?? config.platformCurrency) : currencies,
    ...(m.networks.length > 0 ? { networks: m.networks } : {}),
    fee: { percent_bps: m.feeBps, fixed: money(fixed) },
    minimum: money(minimum),
    maximum: maximum ? money(maximum) : null,
    processing_time: m.processingTime,
    order_ttl_seconds: m.orderTtlSeconds,
    available,
  };
}
