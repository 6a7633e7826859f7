import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { OrderStatus } from '../db/schema.js';
import { addJob } from '../jobs/queue.js';
import { lockBalance, lockBalances, postTransfer, systemAccount, type Tx } from '../ledger/index.js';
import { creditFor } from './quote.js';
import { applyReversal, unfreezeIfRepaid } from './reversals.js';
import { addTimeline, type OrderRow } from './store.js';
import { canMove, decide, isReversal, type PaymentNews } from './states.js';

export { addTimeline, lockOrder, type OrderRow } from './store.js';

type OrderPatch = Partial<Pick<OrderRow, 'needs_review' | 'paid_late' | 'received_amount' | 'credited_amount' | 'succeeded_at'>>;

/**
 * Moves a locked order along the transition table. The update is still conditional on the status
 * it was read in, so a bug that skipped the lock would fail here rather than double-apply.
 */
export async function moveOrder(tx: Tx, order: OrderRow, to: OrderStatus, patch: OrderPatch, note: string, actor: string): Promise<OrderRow> {
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

/**
 * Credits an order for what was paid (fee first, then the locked rate) and marks it succeeded,
 * all in the caller's transaction. The customer's credit has the order id as its unique ledger
 * reference, so a second credit of one order cannot exist. Payment legs go through the
 * provider's clearing account, the fee account and, across currencies, the FX accounts.
 */
export async function creditOrder(tx: Tx, order: OrderRow, paidMinor: bigint, note: string, actor: string, paidLate: boolean): Promise<OrderRow> {
  const quote = {
    feeMinor: order.fee_amount,
    payCurrency: order.pay_currency,
    creditCurrency: order.credit_currency,
    fx: order.fx_rate ? { base: order.fx_base!, quote: order.fx_quote!, rate: order.fx_rate } : null,
  };
  const creditMinor = creditFor(paidMinor, quote);
  assert.ok(creditMinor > 0n, `order ${order.id}: nothing to credit for ${paidMinor}`);
  const common = { customerId: order.customer_id, kind: 'topup' as const, displayReference: order.id, objectId: order.id };
  let frozen: boolean;
  if (order.method === 'balance') {
    const accounts = await lockBalances(tx, order.customer_id, ['wallet', order.balance]);
    frozen = accounts.get('wallet')!.customerStatus === 'frozen';
    await postTransfer(tx, { ...common, debit: accounts.get('wallet')!, credit: accounts.get(order.balance)!, amountMinor: creditMinor, currency: order.credit_currency, reference: order.id });
  } else {
    const account = await lockBalance(tx, order.customer_id, order.balance);
    frozen = account.customerStatus === 'frozen';
    const clearing = await systemAccount(tx, `clearing:${order.provider}`, order.pay_currency);
    if (order.fee_amount > 0n) {
      const fees = await systemAccount(tx, 'fees', order.pay_currency);
      await postTransfer(tx, { ...common, debit: clearing, credit: fees, amountMinor: order.fee_amount, currency: order.pay_currency, reference: `${order.id}:fee` });
    }
    if (quote.fx) {
      const fxIn = await systemAccount(tx, 'fx', order.pay_currency);
      await postTransfer(tx, { ...common, debit: clearing, credit: fxIn, amountMinor: paidMinor - order.fee_amount, currency: order.pay_currency, reference: `${order.id}:fx` });
      const fxOut = await systemAccount(tx, 'fx', order.credit_currency);
      await postTransfer(tx, { ...common, debit: fxOut, credit: account, amountMinor: creditMinor, currency: order.credit_currency, reference: order.id });
    } else {
      await postTransfer(tx, { ...common, debit: clearing, credit: account, amountMinor: creditMinor, currency: order.credit_currency, reference: order.id });
    }
  }
  const done = await moveOrder(
    tx,
    order,
    'succeeded',
    { received_amount: paidMinor, credited_amount: creditMinor, paid_late: paidLate || order.paid_late, needs_review: false, succeeded_at: new Date() },
    note,
    actor,
  );
  await addJob(tx, 'topup_receipt', { order: order.id }, { jobKey: `receipt:${order.id}` });
  // A top-up that brings a frozen customer's balances back to zero or above ends the freeze.
  if (frozen && (await unfreezeIfRepaid(tx, order.customer_id))) await addTimeline(tx, order, 'succeeded', 'Nothing is owed any more: the customer is unfrozen', actor);
  return done;
}

/** Applies a provider's news to a locked order: expiry first, then the decision table. */
export async function applyNews(tx: Tx, locked: OrderRow, news: PaymentNews, actor: string): Promise<{ order: OrderRow; note: string }> {
  if (isReversal(news)) return { order: locked, note: await applyReversal(tx, locked, news, actor) };
  const order = await expireIfDue(tx, locked, actor);
  const d = decide({ status: order.status, payMinor: order.pay_amount, payCurrency: order.pay_currency, network: order.network, receivedMinor: order.received_amount }, news);
  if (d.creditPaidMinor !== null) {
    return { order: await creditOrder(tx, order, d.creditPaidMinor, d.note, actor, d.paidLate), note: d.note };
  }
  const patch: OrderPatch = {};
  if (d.needsReview) patch.needs_review = true;
  if (d.receivedMinor !== null) patch.received_amount = d.receivedMinor;
  if (d.paidLate) patch.paid_late = true;
  if (d.to) return { order: await moveOrder(tx, order, d.to, patch, d.note, actor), note: d.note };
  if (Object.keys(patch).length > 0) {
    const updated = await tx.updateTable('orders').set({ ...patch, updated_at: sql`now()` }).where('id', '=', order.id).returningAll().executeTakeFirstOrThrow();
    await addTimeline(tx, order, order.status, d.note, actor);
    return { order: { ...updated, due: order.due }, note: d.note };
  }
  return { order, note: d.note };
}
