import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../db/pool.js';
import type { OrderStatus, SandboxPaymentsTable } from '../db/schema.js';
import { isSafeMinor } from '../money/index.js';
import { recordSandboxEvent } from './provider.js';

/**
 * The simulated payer: what a customer does on the sandbox's hosted pages (pay or decline a card,
 * deposit crypto and wait for confirmations). Each action locks the sandbox payment row, checks
 * its state, moves it and queues the matching webhook in the same transaction, so a double click
 * or two tabs can never produce two events for one step.
 */

export type SandboxPayment = Selectable<SandboxPaymentsTable>;
export type SandboxStatus = SandboxPayment['status'];
export type SandboxMethod = 'card' | 'crypto';

/** What the pages show of the Coffer order behind a payment (null if it is missing). */
export interface SandboxOrderInfo {
  status: OrderStatus;
  expires_at: Date;
}

export const SANDBOX_NETWORKS = ['TRC20', 'ERC20', 'BEP20'] as const;
export type SandboxNetwork = (typeof SANDBOX_NETWORKS)[number];

/** The payment is not in a state that allows the action (already paid, declined, …). */
export class SandboxActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxActionError';
  }
}

/** No sandbox payment with this id (for this method). */
export class SandboxNotFoundError extends Error {
  constructor(id: string) {
    super(`No sandbox payment ${id}.`);
    this.name = 'SandboxNotFoundError';
  }
}

/** The payer's input is unusable (bad amount or network). */
export class SandboxInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxInputError';
  }
}

export function isSandboxNetwork(value: unknown): value is SandboxNetwork {
  return typeof value === 'string' && (SANDBOX_NETWORKS as readonly string[]).includes(value);
}

/**
 * A payment and its order for display. One statement (a left join) is already a consistent
 * snapshot, and a page view must not queue behind a payer's action, so no lock is taken here.
 */
export async function getSandboxPayment(
  db: Db,
  id: string,
): Promise<{ payment: SandboxPayment; order: SandboxOrderInfo | null } | null> {
  const row = await db
    .selectFrom('sandbox_payments as p')
    .leftJoin('orders as o', 'o.id', 'p.order_id')
    .selectAll('p')
    .select(['o.status as order_status', 'o.expires_at as order_expires_at'])
    .where('p.id', '=', id)
    .executeTakeFirst();
  if (!row) return null;
  const { order_status, order_expires_at, ...payment } = row;
  const order = order_status && order_expires_at ? { status: order_status, expires_at: order_expires_at } : null;
  return { payment, order };
}

/** Locks the payment; a payment of another method is "not found" so card ids never work on crypto pages. */
async function lockPayment(tx: Tx, id: string, method: SandboxMethod): Promise<SandboxPayment> {
  const p = await tx.selectFrom('sandbox_payments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!p || p.method !== method) throw new SandboxNotFoundError(id);
  return p;
}

const STATUS_TEXT: Record<SandboxStatus, string> = {
  requires_payment: 'is still waiting for payment',
  processing: 'already has a deposit waiting for confirmations',
  succeeded: 'has already succeeded',
  failed: 'has already been declined',
};

function requireStatus(p: SandboxPayment, wanted: SandboxStatus, action: string): void {
  if (p.status === wanted) return;
  throw new SandboxActionError(`Cannot ${action}: this payment ${STATUS_TEXT[p.status]}.`);
}

type Patch = Partial<Pick<SandboxPayment, 'received_amount' | 'received_network'>>;

async function movePayment(tx: Tx, p: SandboxPayment, to: SandboxStatus, patch: Patch = {}): Promise<SandboxPayment> {
  return tx
    .updateTable('sandbox_payments')
    .set({ ...patch, status: to, updated_at: sql`now()` })
    .where('id', '=', p.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The payer completes the card form: the full amount is received at once. */
export async function payCard(db: Db, id: string): Promise<SandboxPayment> {
  return db.transaction().execute(async (tx) => {
    const p = await lockPayment(tx, id, 'card');
    requireStatus(p, 'requires_payment', 'pay');
    const updated = await movePayment(tx, p, 'succeeded', { received_amount: p.amount });
    await recordSandboxEvent(tx, id, 'payment.succeeded', { amount: p.amount, currency: p.currency });
    return updated;
  });
}

/** The payer's card is declined: the payment fails for good (a new order is needed to retry). */
export async function declineCard(db: Db, id: string): Promise<SandboxPayment> {
  return db.transaction().execute(async (tx) => {
    const p = await lockPayment(tx, id, 'card');
    requireStatus(p, 'requires_payment', 'decline');
    const updated = await movePayment(tx, p, 'failed');
    await recordSandboxEvent(tx, id, 'payment.failed', {
      amount: p.amount,
      currency: p.currency,
      reason: 'card_declined',
    });
    return updated;
  });
}

/**
 * A deposit is seen on chain but not yet confirmed. Any amount and any supported network are
 * accepted on purpose: under/over-payments and wrong-network deposits are what the sandbox is
 * for testing. Only one deposit per payment, so the received amount is unambiguous.
 */
export async function depositCrypto(db: Db, id: string, amountMinor: bigint, network: string): Promise<SandboxPayment> {
  if (!isSafeMinor(amountMinor)) throw new SandboxInputError('The deposit amount must be greater than zero.');
  if (!isSandboxNetwork(network))
    throw new SandboxInputError(`The network must be one of ${SANDBOX_NETWORKS.join(', ')}.`);
  return db.transaction().execute(async (tx) => {
    const p = await lockPayment(tx, id, 'crypto');
    requireStatus(p, 'requires_payment', 'deposit');
    const updated = await movePayment(tx, p, 'processing', { received_amount: amountMinor, received_network: network });
    await recordSandboxEvent(tx, id, 'payment.processing', { amount: amountMinor, currency: p.currency, network });
    return updated;
  });
}

/** The deposit reaches enough confirmations: it succeeds with what was actually received. */
export async function confirmCrypto(db: Db, id: string): Promise<SandboxPayment> {
  return db.transaction().execute(async (tx) => {
    const p = await lockPayment(tx, id, 'crypto');
    requireStatus(p, 'processing', 'add confirmations');
    // 'processing' is only ever entered by depositCrypto, which sets the received amount.
    if (p.received_amount === null) throw new Error(`sandbox payment ${id} is processing without a received amount`);
    const updated = await movePayment(tx, p, 'succeeded');
    await recordSandboxEvent(tx, id, 'payment.succeeded', {
      amount: p.received_amount,
      currency: p.currency,
      network: p.received_network,
    });
    return updated;
  });
}
