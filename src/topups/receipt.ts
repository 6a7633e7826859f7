import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { BatchLoader } from '../lib/batch-loader.js';
import { receiptMessage, type MailMessage } from '../mail/index.js';

/**
 * Renders receipt e-mails of succeeded orders; `null` when there is nothing to send (not
 * succeeded). The outbox sends a batch of receipts at once, and their orders are read by one query
 * (a query per receipt cost more to plan than the credit it announces took to run).
 */
export function topupReceipts(db: Db, config: Config): (orderId: string) => Promise<MailMessage | null> {
  const orders = new BatchLoader(
    async (ids: string[]) => {
      const rows = await db
        .selectFrom('orders')
        .innerJoin('customers', 'customers.id', 'orders.customer_id')
        .select([
          'orders.id',
          'orders.balance',
          'orders.method',
          'orders.pay_amount',
          'orders.pay_currency',
          'orders.fee_amount',
          'orders.credited_amount',
          'orders.credit_currency',
          'orders.fx_rate',
          'orders.succeeded_at',
          'orders.paid_late',
          'orders.status',
          'customers.email',
          'customers.name',
        ])
        .where('orders.id', '=', sql<string>`ANY(${ids}::text[])`)
        .execute();
      return new Map(rows.map((r) => [r.id, r]));
    },
    1,
    200,
  );

  return async (orderId) => {
    const o = await orders.get(orderId);
    if (!o || o.status !== 'succeeded' || o.credited_amount === null || o.succeeded_at === null) return null;
    return receiptMessage(
      {
        id: o.id,
        balance: o.balance,
        method: o.method,
        pay: { amount: o.pay_amount, currency: o.pay_currency },
        fee: { amount: o.fee_amount, currency: o.pay_currency },
        credited: { amount: o.credited_amount, currency: o.credit_currency },
        fx_rate: o.fx_rate,
        succeeded_at: o.succeeded_at,
        paid_late: o.paid_late,
      },
      { email: o.email, name: o.name },
      config.publicUrl,
    );
  };
}
