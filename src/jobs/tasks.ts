import type { TaskList } from 'graphile-worker';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { receiptMessage, type Mailer } from '../mail/index.js';
import { expireTopup } from '../topups/index.js';

const orderOf = (payload: unknown): string => {
  const order = (payload as { order?: unknown } | null)?.order;
  if (typeof order !== 'string') throw new Error('job payload has no order id');
  return order;
};

/**
 * The job handlers. Each is safe to run more than once (jobs are at least once): expiry is a
 * conditional transition, and a receipt is only sent for an order that succeeded.
 */
export function taskList(deps: { db: Db; config: Config; mailer: Mailer }): TaskList {
  return {
    topup_expire: async (payload) => {
      await expireTopup(deps.db, orderOf(payload), 'system');
    },
    topup_receipt: async (payload) => {
      const id = orderOf(payload);
      const o = await deps.db
        .selectFrom('orders')
        .innerJoin('customers', 'customers.id', 'orders.customer_id')
        .select(['orders.id', 'orders.balance', 'orders.method', 'orders.pay_amount', 'orders.pay_currency', 'orders.fee_amount', 'orders.credited_amount',
          'orders.credit_currency', 'orders.fx_rate', 'orders.succeeded_at', 'orders.paid_late', 'orders.status', 'customers.email', 'customers.name'])
        .where('orders.id', '=', id)
        .executeTakeFirst();
      if (!o || o.status !== 'succeeded' || o.credited_amount === null || o.succeeded_at === null) return;
      const message = receiptMessage(
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
        deps.config.publicUrl,
      );
      await deps.mailer.send(message);
    },
  };
}
