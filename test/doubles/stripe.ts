import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A local HTTP double of the part of Stripe's API that Coffer uses, speaking Stripe's wire format:
 * form-encoded requests with bracketed keys (as the official SDK sends them), JSON objects with
 * Stripe's id prefixes and `object` fields, amounts in minor units, the `{ error: { type, code,
 * message, param } }` body with Stripe's status codes (400, 401, 402, 404, 500), `Request-Id`
 * headers, and `Idempotency-Key` replay (same key and same parameters → the first response with
 * `Idempotent-Replayed: true`; same key, other parameters → 400 `idempotency_error`).
 *
 * Endpoints: POST /v1/checkout/sessions, GET /v1/checkout/sessions/:id,
 * GET /v1/payment_intents/:id, POST /v1/refunds, GET /c/pay/:id (a stand-in hosted page).
 *
 * Test controls play what happens on Stripe's side (a customer paying, a delayed payment settling,
 * a refund made in the dashboard, a dispute) and build events signed exactly as Stripe signs them
 * (`Stripe-Signature: t=…,v1=…`, through the SDK's generateTestHeaderString). Charges here carry
 * no metadata of their own, so the adapter's lookup of the order through the PaymentIntent is what
 * the tests exercise.
 *
 * Injected failures (failNext) happen in front of the idempotency layer, like a network or load
 * balancer fault: they are not saved under the key. `drop_after` processes the request (and saves
 * it) and then loses the response — the case where a retry must get the first result back.
 */

type Json = Record<string, any>;
type Failure =
  { status: number; type: string; code?: string; message: string; decline_code?: string } | 'drop' | 'drop_after';

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  authorization: string | null;
  stripeVersion: string | null;
  body: Json;
  /** status sent, or 'dropped' */
  outcome: number | 'dropped';
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const rand = (n: number) => Array.from(crypto.randomBytes(n), (b) => ALNUM[b % ALNUM.length]).join('');
const nowS = () => Math.floor(Date.now() / 1000);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Stripe's form encoding (`a[b][0][c]=v`) back into nested objects and arrays; values stay strings. */
export function parseForm(raw: string): Json {
  const out: Json = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: any = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = node[part] ??= /^\d+$/.test(path[i + 1]) ? [] : {};
    });
  }
  return out;
}

export const STRIPE_ERRORS = {
  card_declined: {
    status: 402,
    type: 'card_error',
    code: 'card_declined',
    decline_code: 'generic_decline',
    message: 'Your card was declined.',
  },
  invalid_request: {
    status: 400,
    type: 'invalid_request_error',
    code: 'parameter_invalid_integer',
    message: 'Invalid integer: abc',
  },
  api_error: { status: 500, type: 'api_error', message: 'An unknown error occurred' },
  rate_limit: { status: 429, type: 'rate_limit_error', code: 'rate_limit', message: 'Request rate limit exceeded.' },
} as const;

class Refusal {
  constructor(
    readonly status: number,
    readonly error: Json,
  ) {}
}
const invalid = (message: string, extra: Json = {}) =>
  new Refusal(400, { type: 'invalid_request_error', message, ...extra });
const missing = (what: string, id: string, param: string) =>
  new Refusal(404, {
    code: 'resource_missing',
    doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
    message: `No such ${what}: '${id}'`,
    param,
    type: 'invalid_request_error',
  });

export class StripeDouble {
  readonly requests: RecordedRequest[] = [];
  readonly sessions = new Map<string, Json>();
  readonly paymentIntents = new Map<string, Json>();
  readonly charges = new Map<string, Json>();
  readonly refunds = new Map<string, Json>();
  readonly disputes = new Map<string, Json>();
  /** where session URLs point; null = this double (a test may set a foreign host) */
  checkoutBase: string | null = null;
  private failures: Failure[] = [];
  private readonly idempotent = new Map<string, { fingerprint: string; status: number; body: string }>();
  private server!: http.Server;
  url = '';

  constructor(
    readonly secretKey = 'sk_test_x',
    readonly webhookSecret = 'whsec_x',
  ) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The next `n` API requests fail with this Stripe error (before the idempotency layer: not saved), or lose their connection. */
  failNext(n: number, failure: Failure): void {
    for (let i = 0; i < n; i++) this.failures.push(failure);
  }

  createRequests(orderId?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        r.method === 'POST' &&
        r.path === '/v1/checkout/sessions' &&
        (!orderId || r.body.client_reference_id === orderId),
    );
  }

  sessionsOf(orderId: string): Json[] {
    return [...this.sessions.values()].filter((s) => s.client_reference_id === orderId);
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      idempotencyKey: header('idempotency-key'),
      authorization: header('authorization'),
      stripeVersion: header('stripe-version'),
      body: parseForm(raw),
      outcome: 'dropped',
    };
    this.requests.push(record);
    if (path.startsWith('/c/pay/'))
      return void res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>Stripe Checkout (double)</title>');
    const failure = this.failures.shift();
    if (failure === 'drop') return void req.socket.destroy();
    const send = (status: number, body: string, extra: Record<string, string> = {}) => {
      if (failure === 'drop_after') return void req.socket.destroy();
      record.outcome = status;
      res
        .writeHead(status, {
          'content-type': 'application/json',
          'request-id': `req_${rand(14)}`,
          'stripe-version': record.stripeVersion ?? Stripe.API_VERSION,
          ...extra,
        })
        .end(body);
    };
    if (typeof failure === 'object') {
      const { status, ...error } = failure;
      return send(status, JSON.stringify({ error }));
    }
    if (record.authorization !== `Bearer ${this.secretKey}`) {
      const shown = (record.authorization ?? '').replace(/^Bearer /, '');
      return send(
        401,
        JSON.stringify({
          error: {
            message: `Invalid API Key provided: ${shown.slice(0, 8)}${'*'.repeat(4)}${shown.slice(-4)}`,
            type: 'invalid_request_error',
          },
        }),
      );
    }
    const key = record.idempotencyKey;
    const fingerprint = `${record.method} ${path} ${raw}`;
    if (key && record.method === 'POST') {
      const seen = this.idempotent.get(key);
      if (seen && seen.fingerprint !== fingerprint) {
        return send(
          400,
          JSON.stringify({
            error: {
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
              type: 'idempotency_error',
            },
          }),
        );
      }
      if (seen) return send(seen.status, seen.body, { 'idempotent-replayed': 'true', 'idempotency-key': key });
    }
    let status = 200;
    let body: string;
    try {
      body = JSON.stringify(this.route(record.method, path, record.body));
    } catch (err) {
      const refusal =
        err instanceof Refusal
          ? err
          : new Refusal(500, { message: `double: ${(err as Error).message}`, type: 'api_error' });
      status = refusal.status;
      body = JSON.stringify({ error: refusal.error });
    }
    if (key && record.method === 'POST') this.idempotent.set(key, { fingerprint, status, body });
    send(status, body, key ? { 'idempotency-key': key } : {});
  }

  private route(method: string, path: string, body: Json): Json {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') return this.createSession(body);
    if (method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path)))
      return this.get(this.sessions, m[1], 'checkout.session', 'session');
    if (method === 'GET' && (m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path)))
      return this.get(this.paymentIntents, m[1], 'payment_intent', 'intent');
    if (method === 'POST' && path === '/v1/refunds') return this.createRefund(body);
    throw new Refusal(404, {
      message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
      type: 'invalid_request_error',
    });
  }

  private get(map: Map<string, Json>, id: string, what: string, param: string): Json {
    const found = map.get(decodeURIComponent(id));
    if (!found) throw missing(what, id, param);
    return clone(found);
  }

  private createSession(p: Json): Json {
    if (p.mode !== 'payment')
      throw invalid(p.mode ? `Invalid mode: ${p.mode}` : 'Missing required param: mode.', {
        code: p.mode ? undefined : 'parameter_missing',
        param: 'mode',
      });
    const item = p.line_items?.[0];
    if (!item?.price_data)
      throw invalid('Missing required param: line_items.', { code: 'parameter_missing', param: 'line_items' });
    const unit = Number(item.price_data.unit_amount);
    if (!/^\d+$/.test(item.price_data.unit_amount ?? '')) {
      throw invalid(`Invalid integer: ${item.price_data.unit_amount}`, {
        code: 'parameter_invalid_integer',
        param: 'line_items[0][price_data][unit_amount]',
      });
    }
    const created = nowS();
    const expiresAt = p.expires_at === undefined ? created + 24 * 3600 : Number(p.expires_at);
    if (expiresAt < created + 30 * 60)
      throw invalid('The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.', {
        param: 'expires_at',
      });
    if (expiresAt > created + 24 * 3600)
      throw invalid('The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.', {
        param: 'expires_at',
      });
    const id = `cs_test_a1${rand(56)}`;
    const amount = unit * Number(item.quantity ?? 1);
    const session = {
      id,
      object: 'checkout.session',
      adaptive_pricing: { enabled: p.adaptive_pricing?.enabled === 'true' },
      after_expiration: null,
      allow_promotion_codes: null,
      amount_subtotal: amount,
      amount_total: amount,
      automatic_tax: { enabled: false, liability: null, status: null },
      billing_address_collection: null,
      cancel_url: p.cancel_url ?? null,
      client_reference_id: p.client_reference_id ?? null,
      client_secret: null,
      consent: null,
      consent_collection: null,
      created,
      currency: String(item.price_data.currency).toLowerCase(),
      custom_fields: [],
      custom_text: {},
      customer: null,
      customer_creation: 'if_required',
      customer_details: null,
      customer_email: null,
      expires_at: expiresAt,
      invoice: null,
      invoice_creation: null,
      livemode: false,
      locale: null,
      metadata: p.metadata ?? {},
      mode: 'payment',
      payment_intent: null,
      payment_link: null,
      payment_method_collection: 'if_required',
      payment_method_options: {},
      payment_method_types: ['card'],
      payment_status: 'unpaid',
      phone_number_collection: { enabled: false },
      recovered_from: null,
      setup_intent: null,
      shipping_address_collection: null,
      shipping_cost: null,
      shipping_options: [],
      status: 'open',
      submit_type: null,
      subscription: null,
      success_url: p.success_url ?? null,
      total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
      ui_mode: 'hosted',
      url: `${this.checkoutBase ?? this.url}/c/pay/${id}`,
      // kept for the double: what the PaymentIntent will carry once the customer pays
      _pi_metadata: p.payment_intent_data?.metadata ?? {},
    };
    this.sessions.set(id, session);
    return this.present(session);
  }

  private present(session: Json): Json {
    const { _pi_metadata: _, ...rest } = session;
    return clone(rest);
  }

  private createRefund(p: Json): Json {
    const pi = this.paymentIntents.get(p.payment_intent);
    if (!pi) throw missing('payment_intent', String(p.payment_intent), 'payment_intent');
    const charge = this.charges.get(pi.latest_charge)!;
    const left = charge.amount - charge.amount_refunded;
    if (left === 0)
      throw invalid(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    const amount = p.amount === undefined ? left : Number(p.amount);
    if (amount > left)
      throw invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`, {
        code: 'amount_too_large',
        param: 'amount',
      });
    return clone(this.refundCharge(charge.id, amount, p.metadata ?? {}));
  }

  // ---- what happens on Stripe's side ------------------------------------------------------

  private session(id: string): Json {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`no session ${id} in the double`);
    return s;
  }

  /** Edits a session (e.g. its amount_total), as Stripe's own record. */
  setSession(id: string, patch: Json): void {
    Object.assign(this.session(id), patch);
  }

  /** The customer finished checkout: a PaymentIntent (and, when paid, a Charge) exists; paid or a delayed method still settling. */
  completeSession(id: string, paid = true): Json {
    const s = this.session(id);
    const piId = `pi_3${rand(23)}`;
    const pi = {
      id: piId,
      object: 'payment_intent',
      amount: s.amount_total,
      amount_capturable: 0,
      amount_received: 0,
      canceled_at: null,
      capture_method: 'automatic',
      client_secret: `${piId}_secret_${rand(25)}`,
      confirmation_method: 'automatic',
      created: nowS(),
      currency: s.currency,
      customer: null,
      description: null,
      last_payment_error: null,
      latest_charge: null as string | null,
      livemode: false,
      metadata: clone(s._pi_metadata),
      payment_method: `pm_1${rand(23)}`,
      payment_method_types: ['card'],
      status: 'processing',
    };
    this.paymentIntents.set(piId, pi);
    Object.assign(s, {
      status: 'complete',
      payment_intent: piId,
      customer_details: { email: 'payer@example.com', name: 'Test Payer' },
    });
    if (paid) this.settle(id, true);
    return this.present(s);
  }

  /** A delayed payment settled (async_payment_succeeded) or failed (async_payment_failed). */
  settle(id: string, succeeded: boolean): Json {
    const s = this.session(id);
    const pi = this.paymentIntents.get(s.payment_intent)!;
    if (!succeeded) {
      Object.assign(pi, {
        status: 'requires_payment_method',
        last_payment_error: { code: 'payment_method_provider_decline', type: 'card_error' },
      });
      return this.present(s);
    }
    const chId = `ch_3${rand(23)}`;
    this.charges.set(chId, {
      id: chId,
      object: 'charge',
      amount: pi.amount,
      amount_captured: pi.amount,
      amount_refunded: 0,
      balance_transaction: `txn_3${rand(23)}`,
      billing_details: { email: 'payer@example.com', name: 'Test Payer' },
      captured: true,
      created: nowS(),
      currency: pi.currency,
      customer: null,
      description: null,
      disputed: false,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: {},
      outcome: {
        network_status: 'approved_by_network',
        reason: null,
        risk_level: 'normal',
        seller_message: 'Payment complete.',
        type: 'authorized',
      },
      paid: true,
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      refunded: false,
      status: 'succeeded',
    });
    Object.assign(pi, { status: 'succeeded', amount_received: pi.amount, latest_charge: chId });
    s.payment_status = 'paid';
    return this.present(s);
  }

  expireSession(id: string): Json {
    Object.assign(this.session(id), { status: 'expired', url: null });
    return this.present(this.session(id));
  }

  chargeOf(sessionId: string): Json {
    const pi = this.paymentIntents.get(this.session(sessionId).payment_intent);
    const charge = pi?.latest_charge ? this.charges.get(pi.latest_charge) : undefined;
    if (!charge) throw new Error(`session ${sessionId} has no charge`);
    return clone(charge);
  }

  /** A refund of `amount` on a charge (the API's, or one made in the dashboard); returns the Refund. */
  refundCharge(chargeId: string, amount: number, metadata: Json = {}): Json {
    const charge = this.charges.get(chargeId)!;
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    const refund = {
      id: `re_3${rand(23)}`,
      object: 'refund',
      amount,
      balance_transaction: `txn_3${rand(23)}`,
      charge: chargeId,
      created: nowS(),
      currency: charge.currency,
      destination_details: { card: { type: 'refund' }, type: 'card' },
      metadata,
      payment_intent: charge.payment_intent,
      reason: null,
      receipt_number: null,
      source_transfer_reversal: null,
      status: 'succeeded',
      transfer_reversal: null,
    };
    this.refunds.set(refund.id, refund);
    return refund;
  }

  openDispute(sessionId: string, amount: number, reason = 'fraudulent'): Json {
    const charge = this.charges.get(this.chargeOf(sessionId).id)!;
    charge.disputed = true;
    const dispute = {
      id: `du_1${rand(23)}`,
      object: 'dispute',
      amount,
      balance_transactions: [],
      charge: charge.id,
      created: nowS(),
      currency: charge.currency,
      evidence: {},
      evidence_details: { due_by: nowS() + 7 * 86400, has_evidence: false, past_due: false, submission_count: 0 },
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: charge.payment_intent,
      reason,
      status: 'needs_response',
    };
    this.disputes.set(dispute.id, dispute);
    return clone(dispute);
  }

  closeDispute(id: string, status: 'won' | 'lost' | 'warning_closed'): Json {
    const d = this.disputes.get(id)!;
    d.status = status;
    return clone(d);
  }

  // ---- webhooks ----------------------------------------------------------------------------

  /** A Stripe Event around `object`, signed for the endpoint secret (or another one) at a given time. */
  event(
    type: string,
    object: Json,
    opts: { secret?: string; timestamp?: number; id?: string } = {},
  ): { id: string; payload: string; header: string } {
    const id = opts.id ?? `evt_1${rand(23)}`;
    const event = {
      id,
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: nowS(),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: opts.secret ?? this.webhookSecret,
      timestamp: opts.timestamp,
    });
    return { id, payload, header };
  }

  /** The event for a session as it now is. */
  sessionEvent(type: string, sessionId: string, opts: { secret?: string; timestamp?: number } = {}) {
    return this.event(type, this.present(this.session(sessionId)), opts);
  }
}

export async function startStripeDouble(secretKey?: string, webhookSecret?: string): Promise<StripeDouble> {
  return new StripeDouble(secretKey, webhookSecret).start();
}
