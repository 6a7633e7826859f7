import { sql } from 'kysely';
import type { Db, Tx } from '../db/pool.js';
import { CofferError, invalidRequest, notFound } from '../errors.js';
import { ledgerReference, runIdempotent, type IdempotencyContext, type Outcome } from '../idempotency/index.js';
import { newId } from '../lib/ids.js';
import { available, balanceView, lockAccountById, lockBalance, systemAccount, type LockedAccount } from './accounts.js';
import { postTransfer } from './post.js';
import { assertCanSpend, assertCurrency, insufficientFunds, revenueAccountCode } from './rules.js';
import { presentHold, type HoldRow } from './presenters.js';

export const HOLD_MAX_SECONDS = 604_800;
export const HOLD_DEFAULT_SECONDS = 3_600;

/** Hold state machine: only an active hold moves, and only to one of these. */
export const HOLD_TRANSITIONS = {
  active: ['captured', 'voided', 'expired'],
  captured: [],
  voided: [],
  expired: [],
} as const satisfies Record<string, readonly string[]>;

type HoldStatus = keyof typeof HOLD_TRANSITIONS;

function assertTransition(hold: HoldRow, to: HoldStatus): void {
  const allowed: readonly string[] = HOLD_TRANSITIONS[hold.status as HoldStatus] ?? [];
  if (!allowed.includes(to)) throw holdNotActive(hold);
}

export interface CreateHoldInput {
  customer: string;
  balance: string;
  amountMinor: bigint;
  currency: string;
  expiresInSeconds: number;
  description: string | null;
}

export function createHold(db: Db, idem: IdempotencyContext, input: CreateHoldInput): Promise<Outcome> {
  return runIdempotent(db, idem, async (tx) => {
    const acc = await lockBalance(tx, input.customer, input.balance);
    assertCanSpend(acc);
    assertCurrency(acc, input.currency);
    if (available(acc) < input.amountMinor) throw insufficientFunds(acc);
    const { rows } = await sql<HoldRow>`
      INSERT INTO holds (id, customer_id, account_id, balance, amount, currency, description, reference, expires_at)
      VALUES (${newId('hold')}, ${acc.customerId}, ${acc.id.toString()}, ${acc.code}, ${input.amountMinor.toString()},
              ${acc.currency}, ${input.description}, ${ledgerReference(idem)},
              now() + make_interval(secs => ${input.expiresInSeconds}))
      RETURNING *`.execute(tx);
    const hold = rows[0];
    acc.held += input.amountMinor;
    await sql`UPDATE accounts SET held = ${acc.held.toString()},
                next_hold_expiry = least(coalesce(next_hold_expiry, ${hold.expires_at}), ${hold.expires_at})
              WHERE id = ${acc.id.toString()}`.execute(tx);
    return { status: 201, body: presentHold(hold, balanceView(acc)) };
  });
}

/** Reads a hold with its row lock and its account's lock, after releasing anything expired. */
async function lockHold(tx: Tx, holdId: string): Promise<{ hold: HoldRow; acc: LockedAccount }> {
  const found = await tx.selectFrom('holds').select('account_id').where('id', '=', holdId).executeTakeFirst();
  if (!found) throw notFound('hold', holdId);
  const acc = await lockAccountById(tx, found.account_id);
  const { rows } = await sql<HoldRow>`SELECT * FROM holds WHERE id = ${holdId} FOR UPDATE`.execute(tx);
  return { hold: rows[0], acc };
}

const holdNotActive = (hold: HoldRow): CofferError =>
  new CofferError(
    'hold_not_active',
    `Hold ${hold.id} is ${hold.status}; only an active hold can be captured or voided.`,
    {
      status: hold.status,
    },
  );

export function captureHold(
  db: Db,
  idem: IdempotencyContext | null,
  holdId: string,
  amountMinor: bigint | null,
): Promise<Outcome> {
  return runIdempotent(db, idem, async (tx) => {
    const { hold, acc } = await lockHold(tx, holdId);
    assertTransition(hold, 'captured');
    const captured = amountMinor ?? hold.amount;
    if (captured > hold.amount) throw invalidRequest('amount', `must not exceed the hold amount (${hold.amount})`);
    acc.held -= hold.amount;
    await sql`UPDATE accounts SET held = ${acc.held.toString()} WHERE id = ${acc.id.toString()}`.execute(tx);
    const revenue = await systemAccount(tx, revenueAccountCode(acc.code), acc.currency);
    await postTransfer(tx, {
      customerId: acc.customerId,
      kind: 'capture',
      debit: acc,
      credit: revenue,
      amountMinor: captured,
      currency: acc.currency,
      reference: `capture:${hold.id}`,
      displayReference: hold.id,
      objectId: hold.id,
      description: hold.description,
    });
    const { rows } = await sql<HoldRow>`
      UPDATE holds SET status = 'captured', captured_amount = ${captured.toString()}, closed_at = now()
      WHERE id = ${hold.id} AND status = 'active' RETURNING *`.execute(tx);
    return { status: 200, body: presentHold(rows[0], balanceView(acc)) };
  });
}

export function voidHold(db: Db, idem: IdempotencyContext | null, holdId: string): Promise<Outcome> {
  return runIdempotent(db, idem, async (tx) => {
    const { hold, acc } = await lockHold(tx, holdId);
    assertTransition(hold, 'voided');
    acc.held -= hold.amount;
    await sql`UPDATE accounts SET held = ${acc.held.toString()} WHERE id = ${acc.id.toString()}`.execute(tx);
    const { rows } = await sql<HoldRow>`
      UPDATE holds SET status = 'voided', closed_at = now() WHERE id = ${hold.id} AND status = 'active' RETURNING *`.execute(
      tx,
    );
    return { status: 200, body: presentHold(rows[0], balanceView(acc)) };
  });
}

export async function getHold(db: Db, holdId: string): Promise<unknown> {
  const { rows } = await sql<HoldRow>`
    SELECT h.id, h.customer_id, h.account_id, h.balance, h.amount, h.captured_amount, h.currency,
           CASE WHEN h.status = 'active' AND h.expires_at <= now() THEN 'expired' ELSE h.status END AS status,
           h.description, h.reference, h.expires_at, h.created_at,
           CASE WHEN h.status = 'active' AND h.expires_at <= now() THEN h.expires_at ELSE h.closed_at END AS closed_at
    FROM holds h WHERE h.id = ${holdId}`.execute(db);
  if (!rows[0]) throw notFound('hold', holdId);
  return presentHold(rows[0]);
}

/**
 * Releases expired holds of every account that has some (a background sweep; reads and writes
 * already treat expired holds as released, so this only tidies the stored state).
 */
export async function sweepExpiredHolds(db: Db, limit = 500): Promise<number> {
  const accounts = await db
    .selectFrom('accounts')
    .select('id')
    .where('next_hold_expiry', '<=', new Date())
    .limit(limit)
    .execute();
  for (const { id } of accounts) {
    await db.transaction().execute(async (tx) => {
      const { rows } = await sql`SELECT 1 FROM accounts WHERE id = ${id.toString()} FOR UPDATE SKIP LOCKED`.execute(tx);
      if (rows.length) await sql`SELECT coffer_expire_holds(${id.toString()}::bigint)`.execute(tx);
    });
  }
  return accounts.length;
}
