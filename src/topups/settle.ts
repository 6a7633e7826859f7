import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { OrderStatus } from '../db/schema.js';
import { CofferError } from '../errors.js';
import { newId } from '../lib/ids.js';
import { ledgerTransfers } from '../metrics.js';
import type { Tx } from '../db/pool.js';
import { creditFor } from './quote.js';
import { applyReversal } from './reversals.js';
import { addTimeline, type OrderRow } from './store.js';
import type { PaymentNews } from '../providers/contract.js';
import { canMove, decide, isReversal } from './states.js';

export { addTimeline, lockOrder, type OrderRow } from './store.js';

type OrderPatch = Partial<
  Pick<OrderRow, 'needs_review' | 'paid_late' | 'received_amount' | 'credited_amount' | 'succeeded_at'>
>;

/**
 * Moves a locked order along the transition table. The update is still conditional on the status
 * it was read in, so a bug that skipped the lock would fail here rather than double-apply.
 */
export async function moveOrder(
  tx: Tx,
  order: OrderRow,
  to: OrderStatus,
  patch: OrderPatch,
  note: string,
  actor: string,
): Promise<OrderRow> {
  assert.ok(canMove(order.status, to), `order ${order.id}: ${order.status} → ${to} is not an allowed transition`);
  const updated = await tx
    .updateTable('orders')
    .set({ ...patch, status: to, updated_at: sql`now()` })
    .where('id', '=', order.id)
    .where('status', '=', order.status)
    .returningAll()
    .executeTakeFirst();
  assert.ok(updated, `order ${order.id} changed under its lock`);
  await addTimeline(tx, order, to, note, actor);
  return { ...updated, due: order.due };
}

/** Marks a pending order whose time is up as expired; returns the order as it now is. */
export async function expireIfDue(tx: Tx, order: OrderRow, actor: string): Promise<OrderRow> {
  if (order.status !== 'pending' || !order.due) return order;
  return moveOrder(tx, order, 'expired', {}, 'The order expired before payment arrived', actor);
}

/** The credit for `paidMinor` (fee first, then the order's locked rate), in the balance currency. */
export function creditOf(order: OrderRow, paidMinor: bigint): bigint {
  return creditFor(paidMinor, {
    feeMinor: order.fee_amount,
    payCurrency: order.pay_currency,
    creditCurrency: order.credit_currency,
    fx: order.fx_rate ? { base: order.fx_base!, quote: order.fx_quote!, rate: order.fx_rate } : null,
  });
}

/** Transfer ids for the legs coffer_credit_order may post: customer credit, fee, FX. */
export const creditTransferIds = (): [string, string, string] => [newId('trf'), newId('trf'), newId('trf')];

/** A credit that would take a balance beyond what the API can represent (coffer_post_customer_leg). */
export function translateCreditError(err: unknown): never {
  if ((err as { code?: string }).code === 'CF002') {
    throw new CofferError(
      'amount_above_maximum',
      `This top-up would take the balance beyond ${Number.MAX_SAFE_INTEGER}, the largest amount the API can represent.`,
      {
        maximum: { amount: Number.MAX_SAFE_INTEGER },
      },
    );
  }
  throw err;
}

/**
 * Credits an order for what was paid and marks it succeeded, in the caller's transaction, through
 * `coffer_credit_order` — the one place that posts a top-up's credit (payment legs through the
 * provider's clearing account, the fee and FX accounts; the customer's credit under the order id as
 * its unique ledger reference, so a second credit of one order cannot exist), moves the order,
 * writes its timeline entry and queues its receipt.
 */
export async function creditOrder(
  tx: Tx,
  order: OrderRow,
  paidMinor: bigint,
  note: string,
  actor: string,
  paidLate: boolean,
): Promise<OrderRow> {
  const creditMinor = creditOf(order, paidMinor);
  assert.ok(creditMinor > 0n, `order ${order.id}: nothing to credit for ${paidMinor}`);
  assert.ok(
    canMove(order.status, 'succeeded'),
    `order ${order.id}: ${order.status} → succeeded is not an allowed transition`,
  );
  await sql`
    SELECT coffer_credit_order(${order.id}, ${order.status}, ${paidMinor.toString()}::bigint, ${creditMinor.toString()}::bigint,
      ${paidLate}, ${note}, ${actor}, ${creditTransferIds()}::text[])`
    .execute(tx)
    .catch(translateCreditError);
  countCredit(order);
  const done = await tx.selectFrom('orders').selectAll().where('id', '=', order.id).executeTakeFirstOrThrow();
  return { ...done, due: order.due };
}

/** Metrics of the transfers a credit posted. */
export function countCredit(order: Pick<OrderRow, 'method' | 'fee_amount' | 'fx_rate'>): void {
  ledgerTransfers.inc(
    { kind: 'topup' },
    1 +
      (order.method !== 'balance' && order.fee_amount > 0n ? 1 : 0) +
      (order.method !== 'balance' && order.fx_rate ? 1 : 0),
  );
}

/** Applies a provider's news to a locked order: expiry first, then the decision table. */
export async function applyNews(
  tx: Tx,
  locked: OrderRow,
  news: PaymentNews,
  actor: string,
): Promise<{ order: OrderRow; note: string }> {
  if (isReversal(news)) return { order: locked, note: await applyReversal(tx, locked, news, actor) };
  const order = await expireIfDue(tx, locked, actor);
  const d = decide(
    {
      status: order.status,
      payMinor: order.pay_amount,
      payCurrency: order.pay_currency,
      network: order.network,
      receivedMinor: order.received_amount,
    },
    news,
  );
  if (d.creditPaidMinor !== null) {
    return { order: await creditOrder(tx, order, d.creditPaidMinor, d.note, actor, d.paidLate), note: d.note };
  }
  const patch: OrderPatch = {};
  if (d.needsReview) patch.needs_review = true;
  if (d.receivedMinor !== null) patch.received_amount = d.receivedMinor;
  if (d.paidLate) patch.paid_late = true;
  if (d.to) return { order: await moveOrder(tx, order, d.to, patch, d.note, actor), note: d.note };
  if (Object.keys(patch).length > 0) {
    const updated = await tx
      .updateTable('orders')
      .set({ ...patch, updated_at: sql`now()` })
      .where('id', '=', order.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await addTimeline(tx, order, order.status, d.note, actor);
    return { order: { ...updated, due: order.due }, note: d.note };
  }
  return { order, note: d.note };
}
