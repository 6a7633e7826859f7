import { sql } from 'kysely';
import { recordEvent } from '../events/index.js';
import { newId } from '../lib/ids.js';
import { isoTime } from '../lib/json.js';
import type { Tx } from '../db/pool.js';
import { lockBalance, postTransfer, systemAccount, type LockedAccount } from '../ledger/index.js';
import { addTimeline, type OrderRow } from './store.js';
import type { ReversalNews } from '../providers/contract.js';

/**
 * The part of a credited order that `payMinor` of the paying currency stands for, in the balance
 * currency: proportional to what the order credited for what it received, rounded up (money
 * going back is rounded in the platform's favour, like a fee), so a full refund is exactly the
 * credit. Never more than `capMinor`.
 */
export function reversalAmount(
  order: Pick<OrderRow, 'credited_amount' | 'received_amount' | 'pay_amount'>,
  payMinor: bigint,
  capMinor: bigint,
): bigint {
  const credited = order.credited_amount ?? 0n;
  const received = order.received_amount ?? order.pay_amount;
  if (credited <= 0n || received <= 0n || payMinor <= 0n) return 0n;
  const exact = payMinor * credited;
  const amount = exact / received + (exact % received === 0n ? 0n : 1n);
  return amount > capMinor ? capMinor : amount;
}

async function freezeIfNegative(tx: Tx, account: LockedAccount, order: OrderRow, actor: string): Promise<void> {
  if (account.posted - account.held >= 0n) return;
  const frozen = await tx
    .updateTable('customers')
    .set({ status: 'frozen' })
    .where('id', '=', account.customerId)
    .where('status', '=', 'active')
    .returning('id')
    .executeTakeFirst();
  if (frozen)
    await addTimeline(
      tx,
      order,
      order.status,
      `The ${account.code} balance went negative (${account.posted - account.held}): the customer is frozen for spending until it is repaid`,
      actor,
    );
}

/**
 * Lifts a freeze once nothing is owed: no balance below zero and no dispute still open (the rule
 * lives in coffer_unfreeze_if_repaid, which every credit also applies).
 */
export async function unfreezeIfRepaid(tx: Tx, customerId: string): Promise<boolean> {
  const { rows } = await sql<{ done: boolean }>`SELECT coffer_unfreeze_if_repaid(${customerId}) AS done`.execute(tx);
  return rows[0].done;
}

/**
 * Applies refund or dispute news to a locked, succeeded order. A refund made in the provider's
 * dashboard is mirrored: the balance gives back its share (and may go negative, which freezes the
 * customer). A dispute takes the disputed share at once; won, it is given back. Each posting has
 * a unique reference, so a replayed event cannot post twice.
 */
export async function applyReversal(tx: Tx, order: OrderRow, news: ReversalNews, actor: string): Promise<string> {
  if (order.status !== 'succeeded' || order.credited_amount === null) {
    return `${news.kind} reported while the order is ${order.status} and the provider does not hold the payment as succeeded; nothing was credited, so nothing is taken back`;
  }
  const account = await lockBalance(tx, order.customer_id, order.balance);
  if (news.kind === 'refunded') return mirrorRefund(tx, order, account, news.totalRefundedMinor, actor);
  if (news.kind === 'dispute_opened') return openDispute(tx, order, account, news, actor);
  return closeDispute(tx, order, account, news, actor);
}

async function mirrorRefund(
  tx: Tx,
  order: OrderRow,
  account: LockedAccount,
  totalPay: bigint,
  actor: string,
): Promise<string> {
  const delta = totalPay - order.provider_refunded_amount;
  if (delta <= 0n) return `Refund total ${totalPay} already mirrored`;
  const debit = reversalAmount(order, delta, order.credited_amount! - order.refunded_amount);
  if (debit > 0n) {
    await postTransfer(tx, {
      customerId: order.customer_id,
      kind: 'refund',
      debit: account,
      credit: await systemAccount(tx, `clearing:${order.provider}`, order.credit_currency),
      amountMinor: debit,
      currency: order.credit_currency,
      reference: `${order.id}:refund:${totalPay}`,
      displayReference: order.id,
      objectId: order.id,
      description: 'Refund made at the payment provider',
    });
  }
  const refunded = order.refunded_amount + debit;
  await tx
    .updateTable('orders')
    .set({
      provider_refunded_amount: totalPay,
      refunded_amount: refunded,
      refund_status: refunded >= order.credited_amount! ? 'full' : 'partial',
      updated_at: sql`now()`,
    })
    .where('id', '=', order.id)
    .execute();
  const note = `Refunded at ${order.provider}: ${delta} ${order.pay_currency} (total ${totalPay}); ${debit} ${order.credit_currency} taken from the ${order.balance} balance`;
  await addTimeline(tx, order, order.status, note, actor);
  await freezeIfNegative(tx, account, order, actor);
  return note;
}

async function openDispute(
  tx: Tx,
  order: OrderRow,
  account: LockedAccount,
  news: Extract<ReversalNews, { kind: 'dispute_opened' }>,
  actor: string,
): Promise<string> {
  const debit = reversalAmount(order, news.amountMinor, order.credited_amount!);
  const created = await tx
    .insertInto('disputes')
    .values({
      id: newId('dsp'),
      provider: order.provider,
      provider_dispute_id: news.disputeId,
      order_id: order.id,
      customer_id: order.customer_id,
      amount: news.amountMinor,
      currency: news.currency,
      debited_amount: debit,
      status: 'open',
      reason: news.reason,
      closed_at: null,
    })
    .onConflict((oc) => oc.columns(['provider', 'provider_dispute_id']).doNothing())
    .returning(['id', 'created_at'])
    .executeTakeFirst();
  if (!created) return `Dispute ${news.disputeId} already recorded`;
  if (debit > 0n) {
    await postTransfer(tx, {
      customerId: order.customer_id,
      kind: 'chargeback',
      debit: account,
      credit: await systemAccount(tx, 'chargebacks', order.credit_currency),
      amountMinor: debit,
      currency: order.credit_currency,
      reference: `${order.id}:dispute:${news.disputeId}`,
      displayReference: order.id,
      objectId: created.id,
      description: `Dispute opened: ${news.reason}`,
    });
  }
  await recordEvent(
    tx,
    'dispute.created',
    order.customer_id,
    presentDispute(
      {
        ...created,
        amount: news.amountMinor,
        currency: news.currency,
        debited_amount: debit,
        status: 'open',
        reason: news.reason,
        provider_dispute_id: news.disputeId,
        closed_at: null,
      },
      order,
    ),
  );
  const note = `Dispute ${news.disputeId} opened (${news.reason}): ${news.amountMinor} ${news.currency} disputed, ${debit} ${order.credit_currency} taken from the ${order.balance} balance`;
  await addTimeline(tx, order, order.status, note, actor);
  // An open dispute keeps the customer frozen until it is decided, whatever the balance says.
  const frozen = await tx
    .updateTable('customers')
    .set({ status: 'frozen' })
    .where('id', '=', order.customer_id)
    .where('status', '=', 'active')
    .returning('id')
    .executeTakeFirst();
  if (frozen)
    await addTimeline(tx, order, order.status, 'The customer is frozen for spending while the dispute is open', actor);
  return note;
}

async function closeDispute(
  tx: Tx,
  order: OrderRow,
  account: LockedAccount,
  news: Extract<ReversalNews, { kind: 'dispute_closed' }>,
  actor: string,
): Promise<string> {
  const dispute = await tx
    .updateTable('disputes')
    .set({ status: news.won ? 'won' : 'lost', closed_at: new Date() })
    .where('provider', '=', order.provider)
    .where('provider_dispute_id', '=', news.disputeId)
    .where('status', '=', 'open')
    .returningAll()
    .executeTakeFirst();
  if (!dispute) return `Dispute ${news.disputeId} is not open; nothing to close`;
  if (news.won && dispute.debited_amount > 0n) {
    await postTransfer(tx, {
      customerId: order.customer_id,
      kind: 'chargeback',
      debit: await systemAccount(tx, 'chargebacks', order.credit_currency),
      credit: account,
      amountMinor: dispute.debited_amount,
      currency: order.credit_currency,
      reference: `${order.id}:dispute:${news.disputeId}:won`,
      displayReference: order.id,
      objectId: dispute.id,
      description: 'Dispute won: the disputed amount is given back',
    });
  }
  await recordEvent(tx, 'dispute.closed', order.customer_id, presentDispute(dispute, order));
  const note = news.won
    ? `Dispute ${news.disputeId} won: ${dispute.debited_amount} ${order.credit_currency} given back`
    : `Dispute ${news.disputeId} lost: the disputed amount stays with the payer`;
  await addTimeline(tx, order, order.status, note, actor);
  await freezeIfNegative(tx, account, order, actor);
  if (await unfreezeIfRepaid(tx, order.customer_id))
    await addTimeline(tx, order, order.status, 'Nothing is owed any more: the customer is unfrozen', actor);
  return note;
}

/** The dispute as events describe it (`object: "dispute"`). */
function presentDispute(
  d: {
    id: string;
    provider_dispute_id: string;
    amount: bigint;
    currency: string;
    debited_amount: bigint;
    status: string;
    reason: string | null;
    created_at: Date;
    closed_at: Date | null;
  },
  order: OrderRow,
) {
  return {
    id: d.id,
    object: 'dispute',
    topup: order.id,
    customer: order.customer_id,
    provider: { name: order.provider, dispute_id: d.provider_dispute_id },
    amount: d.amount,
    currency: d.currency,
    debited: { amount: d.debited_amount, currency: order.credit_currency },
    status: d.status,
    reason: d.reason,
    created_at: isoTime(d.created_at),
    closed_at: d.closed_at ? isoTime(d.closed_at) : null,
  };
}
