import { sql } from 'kysely';
import type { Db } from '../db/pool.js';

export interface VerifyReport {
  ok: boolean;
  problems: string[];
  checked: { accounts: number; transfers: number; entries: number; holds: number };
}

/**
 * Recomputes every customer balance from the immutable transfers and checks the ledger's
 * invariants. Any problem is listed; `ok` is true only when there is none.
 */
export async function verifyLedger(db: Db): Promise<VerifyReport> {
  const problems: string[] = [];
  const add = (rows: Record<string, unknown>[], describe: (r: Record<string, unknown>) => string) => {
    for (const r of rows.slice(0, 50)) problems.push(describe(r));
    if (rows.length > 50) problems.push(`… and ${rows.length - 50} more of the same kind`);
  };

  const posted = await sql<Record<string, unknown>>`
    WITH sums AS (
      SELECT account_id, sum(amount) AS total FROM (
        SELECT credit_account_id AS account_id, amount FROM transfers
        UNION ALL SELECT debit_account_id, -amount FROM transfers) t
      GROUP BY account_id)
    SELECT a.id, a.customer_id, a.code, a.posted, coalesce(s.total, 0) AS recomputed
    FROM accounts a LEFT JOIN sums s ON s.account_id = a.id
    WHERE a.customer_id IS NOT NULL AND a.posted <> coalesce(s.total, 0)`.execute(db);
  add(
    posted.rows,
    (r) => `account ${r.id} (${r.customer_id}/${r.code}): posted ${r.posted} but transfers sum to ${r.recomputed}`,
  );

  const system = await sql<Record<string, unknown>>`
    SELECT id, code FROM accounts WHERE customer_id IS NULL AND (posted <> 0 OR held <> 0)`.execute(db);
  add(system.rows, (r) => `system account ${r.id} (${r.code}) has a stored balance; system balances must stay derived`);

  const held = await sql<Record<string, unknown>>`
    SELECT a.id, a.customer_id, a.code, a.held, coalesce(h.total, 0) AS recomputed
    FROM accounts a LEFT JOIN (
      SELECT account_id, sum(amount) AS total FROM holds WHERE status = 'active' GROUP BY account_id) h ON h.account_id = a.id
    WHERE a.customer_id IS NOT NULL AND a.held <> coalesce(h.total, 0)`.execute(db);
  add(
    held.rows,
    (r) => `account ${r.id} (${r.customer_id}/${r.code}): held ${r.held} but active holds sum to ${r.recomputed}`,
  );

  const overdraft = await sql<Record<string, unknown>>`
    SELECT a.id, a.customer_id, a.code, a.posted, a.held FROM accounts a
    WHERE a.customer_id IS NOT NULL AND a.posted - a.held < 0
      AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.customer_id = a.customer_id AND t.kind IN ('chargeback', 'refund'))`.execute(
    db,
  );
  add(
    overdraft.rows,
    (r) => `account ${r.id} (${r.customer_id}/${r.code}) is overdrawn: posted ${r.posted}, held ${r.held}`,
  );

  const entries = await sql<Record<string, unknown>>`
    WITH e AS (
      SELECT account_id, seq, amount, balance_after,
             sum(amount) OVER (PARTITION BY account_id ORDER BY seq) AS running,
             row_number() OVER (PARTITION BY account_id ORDER BY seq) AS n
      FROM entries)
    SELECT account_id, seq, balance_after, running, n FROM e WHERE balance_after <> running OR n <> seq`.execute(db);
  add(
    entries.rows,
    (r) =>
      `entry ${r.seq} of account ${r.account_id}: balance_after ${r.balance_after}, running sum ${r.running}, position ${r.n}`,
  );

  const seqs = await sql<Record<string, unknown>>`
    SELECT a.id, a.entry_seq, coalesce(max(e.seq), 0) AS last, coalesce(sum(e.amount), 0) AS total, a.posted
    FROM accounts a LEFT JOIN entries e ON e.account_id = a.id
    WHERE a.customer_id IS NOT NULL
    GROUP BY a.id HAVING a.entry_seq <> coalesce(max(e.seq), 0) OR a.posted <> coalesce(sum(e.amount), 0)`.execute(db);
  add(
    seqs.rows,
    (r) =>
      `account ${r.id}: entry_seq ${r.entry_seq}, last entry ${r.last}, entries sum ${r.total}, posted ${r.posted}`,
  );

  const dangling = await sql<Record<string, unknown>>`
    SELECT t.id FROM transfers t
    LEFT JOIN accounts d ON d.id = t.debit_account_id
    LEFT JOIN accounts c ON c.id = t.credit_account_id
    WHERE d.id IS NULL OR c.id IS NULL OR d.currency <> t.currency OR c.currency <> t.currency
       OR (d.customer_id IS NOT NULL AND d.customer_id <> t.customer_id)
       OR (c.customer_id IS NOT NULL AND c.customer_id <> t.customer_id)`.execute(db);
  add(
    dangling.rows,
    (r) => `transfer ${r.id} references a missing account, another customer's account or another currency`,
  );

  const captures = await sql<Record<string, unknown>>`
    SELECT h.id, h.captured_amount, coalesce(sum(t.amount), 0) AS transferred
    FROM holds h LEFT JOIN transfers t ON t.object_id = h.id AND t.kind = 'capture'
    GROUP BY h.id, h.status, h.captured_amount
    HAVING (h.status = 'captured' AND coalesce(sum(t.amount), 0) <> h.captured_amount)
        OR (h.status <> 'captured' AND count(t.id) > 0)`.execute(db);
  add(captures.rows, (r) => `hold ${r.id}: captured ${r.captured_amount} but capture transfers total ${r.transferred}`);

  // Every succeeded order has exactly one credit (reference = order id) into its own balance, of
  // the amount it records; any other order has none. The credit equals the quote unless what
  // arrived differed from the quoted pay amount (under- or over-payment, confirmed by staff).
  const orders = await sql<Record<string, unknown>>`
    SELECT o.id, o.status, o.credited_amount, o.credit_amount, o.received_amount, o.pay_amount,
           count(t.id) AS credits, coalesce(sum(t.amount), 0) AS credited,
           bool_and(a.customer_id = o.customer_id AND a.code = o.balance) AS right_balance
    FROM orders o
    LEFT JOIN transfers t ON t.customer_id = o.customer_id AND t.reference = o.id
    LEFT JOIN accounts a ON a.id = t.credit_account_id
    GROUP BY o.id
    HAVING (o.status = 'succeeded' AND (count(t.id) <> 1 OR coalesce(sum(t.amount), 0) <> o.credited_amount
                                       OR NOT bool_and(a.customer_id = o.customer_id AND a.code = o.balance)
                                       OR (o.received_amount = o.pay_amount AND o.credited_amount <> o.credit_amount)))
        OR (o.status <> 'succeeded' AND count(t.id) > 0)`.execute(db);
  add(
    orders.rows,
    (r) =>
      `order ${r.id} (${r.status}): ${r.credits} credits totalling ${r.credited}, records credited ${r.credited_amount} of quoted ${r.credit_amount}`,
  );

  const counts = await sql<{ accounts: bigint; transfers: bigint; entries: bigint; holds: bigint }>`
    SELECT (SELECT count(*) FROM accounts) AS accounts, (SELECT count(*) FROM transfers) AS transfers,
           (SELECT count(*) FROM entries) AS entries, (SELECT count(*) FROM holds) AS holds`.execute(db);
  const c = counts.rows[0];
  return {
    ok: problems.length === 0,
    problems,
    checked: {
      accounts: Number(c.accounts),
      transfers: Number(c.transfers),
      entries: Number(c.entries),
      holds: Number(c.holds),
    },
  };
}
