import type pg from 'pg';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { notFound } from '../errors.js';
import type { IdempotencyContext, Outcome } from '../idempotency/index.js';
import { createWalletTransfer } from '../ledger/index.js';
import type { ProviderRegistry } from '../providers/index.js';
import { listProofs, markBankTransferPaid, readProof } from '../topups/proofs.js';
import { cancelTopup, createTopup, getTopup, presentById } from '../topups/index.js';
import { creditChange } from './charts.js';
import { checkPaymentPassword } from './payment-password.js';
import type { PortalCustomer } from './sessions.js';

// The portal's money actions: the platform API's use cases, with the customer always the
// session's. Another customer's order answers not_found, exactly like one that does not exist.

/** The timeline's actor for what the customer does in the portal. */
export const CUSTOMER_ACTOR = 'customer';

/** Refuses (not_found) an order that is not this customer's. */
export async function ownOrder(db: Db, customerId: string, orderId: string): Promise<void> {
  const row = await db
    .selectFrom('orders')
    .select('id')
    .where('id', '=', orderId)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  if (!row) throw notFound('top-up', orderId);
}

/** The Order, with `balance_change` (posted before and after the credit) once it succeeded. */
export async function customerOrder(db: Db, customerId: string, orderId: string, pool?: pg.Pool) {
  const own = await db
    .selectFrom('orders')
    .select(['status', 'expires_at'])
    .where('id', '=', orderId)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  if (!own) throw notFound('top-up', orderId);
  // A pending order past its time is expired on read (getTopup does it); any other is read as it is.
  const due = own.status === 'pending' && own.expires_at.getTime() <= Date.now();
  const order = due ? await getTopup(db, orderId) : await presentById(db, orderId);
  if (order.status !== 'succeeded' || !order.succeeded_at) return order;
  const change = await creditChange(
    db,
    customerId,
    { id: order.id, balance: order.balance, succeededAt: new Date(order.succeeded_at) },
    pool,
  );
  return { ...order, balance_change: change };
}

export interface PortalTopupInput {
  balance: string;
  amountMinor: bigint;
  currency: string;
  method: string;
  network: string | null;
  paymentPassword?: string;
}

/**
 * `POST /portal/api/topups`: POST /v1/topups for the session's customer. A payment from the
 * wallet (method `balance`) needs the payment password first; its check is recorded even when the
 * payment is then refused.
 */
export async function customerTopup(
  deps: { db: Db; config: Config; providers: ProviderRegistry },
  customer: PortalCustomer,
  idem: IdempotencyContext,
  input: PortalTopupInput,
): Promise<Outcome> {
  if (input.method === 'balance') await checkPaymentPassword(deps.db, customer.id, input.paymentPassword);
  return createTopup(deps, idem, {
    customer: customer.id,
    balance: input.balance,
    amountMinor: input.amountMinor,
    currency: input.currency,
    method: input.method,
    network: input.network,
    // No return address: a card provider sends the customer back to the order's own page.
    returnUrl: null,
    actor: 'customer',
  });
}

/** `POST /portal/api/transfers`: wallet → product, after the payment password. */
export async function customerTransfer(
  db: Db,
  customer: PortalCustomer,
  idem: IdempotencyContext,
  input: { to: string; amountMinor: bigint; paymentPassword: string },
): Promise<Outcome> {
  await checkPaymentPassword(db, customer.id, input.paymentPassword);
  return createWalletTransfer(db, idem, {
    customer: customer.id,
    from: 'wallet',
    to: input.to,
    amountMinor: input.amountMinor,
    currency: customer.currency,
  });
}

export async function customerCancel(db: Db, customerId: string, orderId: string): Promise<Outcome> {
  await ownOrder(db, customerId, orderId);
  return cancelTopup(db, null, orderId, CUSTOMER_ACTOR);
}

/** "I have paid" for a bank transfer, with the proof's bytes or without. */
export async function customerMarkPaid(
  db: Db,
  dataDir: string,
  customerId: string,
  orderId: string,
  file: Buffer | null,
) {
  await ownOrder(db, customerId, orderId);
  return markBankTransferPaid(db, dataDir, orderId, file, CUSTOMER_ACTOR);
}

export async function customerProofs(db: Db, customerId: string, orderId: string) {
  await ownOrder(db, customerId, orderId);
  return listProofs(db, orderId);
}

export async function customerProof(db: Db, customerId: string, orderId: string, proofId: string) {
  await ownOrder(db, customerId, orderId);
  return readProof(db, orderId, proofId);
}
