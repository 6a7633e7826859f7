import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { idLowerBound } from '../../src/lib/ids.js';
import { WebhookRejected } from '../../src/providers/contract.js';
import { StripeProvider, checkoutExpiry } from '../../src/providers/stripe/index.js';
import { mapEvent, sessionState } from '../../src/providers/stripe/status.js';
import { fromStripeAmount, toStripeAmount } from '../../src/providers/stripe/units.js';

const refusal = (env: Record<string, string>): ConfigError => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted it');
};

describe('Stripe configuration', () => {
  it('is off without keys, on with both; STRIPE_API_URL only counts with both', () => {
    expect(loadConfig({}).stripe).toBeNull();
    expect(loadConfig({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' }).stripe).toEqual({
      secretKey: 'sk_test_1',
      webhookSecret: 'whsec_1',
      apiUrl: null,
    });
    expect(
      loadConfig({
        STRIPE_SECRET_KEY: 'sk_test_1',
        STRIPE_WEBHOOK_SECRET: 'whsec_1',
        STRIPE_API_URL: 'http://127.0.0.1:12111/',
      }).stripe?.apiUrl,
    ).toBe('http://127.0.0.1:12111');
  });

  it.each([
    [{ STRIPE_SECRET_KEY: 'sk_test_1' }, 'STRIPE_WEBHOOK_SECRET'],
    [{ STRIPE_WEBHOOK_SECRET: 'whsec_1' }, 'STRIPE_SECRET_KEY'],
    [{ STRIPE_API_URL: 'http://127.0.0.1:12111' }, 'STRIPE_API_URL'],
    [{ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_1', STRIPE_API_URL: 'ftp://x' }, 'STRIPE_API_URL'],
    [
      { STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_1', STRIPE_API_URL: 'not a url' },
      'STRIPE_API_URL',
    ],
  ])('refuses %j naming %s', (env, variable) => {
    const err = refusal(env);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
  });
});

describe('Stripe amounts', () => {
  it('are Coffer minor units, zero-decimal currencies included; ISK is two-decimal at Stripe', () => {
    expect(toStripeAmount(5175n, 'USD')).toBe(5175);
    expect(toStripeAmount(2103n, 'JPY')).toBe(2103);
    expect(toStripeAmount(15000n, 'KRW')).toBe(15000);
    expect(toStripeAmount(5n, 'ISK')).toBe(500);
    expect(fromStripeAmount(500, 'isk')).toBe(5n);
    expect(fromStripeAmount(2103, 'jpy')).toBe(2103n);
    expect(toStripeAmount(5120n, 'KWD')).toBe(5120);
  });

  it('refuses what Stripe cannot take rather than rounding it', () => {
    expect(() => toStripeAmount(5125n, 'KWD')).toThrow('Stripe takes KWD amounts only in multiples of 0.010');
    expect(() => toStripeAmount(0n, 'USD')).toThrow('out of range');
    expect(() => toStripeAmount(BigInt(Number.MAX_SAFE_INTEGER) + 1n, 'USD')).toThrow('out of range');
    expect(() => fromStripeAmount(1.5, 'usd')).toThrow('not a non-negative integer');
  });
});

describe('checkout expiry', () => {
  const T = Date.UTC(2025, 0, 1, 12, 0, 0);
  const order = idLowerBound('ord', new Date(T));
  const s = T / 1000;
  const at = (expiresAfterS: number, nowAfterS: number) =>
    checkoutExpiry(order, new Date(T + expiresAfterS * 1000), T + nowAfterS * 1000);

  it('is the order expiry when Stripe accepts it', () => {
    expect(at(3600, 1)).toBe(s + 3600);
    expect(at(12 * 3600, 1)).toBe(s + 12 * 3600);
  });

  it("clamps into Stripe's 30 min – 24 h, anchored on the order so a retry sends the same value", () => {
    expect(at(1800, 1)).toBe(s + 2400);
    expect(at(1800, 540)).toBe(s + 2400);
    expect(at(3 * 86400, 1)).toBe(s + 86400 - 60);
    expect(at(3 * 86400, 3600)).toBe(s + 86400 - 60);
  });

  it("a create long after the order was made still meets Stripe's floor", () => {
    expect(at(1800, 541)).toBe(s + 541 + 1800 + 60);
    expect(at(1800, 1200)).toBe(s + 1200 + 1800 + 60);
    expect(at(3600, 3600)).toBe(s + 3600 + 1800 + 60);
  });
});

const session = (patch: Record<string, unknown> = {}) => ({
  id: 'cs_test_a1x',
  object: 'checkout.session',
  amount_total: 5175,
  currency: 'usd',
  payment_status: 'paid',
  status: 'complete',
  client_reference_id: 'ord_1',
  metadata: { coffer_order_id: 'ord_1' },
  payment_intent: 'pi_1',
  ...patch,
});
const event = (type: string, object: Record<string, unknown>) =>
  ({ id: 'evt_1', object: 'event', type, data: { object } }) as unknown as Stripe.Event;

describe('Stripe events → Coffer news', () => {
  it.each([
    [
      'checkout.session.completed',
      session(),
      { kind: 'succeeded', amountMinor: 5175n, currency: 'USD', network: null },
    ],
    ['checkout.session.completed', session({ payment_status: 'unpaid' }), { kind: 'processing' }],
    [
      'checkout.session.async_payment_succeeded',
      session(),
      { kind: 'succeeded', amountMinor: 5175n, currency: 'USD', network: null },
    ],
    [
      'checkout.session.async_payment_failed',
      session({ payment_status: 'unpaid' }),
      { kind: 'failed', reason: 'the delayed payment failed at Stripe' },
    ],
    ['checkout.session.expired', session({ status: 'expired', payment_status: 'unpaid' }), { kind: 'expired' }],
  ])('%s → %j', (type, object, news) => {
    expect(mapEvent(event(type, object))).toEqual({
      paymentId: 'cs_test_a1x',
      orderId: 'ord_1',
      paymentIntent: null,
      news,
    });
  });

  it("charge and dispute events name the PaymentIntent; the amounts are Stripe's", () => {
    const charge = {
      id: 'ch_1',
      object: 'charge',
      amount: 5175,
      amount_refunded: 1035,
      currency: 'usd',
      payment_intent: 'pi_1',
      metadata: {},
    };
    expect(mapEvent(event('charge.refunded', charge))).toEqual({
      paymentId: null,
      orderId: null,
      paymentIntent: 'pi_1',
      news: { kind: 'refunded', totalRefundedMinor: 1035n, currency: 'USD' },
    });
    const dispute = {
      id: 'du_1',
      object: 'dispute',
      amount: 5175,
      currency: 'usd',
      payment_intent: 'pi_1',
      reason: 'fraudulent',
      status: 'needs_response',
      metadata: {},
    };
    expect(mapEvent(event('charge.dispute.created', dispute)).news).toEqual({
      kind: 'dispute_opened',
      disputeId: 'du_1',
      amountMinor: 5175n,
      currency: 'USD',
      reason: 'fraudulent',
    });
    expect(mapEvent(event('charge.dispute.closed', { ...dispute, status: 'won' })).news).toEqual({
      kind: 'dispute_closed',
      disputeId: 'du_1',
      won: true,
    });
    expect(mapEvent(event('charge.dispute.closed', { ...dispute, status: 'lost' })).news).toEqual({
      kind: 'dispute_closed',
      disputeId: 'du_1',
      won: false,
    });
    expect(mapEvent(event('charge.dispute.closed', { ...dispute, status: 'warning_closed' })).news).toEqual({
      kind: 'dispute_closed',
      disputeId: 'du_1',
      won: true,
    });
  });

  it('unknown types carry no news; malformed objects are refused', () => {
    expect(mapEvent(event('customer.created', { id: 'cus_1' }))).toEqual({
      paymentId: null,
      orderId: null,
      paymentIntent: null,
      news: null,
    });
    expect(() => mapEvent(event('checkout.session.completed', { id: 'pi_1' }))).toThrow(WebhookRejected);
    expect(() => mapEvent(event('checkout.session.completed', session({ amount_total: null })))).toThrow(
      'the session has no amount',
    );
    expect(() => mapEvent(event('charge.refunded', { id: 'ch_1', amount_refunded: -1, currency: 'usd' }))).toThrow(
      WebhookRejected,
    );
  });

  it('a session is succeeded only when paid', () => {
    expect(sessionState(session() as unknown as Stripe.Checkout.Session)).toEqual({
      paymentId: 'cs_test_a1x',
      status: 'succeeded',
      amountMinor: 5175n,
      currency: 'USD',
      network: null,
    });
    expect(sessionState(session({ payment_status: 'unpaid' }) as unknown as Stripe.Checkout.Session).status).toBe(
      'processing',
    );
    expect(
      sessionState(session({ payment_status: 'unpaid', status: 'open' }) as unknown as Stripe.Checkout.Session).status,
    ).toBe('requires_payment');
    expect(
      sessionState(session({ payment_status: 'unpaid', status: 'expired' }) as unknown as Stripe.Checkout.Session),
    ).toMatchObject({ status: 'failed', amountMinor: null });
  });
});

describe('Stripe webhook signatures', () => {
  const provider = new StripeProvider({
    secretKey: 'sk_test_unit',
    webhookSecret: 'whsec_unit',
    apiUrl: null,
    publicUrl: 'https://pay.example.com',
  });
  const payload = JSON.stringify(
    event('checkout.session.expired', session({ status: 'expired', payment_status: 'unpaid' })),
  );
  const sign = (secret = 'whsec_unit', timestamp = Math.floor(Date.now() / 1000)) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
  const parse = (header: string | string[] | undefined, body = payload) =>
    provider.parseWebhook(Buffer.from(body), { 'stripe-signature': header });

  it('accepts a signed event within 300 s and normalises it', async () => {
    expect(await parse(sign(undefined, Math.floor(Date.now() / 1000) - 299))).toEqual({
      eventId: 'evt_1',
      type: 'checkout.session.expired',
      paymentId: 'cs_test_a1x',
      orderId: 'ord_1',
      news: { kind: 'expired' },
    });
  });

  it.each([
    ['another secret', () => sign('whsec_other'), payload],
    ['301 s old', () => sign(undefined, Math.floor(Date.now() / 1000) - 301), payload],
    ['301 s ahead', () => sign(undefined, Math.floor(Date.now() / 1000) + 301), payload],
    ['an altered body', () => sign(), payload.replace('expired', 'complete')],
    ['no header', () => undefined, payload],
    ['a header array', () => [sign()], payload],
  ])('refuses %s', async (_name, header, body) => {
    await expect(parse(header(), body)).rejects.toBeInstanceOf(WebhookRejected);
  });
});
