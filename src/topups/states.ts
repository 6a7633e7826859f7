import type { OrderStatus } from '../db/schema.js';
import type { PaymentNews, ReversalNews } from '../providers/contract.js';

/**
 * Every allowed move of an order (docs/design.md §7), in one place. `succeeded` is final: a settled
 * top-up is never flipped back (refunds have their own status). Money that arrives after an
 * order expired, was cancelled or failed is still money received, so those states can still
 * move to `processing` (to be reviewed) or `succeeded` (credited, marked paid late).
 */
export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['processing', 'succeeded', 'failed', 'expired', 'cancelled'],
  processing: ['succeeded', 'failed'],
  expired: ['processing', 'succeeded'],
  cancelled: ['processing', 'succeeded'],
  failed: ['processing', 'succeeded'],
  succeeded: [],
};

export const canMove = (from: OrderStatus, to: OrderStatus): boolean => ORDER_TRANSITIONS[from].includes(to);

export const isReversal = (n: PaymentNews): n is ReversalNews =>
  n.kind === 'refunded' || n.kind === 'dispute_opened' || n.kind === 'dispute_closed';

export interface OrderFacts {
  status: OrderStatus;
  payMinor: bigint;
  payCurrency: string;
  network: string | null;
  /** what arrived, once known */
  receivedMinor?: bigint | null;
}

/** What to do with an order: move it (or not), flag it for review, credit what arrived. */
export interface Decision {
  to: OrderStatus | null;
  needsReview: boolean;
  /** credit the customer for this many minor units of the paying currency (fee included) */
  creditPaidMinor: bigint | null;
  receivedMinor: bigint | null;
  paidLate: boolean;
  note: string;
}

const LATE: ReadonlySet<OrderStatus> = new Set(['expired', 'cancelled', 'failed']);

const stay = (note: string, needsReview = false): Decision => ({
  to: null,
  needsReview,
  creditPaidMinor: null,
  receivedMinor: null,
  paidLate: false,
  note,
});

/** Decides, from the order as it is now, what a piece of payment news does to it. */
export function decide(order: OrderFacts, news: PaymentNews): Decision {
  if (isReversal(news)) return stay(`${news.kind} is not a status change`);
  if (news.kind === 'expired') {
    return order.status === 'pending'
      ? { ...stay('The provider expired the payment'), to: 'expired' }
      : stay(`Payment expiry reported while ${order.status}; no change`);
  }
  if (news.kind === 'processing') {
    return order.status === 'pending'
      ? { ...stay('Payment seen; waiting for confirmation'), to: 'processing' }
      : stay(`Payment processing reported while ${order.status}; no change`);
  }
  if (news.kind === 'failed') {
    return canMove(order.status, 'failed') && (order.status === 'pending' || order.status === 'processing')
      ? { ...stay(`Payment failed: ${news.reason}`), to: 'failed' }
      : stay(`Payment failure reported while ${order.status}; no change`);
  }
  const received = news.amountMinor;
  if (order.status === 'succeeded') {
    // The success of the payment already credited, reported again (another event of the same
    // payment): nothing new. A different amount is another payment: staff look at it.
    if (order.receivedMinor === received && news.currency === order.payCurrency)
      return stay('This payment was already credited; no change');
    return {
      ...stay('Another payment arrived after the order succeeded; it needs review', true),
      receivedMinor: received,
    };
  }
  const late = LATE.has(order.status);
  const review = (why: string): Decision => ({
    to: order.status === 'processing' ? null : 'processing',
    needsReview: true,
    creditPaidMinor: null,
    receivedMinor: received,
    paidLate: late,
    note: why,
  });
  if (news.currency !== order.payCurrency) {
    return review(`Payment arrived in ${news.currency} instead of ${order.payCurrency}; it needs review`);
  }
  if (news.network && order.network && news.network !== order.network) {
    return review(`Payment arrived on ${news.network} instead of ${order.network}; it needs review`);
  }
  if (received < order.payMinor) {
    return review(`Under-payment: ${received} of ${order.payMinor} arrived; it needs review`);
  }
  const over = received > order.payMinor ? ` (over-payment: ${received} of ${order.payMinor})` : '';
  return {
    to: 'succeeded',
    needsReview: false,
    creditPaidMinor: received,
    receivedMinor: received,
    paidLate: late,
    note: `${late ? `Paid late (order was ${order.status})` : 'Paid'}${over}`,
  };
}
