import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { receiptMessage, type MailMessage } from '../mail/index.js';

/** The receipt e-mail of a succeeded order, or null when there is nothing to send (not succeeded). */
export async function topupReceipt(db: Db, config: Config, orderId: string): Promise<MailMessage | null> {
  const o = await db
    .selectFrom('orders')
    .innerJoin('customers', 'customers.id', 'orders.customer_id')
    .select(['orders.id', 'orders.balance', 'orders.method', 'orders.pay_amount', 'orders.pay_currency', 'orders.fee_amount', 'orders.credited_amount',
      'orders.credit_currency', 'orders.fx_rate', 'orders.succeeded_at', 'orders.paid_late', 'orders.status', 'customers.email', 'customers.name'])
    .where('orders.id', '=', orderId)
    .executeTakeFirst();
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
}
