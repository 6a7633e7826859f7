import type { PaymentState } from '../contract.js';

/** NOWPayments' payment statuses (its "Get payment status" documentation). */
export type NowPaymentsStatus =
  | 'waiting'
  | 'confirming'
  | 'confirmed'
  | 'sending'
  | 'partially_paid'
  | 'finished'
  | 'failed'
  | 'refunded'
  | 'expired';

/** What an IPN with this status tells Coffer (`none`: nothing to act on). */
export type NewsKind = 'none' | 'processing' | 'succeeded' | 'failed' | 'refunded' | 'expired';

export interface StatusMeaning {
  /** the news an IPN with this status becomes */
  news: NewsKind;
  /** the status `retrievePayment` reports for a payment in this status (what the credit check sees) */
  state: PaymentState['status'];
  /** for the docs and the timeline: what NOWPayments means by it */
  means: string;
}

/**
 * The whole translation, in one table (docs/design.md §11). Decisions:
 * - `waiting` is news of nothing: the payment exists and no funds were seen, which is exactly what a
 *   pending order already says. Moving the order to `processing` would tell the customer their
 *   transfer was seen when it was not.
 * - `confirming`, `confirmed` and `sending` all mean "funds seen, not yet settled": `processing`.
 * - `partially_paid` and `finished` are both settled with funds received (NOWPayments reports
 *   `partially_paid` once the funds reached the wallet): `succeeded` for the amount actually paid.
 *   Coffer's decision table credits a full or over-payment and sends an under-payment to
 *   `processing` with `needs_review`, so the short payment is reviewed, never silently credited.
 * - `refunded` is money going back after the fact (reversal); `failed` and `expired` end the order
 *   if it is still pending (a payment that settled is never undone by them).
 */
export const STATUS_TABLE: Readonly<Record<NowPaymentsStatus, StatusMeaning>> = {
  waiting: { news: 'none', state: 'requires_payment', means: 'Waiting for the customer to send the funds' },
  confirming: {
    news: 'processing',
    state: 'processing',
    means: 'The transfer was seen on the blockchain and is being confirmed',
  },
  confirmed: { news: 'processing', state: 'processing', means: 'The transfer has enough confirmations' },
  sending: {
    news: 'processing',
    state: 'processing',
    means: 'NOWPayments is sending the funds to the merchant wallet',
  },
  partially_paid: { news: 'succeeded', state: 'succeeded', means: 'Less than the asked amount arrived' },
  finished: { news: 'succeeded', state: 'succeeded', means: 'The funds reached the merchant wallet' },
  failed: { news: 'failed', state: 'failed', means: 'The payment failed' },
  refunded: { news: 'refunded', state: 'failed', means: 'The funds were sent back to the payer' },
  expired: { news: 'expired', state: 'failed', means: 'Nothing was sent before the payment expired' },
};

/** The meaning of a status string; a status NOWPayments adds later is news of nothing, never a credit. */
export function statusMeaning(status: string): StatusMeaning {
  return Object.hasOwn(STATUS_TABLE, status)
    ? STATUS_TABLE[status as NowPaymentsStatus]
    : { news: 'none', state: 'processing', means: `Unknown NOWPayments status "${status}"` };
}
