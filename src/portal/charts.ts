import { sql } from 'kysely';
import type pg from 'pg';
import { readNamed, type Db } from '../db/pool.js';
import { isoTime } from '../lib/json.js';
import { presentEntry } from '../ledger/index.js';

// Reads of a customer's statement entries by time. Entries are keyed (account_id, seq) and have no
// index on created_at (every charge writes an entry: an index more would cost every charge), but
// seq numbers are dense (1..entry_seq) and follow time, so the last entry before a moment is found
// by a binary search on seq: ~log2(entries) primary-key probes, however long the statement.
// (Entries of transactions that overlapped can be out of time order by a few milliseconds; for a
// day's closing balance that does not matter.)

const DAY_MS = 86_400_000;

/** The last `days` UTC dates, oldest first, ending today. */
export function lastDays(days: number, now = new Date()): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}

interface Point {
  code: string;
  at: string;
  seq: bigint;
  posted: bigint;
}

/**
 * For each of the customer's accounts and each moment: the seq of the last entry before it and the
 * posted balance after that entry (0 before the first). One statement: a recursive binary search
 * per (account, moment), all probes by primary key. A moment after the account's last entry is
 * answered at once (the usual case for quiet accounts and for today).
 */
async function pointsAt(db: Db, customerId: string, moments: Date[], pool?: pg.Pool): Promise<Point[]> {
  const rows = await readNamed(
    db,
    pool,
    sql<{ code: string; at: Date; seq: bigint; posted: bigint | null }>`
    WITH RECURSIVE m AS (
      SELECT a.id, a.code, t.at,
             CASE WHEN last.created_at < t.at THEN a.entry_seq ELSE 0 END AS lo,
             CASE WHEN last.created_at < t.at THEN a.entry_seq ELSE a.entry_seq - 1 END AS hi
      FROM accounts a
      CROSS JOIN unnest(${moments.map((d) => d.toISOString())}::timestamptz[]) AS t(at)
      LEFT JOIN entries last ON last.account_id = a.id AND last.seq = a.entry_seq
      WHERE a.customer_id = ${customerId}
    ), search(id, code, at, lo, hi) AS (
      SELECT id, code, at, lo, hi FROM m
      UNION ALL
      SELECT s.id, s.code, s.at,
             CASE WHEN e.created_at < s.at THEN e.seq ELSE s.lo END,
             CASE WHEN e.created_at < s.at THEN s.hi ELSE e.seq - 1 END
      FROM search s JOIN entries e ON e.account_id = s.id AND e.seq = (s.lo + s.hi + 1) / 2
      WHERE s.lo < s.hi
    )
    SELECT s.code, s.at, s.lo AS seq, e.balance_after AS posted
    FROM search s LEFT JOIN entries e ON e.account_id = s.id AND e.seq = s.lo
    WHERE s.lo >= s.hi`,
  );
  return rows.map((r) => ({ code: r.code, at: isoTime(r.at), seq: r.seq, posted: r.posted ?? 0n }));
}

/**
 * Each balance's posted amount at the end of each of the last `days` UTC days:
 * `[{ date: "YYYY-MM-DD", wallet: 1200, sms: 300 }, …]`, oldest first. `balances` lists the
 * balances to report (a balance without an account is 0 throughout).
 */
export async function balanceOverTime(db: Db, customerId: string, balances: string[], days: number, pool?: pg.Pool) {
  const dates = lastDays(days);
  const ends = dates.map((d) => new Date(Date.parse(d) + DAY_MS));
  const points = await pointsAt(db, customerId, ends, pool);
  const byKey = new Map(points.map((p) => [`${p.code}|${p.at}`, p.posted]));
  return dates.map((date, i) => {
    const row: Record<string, string | bigint> = { date };
    for (const b of balances) row[b] = byKey.get(`${b}|${isoTime(ends[i])}`) ?? 0n;
    return row;
  });
}

const SPEND_KINDS = ['charge', 'capture'];

/** Usage spent (charges and captured holds) on each balance since the start of the window. */
export async function spendSince(db: Db, customerId: string, since: Date): Promise<Map<string, bigint>> {
  const starts = await pointsAt(db, customerId, [since]);
  if (starts.length === 0) return new Map();
  const { rows } = await sql<{ code: string; spent: bigint }>`
    SELECT a.code, coalesce(-sum(e.amount), 0)::bigint AS spent
    FROM accounts a
    JOIN unnest(${starts.map((p) => p.code)}::text[], ${starts.map((p) => p.seq.toString())}::bigint[]) AS w(code, after_seq) ON w.code = a.code
    JOIN entries e ON e.account_id = a.id AND e.seq > w.after_seq AND e.kind = ANY(${SPEND_KINDS}::text[])
    WHERE a.customer_id = ${customerId}
    GROUP BY a.code`.execute(db);
  return new Map(rows.map((r) => [r.code, r.spent]));
}

/** How far back each balance is searched for recent charges (bounds the work on a busy statement). */
const RECENT_WINDOW = 500;

/** The customer's latest usage charges across balances (among each balance's last 500 entries). */
export async function recentCharges(db: Db, customerId: string, limit: number, pool?: pg.Pool) {
  const rows = await readNamed(
    db,
    pool,
    sql<{
      account_id: bigint;
      code: string;
      seq: bigint;
      transfer_id: string;
      kind: string;
      amount: bigint;
      balance_after: bigint;
      reference: string;
      created_at: Date;
      description: string | null;
    }>`
    SELECT a.id AS account_id, a.code, e.seq, e.transfer_id, e.kind, e.amount, e.balance_after, e.reference, e.created_at,
           (SELECT t.description FROM transfers t WHERE t.id = e.transfer_id) AS description
    FROM accounts a
    CROSS JOIN LATERAL (
      SELECT * FROM entries e
      WHERE e.account_id = a.id AND e.seq > a.entry_seq - ${RECENT_WINDOW} AND e.kind = ANY(${SPEND_KINDS}::text[])
      ORDER BY e.seq DESC LIMIT ${limit}
    ) e
    WHERE a.customer_id = ${customerId}
    ORDER BY e.created_at DESC, a.id
    LIMIT ${limit}`,
  );
  return rows.map((e) => ({ ...presentEntry(e.account_id, e), balance: e.code }));
}

/**
 * The posted balance before and after an order's credit. The credit's entry was written in the
 * transaction that set succeeded_at (same timestamp), so it is found next to the last entry at
 * that moment; null if it is not there (never expected).
 */
export async function creditChange(
  db: Db,
  customerId: string,
  order: { id: string; balance: string; succeededAt: Date },
  pool?: pg.Pool,
) {
  const [at] = (await pointsAt(db, customerId, [new Date(order.succeededAt.getTime() + 1)], pool)).filter(
    (p) => p.code === order.balance,
  );
  if (!at) return null;
  const rows = await readNamed(
    db,
    pool,
    sql<{ amount: bigint; balance_after: bigint; currency: string }>`
    SELECT e.amount, e.balance_after, a.currency
    FROM accounts a JOIN entries e ON e.account_id = a.id
    WHERE a.customer_id = ${customerId} AND a.code = ${order.balance}
      AND e.seq BETWEEN ${(at.seq - 50n).toString()} AND ${(at.seq + 50n).toString()}
      AND e.reference = ${order.id} AND e.kind = 'topup' AND e.amount > 0
    ORDER BY e.seq LIMIT 1`,
  );
  const e = rows[0];
  return e ? { before: e.balance_after - e.amount, after: e.balance_after, currency: e.currency } : null;
}
