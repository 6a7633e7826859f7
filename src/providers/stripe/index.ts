import Stripe from 'stripe';
import { CofferError } from '../../errors.js';
import { idTime } from '../../lib/ids.js';
import {
  WebhookRejected,
  type CreatedPayment,
  type PaymentProvider,
  type PaymentRequest,
  type PaymentState,
  type ProviderEvent,
} from '../contract.js';
import { mapEvent, META_CUSTOMER, META_ORDER, sessionState } from './status.js';
import { toStripeAmount, UnsupportedAmount } from './units.js';

export { HANDLED_EVENTS } from './status.js';

export interface StripeOptions {
  secretKey: string;
  webhookSecret: string;
  /** base URL of the Stripe API (a local double in tests); null = Stripe's own */
  apiUrl: string | null;
  publicUrl: string;
}

/** Webhook timestamps older (or newer) than this are refused: a captured delivery cannot be replayed later. */
export const STRIPE_TOLERANCE_SECONDS = 300;
const CHECKOUT_HOST = 'checkout.stripe.com';
const TIMEOUT_MS = 10_000;
const MIN_EXPIRY_S = 30 * 60;
const MAX_EXPIRY_S = 24 * 3600;
/** How long after the order was created the session's expiry is still a pure function of the order. */
const STABLE_WINDOW_S = 10 * 60;
const MARGIN_S = 60;

/**
 * A Stripe call that failed: the message is ours (what failed, Stripe's error type/code and request
 * id), never Stripe's raw text or anything of the key, so it can be shown to an API client. It also
 * carries no HTTP status, so the error handler never mistakes it for a client error of ours.
 */
export class StripeUnavailable extends Error {}

function describe(err: unknown, action: string): Error {
  if (err instanceof UnsupportedAmount) return new StripeUnavailable(`Stripe cannot ${action}: ${err.message}`);
  if (!(err instanceof Stripe.errors.StripeError))
    return new StripeUnavailable(`Stripe could not ${action}: unexpected response`);
  const ref = err.requestId ? `; Stripe request ${err.requestId}` : '';
  if (err instanceof Stripe.errors.StripeConnectionError)
    return new StripeUnavailable(`Stripe could not be reached to ${action}`);
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return new StripeUnavailable(
      `Stripe refused Coffer's API key while trying to ${action} (the operator must check STRIPE_SECRET_KEY${ref})`,
    );
  }
  if (err instanceof Stripe.errors.StripeRateLimitError)
    return new StripeUnavailable(`Stripe is limiting requests; could not ${action}${ref}`);
  if ((err.statusCode ?? 500) >= 500)
    return new StripeUnavailable(
      `Stripe had an internal error (HTTP ${err.statusCode ?? 'unknown'}) and could not ${action}${ref}`,
    );
  return new StripeUnavailable(
    `Stripe refused to ${action} (HTTP ${err.statusCode}, ${[err.rawType, err.code].filter(Boolean).join(', ')}${ref})`,
  );
}

/** A webhook that cannot be checked against Stripe now: 503, nothing recorded, Stripe delivers it again. */
const retryLater = (err: Error): CofferError =>
  new CofferError('unavailable', `${err.message}; the event will be accepted when Stripe redelivers it.`);

const isMissing = (err: unknown): boolean =>
  err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing';

/**
 * The session's `expires_at`. Stripe accepts 30 minutes to 24 hours from the request, so the
 * order's own expiry is clamped into that window. The window is anchored on the order's creation
 * time (in its id), not on "now", so a retried create sends exactly the same parameters and
 * Stripe's idempotency replays the first session instead of refusing a changed request. The floor
 * is 10 minutes more than Stripe's minimum, which keeps that true for retries within 9 minutes of
 * the order (a minute is kept as margin for clocks and latency); later (a retry long after a
 * failed first attempt), the floor becomes now + 31 min. A payment
 * after the order's own expiry is still credited (marked paid late), so the longer session is safe.
 */
export function checkoutExpiry(orderId: string, orderExpiresAt: Date, nowMs: number): number {
  const createdS = Math.floor(idTime(orderId).getTime() / 1000);
  const nowS = Math.ceil(nowMs / 1000);
  const anchor = createdS > 0 && createdS <= nowS ? createdS : nowS;
  const wanted = Math.floor(orderExpiresAt.getTime() / 1000);
  let at = Math.min(Math.max(wanted, anchor + MIN_EXPIRY_S + STABLE_WINDOW_S), anchor + MAX_EXPIRY_S - MARGIN_S);
  if (at < nowS + MIN_EXPIRY_S + MARGIN_S) at = nowS + MIN_EXPIRY_S + MARGIN_S;
  return at;
}

/**
 * Where Checkout sends the customer back: the order's `return_url` as given, when the platform
 * gave one (as the sandbox does); otherwise the order's page in the portal, told what happened by
 * `?checkout=success|cancelled`. A pure function of the order, so a retried create sends the same
 * parameters and Stripe's idempotency replays the first session.
 */
export function returnUrls(
  publicUrl: string,
  orderId: string,
  returnUrl: string | null,
): { success: string; cancel: string } {
  if (returnUrl) return { success: returnUrl, cancel: returnUrl };
  const page = `${publicUrl}/orders/${encodeURIComponent(orderId)}`;
  return { success: `${page}?checkout=success`, cancel: `${page}?checkout=cancelled` };
}

/**
 * Stripe Checkout for `card`: one Checkout Session per order (payment mode), confirmed against the
 * session before any credit, refunds through the Refunds API. The SDK is the official `stripe`
 * package, created once; STRIPE_API_URL points it at another host (a local double in tests).
 */
export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe';
  readonly acceptsWebhooks = true;
  private readonly stripe: Stripe;
  /** origins a checkout redirect may go to: Stripe's hosted checkout, and the configured API host */
  private readonly apiOrigin: string | null;

  constructor(private readonly opts: StripeOptions) {
    const base = opts.apiUrl ? new URL(opts.apiUrl) : null;
    this.apiOrigin = base?.origin ?? null;
    this.stripe = new Stripe(opts.secretKey, {
      maxNetworkRetries: 1,
      timeout: TIMEOUT_MS,
      telemetry: false,
      appInfo: { name: 'Coffer' },
      ...(base
        ? {
            host: base.hostname,
            port: base.port || (base.protocol === 'https:' ? 443 : 80),
            protocol: base.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw describe(err, action);
    }
  }

  /** Payment redirects go only to the provider's own hosts (docs/design.md §8). */
  private allowedRedirect(raw: string | null): string {
    let url: URL;
    try {
      url = new URL(raw ?? '');
    } catch {
      throw new StripeUnavailable('Stripe returned a Checkout Session without a valid URL');
    }
    const official = url.protocol === 'https:' && url.hostname === CHECKOUT_HOST && url.port === '';
    if ((official || url.origin === this.apiOrigin) && !url.username && !url.password) return url.toString();
    throw new StripeUnavailable(
      `Stripe returned a checkout URL on ${url.host}, which is not an official Stripe checkout host; the payment was not started`,
    );
  }

  async createPayment(req: PaymentRequest): Promise<CreatedPayment> {
    const unitAmount = await this.call('start the checkout', async () => toStripeAmount(req.amountMinor, req.currency));
    const metadata = { [META_ORDER]: req.orderId, [META_CUSTOMER]: req.customerId };
    const back = returnUrls(this.opts.publicUrl, req.orderId, req.returnUrl);
    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      client_reference_id: req.orderId,
      metadata,
      // On the PaymentIntent too: its charges, refunds and disputes lead back to the order.
      payment_intent_data: { metadata },
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: req.currency.toLowerCase(),
            unit_amount: unitAmount,
            product_data: { name: `Balance top-up ${req.orderId}` },
          },
        },
      ],
      // The customer pays exactly the quoted currency and amount (the fee was shown before paying).
      adaptive_pricing: { enabled: false },
      expires_at: checkoutExpiry(req.orderId, req.expiresAt, Date.now()),
      success_url: back.success,
      cancel_url: back.cancel,
    };
    // One order, one session: the key is the order's, so a retried create (by the SDK or by a
    // client retrying POST /v1/topups) gets the first session back, never a second one.
    const session = await this.call('start the checkout', () =>
      this.stripe.checkout.sessions.create(params, { idempotencyKey: `coffer-checkout-${req.orderId}` }),
    );
    if (!session.id?.startsWith('cs_') || session.client_reference_id !== req.orderId) {
      throw new StripeUnavailable('Stripe returned a Checkout Session for another order; the payment was not started');
    }
    return { paymentId: session.id, nextAction: { type: 'redirect', url: this.allowedRedirect(session.url) } };
  }

  async parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<ProviderEvent> {
    const header = headers['stripe-signature'];
    if (typeof header !== 'string' || header === '')
      throw new WebhookRejected('the Stripe-Signature header is missing');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, header, this.opts.webhookSecret, STRIPE_TOLERANCE_SECONDS);
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0].split('. ')[0].replace(/\.$/, '') : 'invalid';
      throw new WebhookRejected(`Stripe signature check failed: ${message}`);
    }
    // The SDK refuses old timestamps only; a clock far ahead is refused too, as for the sandbox.
    const signedAt = Number(/(?:^|,)t=(\d{1,12})(?:,|$)/.exec(header)?.[1]);
    if (signedAt - Date.now() / 1000 > STRIPE_TOLERANCE_SECONDS)
      throw new WebhookRejected('Stripe signature check failed: Timestamp outside the tolerance zone');
    if (typeof event?.id !== 'string' || typeof event.type !== 'string' || typeof event.data?.object !== 'object') {
      throw new WebhookRejected('the body is not a Stripe event');
    }
    const mapped = mapEvent(event);
    let orderId = mapped.orderId;
    if (mapped.news && !orderId && mapped.paymentIntent)
      orderId = await this.orderOfPaymentIntent(mapped.paymentIntent);
    return { eventId: event.id, type: event.type, paymentId: mapped.paymentId, orderId, news: mapped.news };
  }

  /**
   * Charges and disputes carry no session id: the order is named by the metadata Coffer put on the
   * PaymentIntent (`payment_intent_data.metadata`), read from Stripe itself rather than trusting a
   * copy on the charge. A failure to ask is `503 unavailable`: nothing is recorded, Stripe retries.
   */
  private async orderOfPaymentIntent(id: string): Promise<string | null> {
    try {
      const pi = await this.stripe.paymentIntents.retrieve(id);
      return pi.metadata?.[META_ORDER] ?? null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw retryLater(describe(err, 'look up the payment of a charge'));
    }
  }

  /**
   * The session as Stripe holds it now. An unknown session is reported as failed with nothing
   * received — never as null, which the contract reserves for providers without an API (trusted
   * on their event): a Stripe event is always checked against Stripe.
   */
  async retrievePayment(paymentId: string): Promise<PaymentState | null> {
    try {
      return sessionState(await this.stripe.checkout.sessions.retrieve(paymentId));
    } catch (err) {
      if (isMissing(err)) return { paymentId, status: 'failed', amountMinor: null, currency: '', network: null };
      throw retryLater(describe(err, 'confirm the payment'));
    }
  }

  /** Refunds part or all of the session's payment; the Coffer refund key is Stripe's idempotency key. */
  async refund(
    paymentId: string,
    amountMinor: bigint,
    currency: string,
    key: string,
  ): Promise<{ refundId: string; status: 'succeeded' | 'pending' | 'failed' }> {
    const session = await this.call('find the payment to refund', () =>
      this.stripe.checkout.sessions.retrieve(paymentId),
    );
    const paymentIntent =
      typeof session.payment_intent === 'string' ? session.payment_intent : session.payment_intent?.id;
    if (!paymentIntent || session.payment_status !== 'paid')
      throw new StripeUnavailable(`Checkout Session ${paymentId} has no captured payment to refund`);
    if ((session.currency ?? '').toUpperCase() !== currency.toUpperCase()) {
      throw new StripeUnavailable(
        `Checkout Session ${paymentId} was paid in ${session.currency?.toUpperCase()}, not ${currency}`,
      );
    }
    const refund = await this.call('refund the payment', async () =>
      this.stripe.refunds.create(
        {
          payment_intent: paymentIntent,
          amount: toStripeAmount(amountMinor, currency),
          metadata: { [META_ORDER]: session.client_reference_id ?? '' },
        },
        { idempotencyKey: key },
      ),
    );
    const status =
      refund.status === 'succeeded'
        ? 'succeeded'
        : refund.status === 'failed' || refund.status === 'canceled'
          ? 'failed'
          : 'pending';
    return { refundId: refund.id, status };
  }
}
