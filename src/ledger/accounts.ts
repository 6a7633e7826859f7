import { sql } from 'kysely';
import type { Db, Tx } from '../db/pool.js';
import { CofferError, notFound } from '../errors.js';

/** A customer balance account read under its row lock, with expired holds already released. */
export interface LockedAccount {
  id: bigint;
  customerId: string;
  code: string;
  currency: string;
  posted: bigint;
  held: bigint;
  entrySeq: bigint;
  nextHoldExpiry: Date | null;
  customerStatus: 'active' | 'frozen';
}

export interface BalanceView {
  balance: string;
  currency: string;
  posted: bigint;
  held: bigint;
  available: bigint;
}

export const available = (a: { posted: bigint; held: bigint }): bigint => a.posted - a.held;

export function balanceView(a: LockedAccount): BalanceView {
  return { balance: a.code, currency: a.currency, posted: a.posted, held: a.held, available: available(a) };
}

interface AccountRow {
  id: bigint;
  customer_id: string;
  code: string;
  currency: string;
  posted: bigint;
  held: bigint;
  entry_seq: bigint;
  next_hold_expiry: Date | null;
  customer_status: 'active' | 'frozen';
  expiry_due?: boolean;
}

const toLocked = (r: AccountRow): LockedAccount => ({
  id: r.id,
  customerId: r.customer_id,
  code: r.code,
  currency: r.currency,
  posted: r.posted,
  held: r.held,
  entrySeq: r.entry_seq,
  nextHoldExpiry: r.next_hold_expiry,
  customerStatus: r.customer_status,
});

async function selectForUpdate(tx: Tx, where: ReturnType<typeof sql>): Promise<LockedAccount[]> {
  const { rows } = await sql<AccountRow>`
    SELECT a.id, a.customer_id, a.code, a.currency, a.posted, a.held, a.entry_seq, a.next_hold_expiry,
           c.status AS customer_status, coalesce(a.next_hold_expiry <= now(), false) AS expiry_due
    FROM accounts a JOIN customers c ON c.id = a.customer_id
    WHERE ${where}
    ORDER BY a.id
    FOR UPDATE OF a`.execute(tx);
  // Decided by the database clock, the same clock coffer_expire_holds and reads use.
  const expired = rows.filter((r) => r.expiry_due);
  if (expired.length === 0) return rows.map(toLocked);
  // Lazy expiry: an expired hold stops holding money even if no sweep ran.
  for (const r of expired) await sql`SELECT coffer_expire_holds(${r.id.toString()}::bigint)`.execute(tx);
  const { rows: fresh } = await sql<AccountRow>`
    SELECT a.id, a.customer_id, a.code, a.currency, a.posted, a.held, a.entry_seq, a.next_hold_expiry,
           c.status AS customer_status
    FROM accounts a JOIN customers c ON c.id = a.customer_id
    WHERE ${where} ORDER BY a.id`.execute(tx);
  return fresh.map(toLocked);
}

/**
 * Locks the named balances of one customer (in id order, so two movements over the same pair
 * never deadlock). Missing product accounts of enabled products are created first.
 * Throws not_found for an unknown customer and unknown_balance for an unknown product.
 */
export async function lockBalances(
  tx: Tx,
  customerId: string,
  balances: string[],
): Promise<Map<string, LockedAccount>> {
  let locked = await selectForUpdate(tx, sql`a.customer_id = ${customerId} AND a.code = ANY(${balances}::text[])`);
  if (locked.length < new Set(balances).size) {
    await ensureAccounts(
      tx,
      customerId,
      balances.filter((b) => !locked.some((a) => a.code === b)),
    );
    locked = await selectForUpdate(tx, sql`a.customer_id = ${customerId} AND a.code = ANY(${balances}::text[])`);
  }
  return new Map(locked.map((a) => [a.code, a]));
}

export async function lockBalance(tx: Tx, customerId: string, balance: string): Promise<LockedAccount> {
  const map = await lockBalances(tx, customerId, [balance]);
  return map.get(balance)!;
}

export async function lockAccountById(tx: Tx, accountId: bigint): Promise<LockedAccount> {
  const [acc] = await selectForUpdate(tx, sql`a.id = ${accountId.toString()}::bigint`);
  return acc;
}

/** Creates the customer accounts that are missing for enabled products; refuses unknown balances. */
export async function ensureAccounts(tx: Tx | Db, customerId: string, balances: string[]): Promise<void> {
  const customer = await tx
    .selectFrom('customers')
    .select(['id', 'currency'])
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (!customer) throw notFound('customer', customerId);
  const products = balances.filter((b) => b !== 'wallet');
  if (products.length > 0) {
    const enabled = await tx
      .selectFrom('products')
      .select('code')
      .where('code', 'in', products)
      .where('enabled', '=', true)
      .execute();
    const unknown = products.find((p) => !enabled.some((e) => e.code === p));
    if (unknown) throw unknownBalance(unknown);
  }
  await tx
    .insertInto('accounts')
    .values(balances.map((code) => ({ customer_id: customerId, code, currency: customer.currency })))
    .onConflict((oc) => oc.columns(['customer_id', 'code']).where('customer_id', 'is not', null).doNothing())
    .execute();
}

export const unknownBalance = (balance: string): CofferError =>
  new CofferError(
    'unknown_balance',
    `There is no balance named "${balance}": use "wallet" or an enabled product code.`,
    { balance },
  );

const systemAccounts = new Map<string, bigint>();

/**
 * The id of a system account (revenue, grants, clearing…), created on first use. Its balance is
 * derived from transfers, never stored, so it is never locked (docs/design.md §6).
 */
export async function systemAccount(db: Db | Tx, code: string, currency: string): Promise<bigint> {
  const cacheKey = `${code}/${currency}`;
  const cached = systemAccounts.get(cacheKey);
  if (cached !== undefined) return cached;
  await sql`INSERT INTO accounts (customer_id, code, currency) VALUES (NULL, ${code}, ${currency})
            ON CONFLICT (code, currency) WHERE customer_id IS NULL DO NOTHING`.execute(db);
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where('customer_id', 'is', null)
    .where('code', '=', code)
    .where('currency', '=', currency)
    .executeTakeFirstOrThrow();
  systemAccounts.set(cacheKey, row.id);
  return row.id;
}

/** Forget cached system account ids (tests recreate databases under one process). */
export function resetSystemAccountCache(): void {
  systemAccounts.clear();
}

/** Balances as read now; holds that expired without a sweep are not counted as held. */
export async function readBalances(db: Db | Tx, customerId: string): Promise<BalanceView[]> {
  const { rows } = await sql<{ code: string; currency: string; posted: bigint; held: bigint }>`
    SELECT a.code, a.currency, a.posted,
           a.held - CASE WHEN a.next_hold_expiry <= now() THEN coalesce((
             SELECT sum(h.amount) FROM holds h
             WHERE h.account_id = a.id AND h.status = 'active' AND h.expires_at <= now()), 0)::bigint
           ELSE 0::bigint END AS held
    FROM accounts a
    WHERE a.customer_id = ${customerId}`.execute(db);
  const products = await db.selectFrom('products').select('code').where('enabled', '=', true).orderBy('code').execute();
  const currency = rows[0]?.currency;
  const byCode = new Map(rows.map((r) => [r.code, r]));
  const codes = [
    'wallet',
    ...products.map((p) => p.code),
    ...rows
      .map((r) => r.code)
      .filter((c) => c !== 'wallet' && !products.some((p) => p.code === c))
      .sort(),
  ];
  return codes.map((code) => {
    const r = byCode.get(code);
    const posted = r?.posted ?? 0n;
    const held = r?.held ?? 0n;
    return { balance: code, currency: r?.currency ?? currency ?? '', posted, held, available: posted - held };
  });
}
