import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, SandboxPaymentsTable } from '../db/schema.js';
import { BatchLoader } from '../lib/batch-loader.js';
import { newId } from '../lib/ids.js';
import { isoTime } from '../lib/json.js';
import { formatDecimal } from '../money/index.js';
import {
  WebhookRejected,
  type CreatedPayment,
  type PaymentProvider,
  type PaymentRequest,
  type PaymentState,
  type ProviderEvent,
} from '../providers/contract.js';
import { verifySignature } from '../providers/signature.js';
import { sandboxAddress } from './addresses.js';

export const SANDBOX_TOLERANCE_SECONDS = 300;
const EVENT_TYPES = new Set(['payment.succeeded', 'payment.failed', 'payment.processing']);

export type SandboxEventType = 'payment.succeeded' | 'payment.failed' | 'payment.processing';

/**
 * The sandbox provider: plays a real payment service inside Coffer so every method works with no
 * outside service. It keeps its own tables (sandbox_payments, sandbox_deliveries) and talks to
 * Coffer only the way a real provider does — signed webhooks over HTTP (see delivery.ts).
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  readonly acceptsWebhooks = true;

  // Re-fetches of payments (one per webhook) that arrive together are answered by one query.
  private readonly payments: BatchLoader<string, Selectable<SandboxPaymentsTable>>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly secret: string,
    private readonly publicUrl: string,
  ) {
    this.payments = new BatchLoader(async (ids) => {
      const rows = await this.db
        .selectFrom('sandbox_payments')
        .selectAll()
        .where('id', '=', sql<string>`ANY(${ids}::text[])`)
        .execute();
      return new Map(rows.map((r) => [r.id, r]));
    });
  }

  async createPayment(req: PaymentRequest): Promise<CreatedPayment> {
    await this.db
      .insertInto('sandbox_payments')
      .values({
        id: newId('sbxpay'),
        order_id: req.orderId,
        method: req.method,
        amount: req.amountMinor,
        currency: req.currency,
        network: req.network,
        address: null,
        return_url: req.returnUrl,
      })
      .onConflict((oc) => oc.column('order_id').doNothing())
      .execute();
    const p = await this.db
      .selectFrom('sandbox_payments')
      .selectAll()
      .where('order_id', '=', req.orderId)
      .executeTakeFirstOrThrow();
    if (req.method === 'crypto') {
      const network = req.network ?? 'TRC20';
      const address = sandboxAddress(p.id, network);
      await this.db.updateTable('sandbox_payments').set({ address }).where('id', '=', p.id).execute();
      return {
        paymentId: p.id,
        nextAction: {
          type: 'crypto_transfer',
          asset: req.currency,
          network,
          address,
          amount: formatDecimal(req.amountMinor, req.currency),
          expires_at: isoTime(req.expiresAt),
          simulator_url: `${this.publicUrl}/sandbox/crypto/${p.id}`,
        },
      };
    }
    return { paymentId: p.id, nextAction: { type: 'redirect', url: `${this.publicUrl}/sandbox/checkout/${p.id}` } };
  }

  async parseWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): Promise<ProviderEvent> {
    verifySignature(this.secret, headers['coffer-signature'], rawBody, SANDBOX_TOLERANCE_SECONDS);
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new WebhookRejected('body is not JSON');
    }
    return parseSandboxEvent(body);
  }

  async retrievePayment(paymentId: string): Promise<PaymentState | null> {
    const p = await this.payments.get(paymentId);
    if (!p) return null;
    return {
      paymentId: p.id,
      status: p.status,
      amountMinor: p.received_amount,
      currency: p.currency,
      network: p.received_network ?? p.network,
    };
  }

  async refund(
    paymentId: string,
    _amountMinor: bigint,
    _currency: string,
    key: string,
  ): Promise<{ refundId: string; status: 'succeeded' }> {
    // The sandbox holds no real money: a refund always succeeds, and the key names it.
    return { refundId: `sbxref_${paymentId}_${key}`.slice(0, 120), status: 'succeeded' };
  }
}

// Any id a real provider could send (Stripe's are mixed case): `evt_` then printable ASCII, no
// spaces, ≤ 255 characters in all (the dedupe key is stored as text).
const EVENT_ID = /^evt_[\x21-\x7e]{1,251}$/;

function parseSandboxEvent(body: unknown): ProviderEvent {
  const b = body as { id?: unknown; type?: unknown; data?: Record<string, unknown> };
  if (typeof b !== 'object' || b === null) throw new WebhookRejected('body must be an object');
  if (typeof b.id !== 'string' || !EVENT_ID.test(b.id))
    throw new WebhookRejected('id must be an evt_ id of at most 255 printable characters');
  if (typeof b.type !== 'string' || !EVENT_TYPES.has(b.type))
    throw new WebhookRejected('type is not a sandbox event type');
  const d = b.data;
  if (typeof d !== 'object' || d === null) throw new WebhookRejected('data must be an object');
  if (typeof d.payment_id !== 'string' || d.payment_id.length > 100)
    throw new WebhookRejected('data.payment_id must be a string');
  if (typeof d.currency !== 'string' || !/^[A-Z][A-Z0-9]{2,9}$/.test(d.currency))
    throw new WebhookRejected('data.currency must be a currency code');
  if (typeof d.amount !== 'number' || !Number.isSafeInteger(d.amount) || d.amount < 0)
    throw new WebhookRejected('data.amount must be a non-negative integer');
  if (d.network !== undefined && d.network !== null && (typeof d.network !== 'string' || d.network.length > 20)) {
    throw new WebhookRejected('data.network must be a string');
  }
  const network = typeof d.network === 'string' ? d.network : null;
  const amountMinor = BigInt(d.amount);
  const news =
    b.type === 'payment.succeeded'
      ? { kind: 'succeeded' as const, amountMinor, currency: d.currency, network }
      : b.type === 'payment.failed'
        ? { kind: 'failed' as const, reason: typeof d.reason === 'string' ? d.reason.slice(0, 200) : 'declined' }
        : { kind: 'processing' as const };
  return { eventId: b.id, type: b.type, paymentId: d.payment_id, news };
}

/** Records what the simulated payer did and queues the event the sandbox will deliver for it. */
export async function recordSandboxEvent(
  tx: Transaction<Database>,
  paymentId: string,
  type: SandboxEventType,
  data: { amount: bigint; currency: string; network?: string | null; reason?: string },
): Promise<string> {
  const eventId = newId('evt');
  const body = JSON.stringify({
    id: eventId,
    type,
    created: Math.floor(Date.now() / 1000),
    data: {
      payment_id: paymentId,
      amount: Number(data.amount),
      currency: data.currency,
      ...(data.network ? { network: data.network } : {}),
      ...(data.reason ? { reason: data.reason } : {}),
    },
  });
  await tx.insertInto('sandbox_deliveries').values({ event_id: eventId, payment_id: paymentId, body }).execute();
  return eventId;
}
