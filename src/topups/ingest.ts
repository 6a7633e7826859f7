import { sql } from 'kysely';
import type pg from 'pg';
import type { Db } from '../db/pool.js';
import { BatchLoader } from '../lib/batch-loader.js';
import type { PaymentProvider, ProviderEvent } from '../providers/index.js';
import { CreditCaller } from './credit-calls.js';
import { applyNews, countCredit, creditOf, creditTransferIds, lockOrder, translateCreditError } from './settle.js';
import type { OrderRow } from './store.js';
import { CofferError } from '../errors.js';
import type { PaymentNews } from '../providers/contract.js';
import { decide, isReversal } from './states.js';

export type IngestResult = 'processed' | 'duplicate' | 'ignored' | 'unknown_payment';

/**
 * Verify before credit: a success is checked against the provider's own record of the payment
 * (re-fetched over its API), and the provider's record wins — an event that says "paid 100" for
 * a payment the provider holds at 60 is an under-payment of 60. A provider without an API
 * (null) is trusted on its signed event.
 */
async function confirmedNews(provider: PaymentProvider, event: ProviderEvent): Promise<PaymentNews | null> {
  const news = event.news;
  if (news?.kind !== 'succeeded' || !event.paymentId) return news;
  const state = await provider.retrievePayment(event.paymentId);
  if (state === null) return news;
  if (state.status !== 'succeeded' || state.amountMinor === null) return null;
  return {
    kind: 'succeeded',
    amountMinor: state.amountMinor,
    currency: state.currency,
    network: state.network ?? news.network,
  };
}

/**
 * Accepts one verified provider event, exactly once (docs/design.md §3): in one transaction the event
 * is recorded under its unique (provider, event id), the order is moved with a status-conditional
 * update, and the credit is posted under the order's unique reference. A replay, a retry or the
 * same event arriving at another process meets the primary key and changes nothing.
 */
export async function ingestProviderEvent(
  ingest: WebhookIngest,
  provider: PaymentProvider,
  event: ProviderEvent,
): Promise<IngestResult> {
  const db = ingest.db;
  // A success's order is read while the provider confirms the payment (neither waits for the other).
  const order =
    event.news?.kind === 'succeeded' && event.paymentId ? ingest.orderOfPayment(provider.name, event.paymentId) : null;
  order?.catch(() => undefined); // if the confirmation fails first, this read's failure is not the answer
  const verified = await confirmedNews(provider, event);
  if (verified?.kind === 'succeeded' && order) {
    const fast = await creditInOneCall(ingest, provider, event, verified, await order);
    if (fast) return fast;
  }
  const settleFirst = verified && isReversal(verified) ? await overtakenSuccess(db, provider, event) : null;
  return db.transaction().execute(async (tx) => {
    const fresh = await tx
      .insertInto('provider_events')
      .values({
        provider: provider.name,
        event_id: event.eventId,
        type: event.type,
        payload: JSON.stringify({ paymentId: event.paymentId, news: event.news }, bigintToString),
        result: 'received',
      })
      .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!fresh) {
      // Recorded by a commit that may not be flushed yet (credits in one call commit asynchronously
      // until the call's last): this answer stops the provider's retries, so it waits for the flush.
      await sql`SELECT coffer_make_commit_flush()`.execute(tx);
      return 'duplicate';
    }
    const record = (result: string, orderId: string | null = null) =>
      sql`UPDATE provider_events SET result = ${result.slice(0, 500)}, order_id = ${orderId}
          WHERE provider = ${provider.name} AND event_id = ${event.eventId}`.execute(tx);
    if ((!event.paymentId && !event.orderId) || !event.news) {
      await record('ignored');
      return 'ignored';
    }
    const found = event.paymentId
      ? await lockOrder(tx, { provider: provider.name, paymentId: event.paymentId })
      : await lockOrder(tx, { id: event.orderId! });
    const order = found && found.provider === provider.name ? found : null;
    if (!order) {
      await record('unknown payment');
      return 'unknown_payment';
    }
    // Not recorded, answered 503: the provider delivers the same event again later, when its own
    // record has caught up.
    if (!verified) throw retryLater('the provider does not confirm this payment yet');
    let current = order;
    const notes: string[] = [];
    if (settleFirst && order.status !== 'succeeded') {
      // A refund or dispute overtook the success it follows: settle the payment first, from the
      // provider's own record, then take back what the reversal says.
      const settled = await applyNews(tx, order, settleFirst, `provider:${provider.name}`);
      current = settled.order;
      notes.push(settled.note);
    }
    notes.push((await applyNews(tx, current, verified, `provider:${provider.name}`)).note);
    await record(notes.join('; '), order.id);
    return 'processed';
  });
}

/**
 * What webhook ingestion keeps per process: the order lookups and the credits of webhooks that
 * arrive together are each sent to PostgreSQL as one round trip (BatchLoader, CreditCaller).
 */
export class WebhookIngest {
  /** credits decided on a snapshot, sent many per round trip */
  readonly credits: CreditCaller;
  private readonly orders = new Map<string, BatchLoader<string, OrderRow>>();

  constructor(
    readonly db: Db,
    pool: pg.Pool,
  ) {
    this.credits = new CreditCaller(pool);
  }

  /** The order a provider's payment belongs to, as committed now (no lock). */
  orderOfPayment(provider: string, paymentId: string): Promise<OrderRow | undefined> {
    let loader = this.orders.get(provider);
    if (!loader) {
      loader = new BatchLoader(async (ids) => {
        const rows = await this.db
          .selectFrom('orders')
          .selectAll()
          .select(sql<boolean>`expires_at <= now()`.as('due'))
          .where('provider', '=', provider)
          .where('provider_payment_id', '=', sql<string>`ANY(${ids}::text[])`)
          .execute();
        return new Map(rows.map((r) => [r.provider_payment_id!, r]));
      });
      this.orders.set(provider, loader);
    }
    return loader.get(paymentId);
  }
}

/**
 * The common case in one statement: a payment that credits its order. The decision is made on a
 * snapshot of the order (read without a lock), and coffer_ingest_credit applies it only if the
 * order, once locked, is still as it was read — otherwise nothing is written and the general
 * path below decides again under the lock. Same outcome, about a tenth of the round trips; and
 * concurrent webhooks share their round trips (WebhookIngest).
 */
async function creditInOneCall(
  ingest: WebhookIngest,
  provider: PaymentProvider,
  event: ProviderEvent,
  news: Extract<PaymentNews, { kind: 'succeeded' }>,
  o: OrderRow | undefined,
): Promise<IngestResult | null> {
  if (!o || (o.status === 'pending' && o.due)) return null;
  const d = decide(
    {
      status: o.status,
      payMinor: o.pay_amount,
      payCurrency: o.pay_currency,
      network: o.network,
      receivedMinor: o.received_amount,
    },
    news,
  );
  if (d.creditPaidMinor === null) return null;
  const result = await ingest.credits.run({
    provider: provider.name,
    eventId: event.eventId,
    type: event.type,
    payloadJson: JSON.stringify({ paymentId: event.paymentId, news: event.news }, bigintToString),
    orderId: o.id,
    expectedStatus: o.status,
    paidMinor: d.creditPaidMinor,
    creditMinor: creditOf(o, d.creditPaidMinor),
    paidLate: d.paidLate,
    note: d.note,
    actor: `provider:${provider.name}`,
    transferIds: creditTransferIds(),
  });
  if (result === 'processed') {
    countCredit(o);
    return result;
  }
  if (result === 'duplicate') return result;
  // error:<SQLSTATE>:<message> — nothing was written for this event.
  const [, code, ...rest] = result.split(':');
  // The order moved since it was read, or a lock conflict: decide again on the general path.
  if (code === 'CF001' || code === '40001' || code === '40P01') return null;
  return translateCreditError(Object.assign(new Error(rest.join(':')), { code }));
}

/**
 * For a refund or dispute on an order not credited yet: the provider's record of the payment, if
 * it succeeded (its own success event is late). Read outside any transaction: provider calls never
 * hold a lock.
 */
async function overtakenSuccess(db: Db, provider: PaymentProvider, event: ProviderEvent): Promise<PaymentNews | null> {
  let q = db.selectFrom('orders').select(['status', 'provider', 'provider_payment_id']);
  q = event.paymentId
    ? q.where('provider', '=', provider.name).where('provider_payment_id', '=', event.paymentId)
    : q.where('id', '=', event.orderId ?? '');
  const o = await q.executeTakeFirst();
  if (!o || o.status === 'succeeded' || o.provider !== provider.name || !o.provider_payment_id) return null;
  const state = await provider.retrievePayment(o.provider_payment_id);
  if (!state || state.status !== 'succeeded' || state.amountMinor === null) return null;
  return { kind: 'succeeded', amountMinor: state.amountMinor, currency: state.currency, network: state.network };
}

const bigintToString = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

const retryLater = (why: string): CofferError =>
  new CofferError('unavailable', `Not accepted yet: ${why}; deliver it again later.`);
