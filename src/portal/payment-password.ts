import assert from 'node:assert/strict';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'kysely';
import type { Db, Tx } from '../db/pool.js';
import { CofferError, invalidRequest } from '../errors.js';
import { isoTime } from '../lib/json.js';
import { spendLink } from './links.js';

/** Wrong payment passwords in a row before wallet payments are locked… */
export const PIN_MAX_ATTEMPTS = 5;
/** …for this long. */
export const PIN_LOCK_SECONDS = 15 * 60;

const required = (): CofferError =>
  new CofferError('payment_password_required', 'Set a payment password first: wallet payments need one.');
const locked = (until: Date): CofferError =>
  new CofferError(
    'payment_password_locked',
    'Too many wrong payment passwords: wallet payments are locked for a while.',
    { locked_until: isoTime(until) },
  );
const wrong = (attemptsLeft: number): CofferError =>
  new CofferError('payment_password_wrong', 'The payment password is wrong.', { attempts_left: attemptsLeft });

/** argon2id with the library's defaults (19 MiB, 2 passes), which are argon2id's recommended ones. */
async function hashPin(pin: string): Promise<string> {
  const h = await hash(pin);
  assert.ok(h.startsWith('$argon2id$'), 'payment passwords are hashed with argon2id');
  return h;
}

export async function paymentPasswordStatus(
  db: Db,
  customerId: string,
): Promise<{ set: boolean; locked_until: string | null }> {
  const row = await db
    .selectFrom('portal_payment_passwords')
    .select(sql<Date | null>`CASE WHEN locked_until > now() THEN locked_until END`.as('locked_until'))
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  return { set: Boolean(row), locked_until: row?.locked_until ? isoTime(row.locked_until) : null };
}

type Verdict = { ok: true } | { ok: false; error: CofferError };

/**
 * Checks a payment password and records the try in its own transaction, committed whatever the
 * verdict (the payment it guards runs afterwards, or is refused). The row lock serialises a
 * customer's tries, so 5 concurrent guesses count as 5. The 5th wrong one locks wallet payments
 * for 15 minutes; a right one clears the count.
 */
export async function checkPaymentPassword(db: Db, customerId: string, pin: string | undefined): Promise<void> {
  const verdict = await db.transaction().execute(async (tx): Promise<Verdict> => {
    const row = await tx
      .selectFrom('portal_payment_passwords')
      .select([
        'password_hash',
        'failed_attempts',
        'locked_until',
        sql<boolean>`coalesce(locked_until > now(), false)`.as('is_locked'),
      ])
      .where('customer_id', '=', customerId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { ok: false, error: required() };
    if (row.is_locked) return { ok: false, error: locked(row.locked_until!) };
    if (pin === undefined)
      return { ok: false, error: invalidRequest('payment_password', 'is required for a payment from the wallet') };
    if (await verify(row.password_hash, pin)) {
      if (row.failed_attempts > 0)
        await tx
          .updateTable('portal_payment_passwords')
          .set({ failed_attempts: 0 })
          .where('customer_id', '=', customerId)
          .execute();
      return { ok: true };
    }
    const failed = row.failed_attempts + 1;
    if (failed < PIN_MAX_ATTEMPTS) {
      await tx
        .updateTable('portal_payment_passwords')
        .set({ failed_attempts: failed })
        .where('customer_id', '=', customerId)
        .execute();
      return { ok: false, error: wrong(PIN_MAX_ATTEMPTS - failed) };
    }
    const until = await tx
      .updateTable('portal_payment_passwords')
      .set({ failed_attempts: 0, locked_until: sql<Date>`now() + make_interval(secs => ${PIN_LOCK_SECONDS})` })
      .where('customer_id', '=', customerId)
      .returning('locked_until')
      .executeTakeFirstOrThrow();
    return { ok: false, error: locked(until.locked_until!) };
  });
  if (!verdict.ok) throw verdict.error;
}

export interface SetPinInput {
  newPassword: string;
  currentPassword?: string;
  resetToken?: string;
}

/**
 * `POST /portal/api/payment-password`. The first one needs nothing more; a change needs the
 * current one (checked like a payment, so it counts as a try) or a fresh reset link of this
 * customer, which also lifts a lock.
 */
export async function setPaymentPassword(
  db: Db,
  secret: string,
  customerId: string,
  input: SetPinInput,
): Promise<void> {
  const newHash = await hashPin(input.newPassword);
  if (input.resetToken !== undefined) {
    const done = await db.transaction().execute(async (tx) => {
      const link = await spendLink(tx, secret, input.resetToken!, 'pin_reset', customerId);
      if (!link) return false;
      await upsert(tx, customerId, newHash);
      return true;
    });
    if (!done) throw invalidRequest('reset_token', 'is spent, expired or not valid: ask for a new link');
    return;
  }
  const exists = await db
    .selectFrom('portal_payment_passwords')
    .select('customer_id')
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  if (!exists) {
    const inserted = await db
      .insertInto('portal_payment_passwords')
      .values({ customer_id: customerId, password_hash: newHash })
      .onConflict((oc) => oc.column('customer_id').doNothing())
      .returning('customer_id')
      .executeTakeFirst();
    if (inserted) return;
  }
  if (input.currentPassword === undefined)
    throw invalidRequest('current_password', 'is required to change the payment password (or use a reset link)');
  await checkPaymentPassword(db, customerId, input.currentPassword);
  await db
    .updateTable('portal_payment_passwords')
    .set({ password_hash: newHash, updated_at: sql`now()` })
    .where('customer_id', '=', customerId)
    .execute();
}

async function upsert(tx: Db | Tx, customerId: string, passwordHash: string) {
  await tx
    .insertInto('portal_payment_passwords')
    .values({ customer_id: customerId, password_hash: passwordHash })
    .onConflict((oc) =>
      oc
        .column('customer_id')
        .doUpdateSet({ password_hash: passwordHash, failed_attempts: 0, locked_until: null, updated_at: sql`now()` }),
    )
    .execute();
}
