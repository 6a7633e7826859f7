import type Stripe from 'stripe';
import type { PaymentState } from '../contract.js';
import { WebhookRejected } from '../contract.js';
import type { PaymentNews } from '../contract.js';
import { fromStripeAmount, UnsupportedAmount } from './units.js';

/** Metadata keys Coffer sets on the Checkout Session and its PaymentIntent (namespaced: the Stripe account may be shared). */
export const META_ORDER = 'coffer_order_id';
export const META_CUSTOMER = 'coffer_customer_id';

/**
 * The Stripe events Coffer acts on, and what each means (docs/providers.md has the same table).
 * Anything else is acknowledged and ignored.
 */
export const HANDLED_EVENTS = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
  'charge.refunded',
  'charge.dispute.created',
  'charge.dispute.closed',
] as const;

/** What a verified event says, before its order is found. */
export interface MappedEvent {
  /** the Checkout Session id (our payment id) for session events */
  paymentId: string | null;
  orderId: string | null;
  /** for charge and dispute events: the PaymentIntent whose metadata names the order */
  paymentIntent: string | null;
  news: PaymentNews | null;
}

const amountOf = (amount: unknown, currency: unknown, what: string): { amountMinor: bigint; currency: string } => {
  if (typeof currency !== 'string' || !/^[a-z]{3}$/i.test(currency))
    throw new WebhookRejected(`${what} has no currency`);
  if (typeof amount !== 'number') throw new WebhookRejected(`${what} has no amount`);
  try {
    return { amountMinor: fromStripeAmount(amount, currency), currency: currency.toUpperCase() };
  } catch (err) {
    if (err instanceof UnsupportedAmount) throw new WebhookRejected(`${what}: ${err.message}`);
    throw err;
  }
};

const idOf = (ref: string | { id: string } | null | undefined): string | null =>
  ref === null || ref === undefined ? null : typeof ref === 'string' ? ref : ref.id;

function sessionEvent(s: Stripe.Checkout.Session, news: (s: Stripe.Checkout.Session) => PaymentNews): MappedEvent {
  if (typeof s?.id !== 'string' || !s.id.startsWith('cs_'))
    throw new WebhookRejected('data.object is not a Checkout Session');
  return {
    paymentId: s.id,
    orderId: s.client_reference_id ?? s.metadata?.[META_ORDER] ?? null,
    paymentIntent: null,
    news: news(s),
  };
}

const paid = (s: Stripe.Checkout.Session): PaymentNews => ({
  kind: 'succeeded',
  ...amountOf(s.amount_total, s.currency, 'the session'),
  network: null,
});

/** Maps a verified Stripe event to Coffer's news; unknown types carry no news. */
export function mapEvent(event: Stripe.Event): MappedEvent {
  switch (event.type) {
    case 'checkout.session.completed':
      // Card payments are paid at completion; delayed methods (bank debits, vouchers) complete
      // unpaid and report later with async_payment_succeeded / async_payment_failed.
      return sessionEvent(event.data.object, (s) => (s.payment_status === 'paid' ? paid(s) : { kind: 'processing' }));
    case 'checkout.session.async_payment_succeeded':
      return sessionEvent(event.data.object, paid);
    case 'checkout.session.async_payment_failed':
      return sessionEvent(event.data.object, () => ({
        kind: 'failed',
        reason: 'the delayed payment failed at Stripe',
      }));
    case 'checkout.session.expired':
      return sessionEvent(event.data.object, () => ({ kind: 'expired' }));
    case 'charge.refunded': {
      const c = event.data.object;
      const total = amountOf(c.amount_refunded, c.currency, 'the charge');
      return {
        paymentId: null,
        orderId: c.metadata?.[META_ORDER] ?? null,
        paymentIntent: idOf(c.payment_intent),
        news: { kind: 'refunded', totalRefundedMinor: total.amountMinor, currency: total.currency },
      };
    }
    case 'charge.dispute.created': {
      const d = event.data.object;
      if (typeof d.id !== 'string') throw new WebhookRejected('data.object is not a dispute');
      const disputed = amountOf(d.amount, d.currency, 'the dispute');
      return {
        paymentId: null,
        orderId: d.metadata?.[META_ORDER] ?? null,
        paymentIntent: idOf(d.payment_intent),
        news: {
          kind: 'dispute_opened',
          disputeId: d.id,
          amountMinor: disputed.amountMinor,
          currency: disputed.currency,
          reason: String(d.reason ?? 'unknown').slice(0, 100),
        },
      };
    }
    case 'charge.dispute.closed': {
      const d = event.data.object;
      if (typeof d.id !== 'string') throw new WebhookRejected('data.object is not a dispute');
      // `warning_closed`: an inquiry closed without becoming a chargeback — the money stayed with
      // the merchant, so it is given back to the customer exactly like a won dispute.
      const won = d.status === 'won' || d.status === 'warning_closed';
      return {
        paymentId: null,
        orderId: d.metadata?.[META_ORDER] ?? null,
        paymentIntent: idOf(d.payment_intent),
        news: { kind: 'dispute_closed', disputeId: d.id, won },
      };
    }
    default:
      return { paymentId: null, orderId: null, paymentIntent: null, news: null };
  }
}

/**
 * A Checkout Session as the contract's payment state. Only `payment_status: 'paid'` is money
 * received; a completed but unpaid session is a delayed payment still settling.
 */
export function sessionState(s: Stripe.Checkout.Session): PaymentState {
  const currency = (s.currency ?? '').toUpperCase();
  const amountMinor =
    typeof s.amount_total === 'number' && s.currency ? fromStripeAmount(s.amount_total, s.currency) : null;
  const status: PaymentState['status'] =
    s.payment_status === 'paid'
      ? 'succeeded'
      : s.status === 'complete'
        ? 'processing'
        : s.status === 'expired'
          ? 'failed'
          : 'requires_payment';
  return { paymentId: s.id, status, amountMinor: status === 'succeeded' ? amountMinor : null, currency, network: null };
}
