import { sql } from 'kysely';
import type { Db } from '../db/pool.js';
import type { PaymentProvider, ProviderEvent } from '../providers/index.js';
import { applyNews, lockOrder } from './settle.js';
import type { PaymentNews } from './states.js';

export type IngestResult = 'processed' | 'duplicate' | 'ignored' | 'unknown_payment' | 'not_confirmed';

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
  return { kind: 'succeeded', amountMinor: state.amountMinor, currency: state.currency, network: state.network ?? news.network };
}

/**
 * Accepts one verified provider event, exactly once (DESIGN.md §3): in one transaction the event
 * is recorded under its unique (provider, event id), the order is moved with a status-conditional
 * update, and the credit is posted under the order's unique reference. A replay, a retry or the
 * same event arriving at another process meets the primary key and changes nothing.
 */
export async function ingestProviderEvent(db: Db, provider: PaymentProvider, event: ProviderEvent): Promise<IngestResult> {
  const verified = await confirmedNews(provider, event);
  return db.transaction().execute(async (tx) => {
    const fresh = await tx
      .insertInto('provider_events')
      .values({ provider: provider.name, event_id: event.eventId, type: event.type, payload: JSON.stringify({ paymentId: event.paymentId, news: event.news }, bigintToString), result: 'received' })
      .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!fresh) return 'duplicate';
    const record = (result: string, orderId: string | null = null) =>
      sql`UPDATE provider_events SET result = ${result.slice(0, 500)}, order_id = ${orderId}
          WHERE provider = ${provider.name} AND event_id = ${event.eventId}`.execute(tx);
    if (!event.paymentId || !event.news) {
      await record('ignored');
      return 'ignored';
    }
    const order = await lockOrder(tx, { provider: provider.name, paymentId: event.paymentId });
    if (!order) {
      await record('unknown payment');
      return 'unknown_payment';
    }
    if (!verified) {
      await record('not confirmed by the provider', order.id);
      return 'not_confirmed';
    }
    const { note } = await applyNews(tx, order, verified, `provider:${provider.name}`);
    await record(note, order.id);
    return 'processed';
  });
}

const bigintToString = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
