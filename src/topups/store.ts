import { sql, type Selectable } from 'kysely';
import type { OrdersTable } from '../db/schema.js';
import type { Tx } from '../db/pool.js';

export type OrderRow = Selectable<OrdersTable> & { due: boolean };

/** Locks an order row (always before any balance row: one lock order everywhere, no deadlocks). */
export async function lockOrder(
  tx: Tx,
  where: { id: string } | { provider: string; paymentId: string },
): Promise<OrderRow | null> {
  let q = tx
    .selectFrom('orders')
    .selectAll()
    .select(sql<boolean>`expires_at <= now()`.as('due'));
  q =
    'id' in where
      ? q.where('id', '=', where.id)
      : q.where('provider', '=', where.provider).where('provider_payment_id', '=', where.paymentId);
  return (await q.forUpdate().executeTakeFirst()) ?? null;
}

export async function addTimeline(
  tx: Tx,
  order: { id: string; customer_id: string },
  status: string,
  note: string,
  actor: string,
): Promise<void> {
  await tx
    .insertInto('order_timeline')
    .values({ order_id: order.id, customer_id: order.customer_id, status, note, actor })
    .execute();
}
