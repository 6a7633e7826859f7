import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { rateTable } from '../fx/index.js';
import { isoTime } from '../lib/json.js';
import { unknownBalance } from '../ledger/index.js';
import type { ProviderRegistry } from '../providers/index.js';
import { checkMethod, getMethod, quoteTopup } from '../topups/index.js';

/** How long the portal presents a quote as valid (rates can move; the order locks its own). */
export const QUOTE_VALID_SECONDS = 15 * 60;

export interface QuoteInput {
  balance: string;
  amountMinor: bigint;
  currency: string;
  method: string;
}

/**
 * `POST /portal/api/quote`: what a top-up would cost and credit, without an order. The refusals
 * are POST /v1/topups's (the same checks in the same order, except the crypto network, which is
 * chosen later): unknown balance, method not available, currency not accepted, no FX rate,
 * below the minimum or above the maximum.
 */
export async function quoteForCustomer(
  db: Db,
  config: Config,
  providers: ProviderRegistry,
  customer: { currency: string },
  input: QuoteInput,
) {
  if (input.balance !== 'wallet') {
    const product = await db
      .selectFrom('products')
      .select('code')
      .where('code', '=', input.balance)
      .where('enabled', '=', true)
      .executeTakeFirst();
    if (!product) throw unknownBalance(input.balance);
  }
  const m = checkMethod(await getMethod(db, input.method), input, customer.currency, providers);
  const q = quoteTopup(
    {
      amountMinor: input.amountMinor,
      payCurrency: input.currency,
      creditCurrency: customer.currency,
      method: m,
      minTopup: config.minTopup,
    },
    await rateTable(db),
  );
  return {
    amount: { amount: q.amountMinor, currency: q.payCurrency },
    fee: { amount: q.feeMinor, currency: q.payCurrency },
    pay: { amount: q.payMinor, currency: q.payCurrency },
    credit: { amount: q.creditMinor, currency: q.creditCurrency },
    fx_rate: q.fx?.rate ?? null,
    fx: q.fx,
    valid_until: isoTime(new Date(Date.now() + QUOTE_VALID_SECONDS * 1000)),
  };
}
