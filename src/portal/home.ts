import type pg from 'pg';
import { sql } from 'kysely';
import { readNamed, type Db } from '../db/pool.js';
import { listTopups } from '../topups/index.js';
import { balanceOverTime, lastDays, recentCharges, spendSince } from './charts.js';

/**
 * The customer's balances as GET /v1/customers/{id}/balances lists them (wallet, then every
 * enabled product, then any other balance they hold), each with its name, in one statement.
 * Held amounts count expired holds out, as readBalances does.
 */
async function namedBalances(db: Db, customerId: string, pool?: pg.Pool) {
  const rows = await readNamed(
    db,
    pool,
    sql<{ code: string; name: string; currency: string; posted: bigint; held: bigint }>`
    WITH acc AS (
      SELECT a.code, a.currency, a.posted,
             a.held - CASE WHEN a.next_hold_expiry <= now() THEN coalesce((
               SELECT sum(h.amount) FROM holds h
               WHERE h.account_id = a.id AND h.status = 'active' AND h.expires_at <= now()), 0)::bigint
             ELSE 0::bigint END AS held
      FROM accounts a WHERE a.customer_id = ${customerId}
    ), codes AS (
      SELECT 'wallet'::text AS code, 0 AS ord
      UNION SELECT code, 1 FROM products WHERE enabled
      UNION SELECT code, 2 FROM acc WHERE code <> 'wallet' AND code NOT IN (SELECT code FROM products WHERE enabled)
    )
    SELECT k.code, CASE WHEN k.code = 'wallet' THEN 'Wallet' ELSE coalesce(p.name, k.code) END AS name,
           coalesce(acc.currency, (SELECT c.currency FROM customers c WHERE c.id = ${customerId})) AS currency,
           coalesce(acc.posted, 0)::bigint AS posted, coalesce(acc.held, 0)::bigint AS held
    FROM codes k LEFT JOIN acc ON acc.code = k.code LEFT JOIN products p ON p.code = k.code
    ORDER BY k.ord, k.code`,
  );
  return rows.map((r) => ({
    balance: r.code,
    name: r.name,
    currency: r.currency,
    posted: r.posted,
    held: r.held,
    available: r.posted - r.held,
  }));
}

/**
 * `GET /portal/api/home`: balances with their names, the 5 latest orders, the 5 latest usage
 * charges and 30 days of closing balances. Every read is by index and bounded (the page is
 * measured with a million orders stored); they run side by side on pooled connections.
 */
export async function homeData(db: Db, customerId: string, pool?: pg.Pool) {
  const balancesP = namedBalances(db, customerId, pool);
  const [balances, orders, charges, chart] = await Promise.all([
    balancesP,
    listTopups(db, { customer: customerId }, { limit: 5 }, pool),
    recentCharges(db, customerId, 5, pool),
    balancesP.then((bs) =>
      balanceOverTime(
        db,
        customerId,
        bs.map((b) => b.balance),
        30,
        pool,
      ),
    ),
  ]);
  return { balances, recent_orders: (JSON.parse(orders) as { data: unknown[] }).data, recent_charges: charges, chart };
}

/** `GET /portal/api/statement/charts`: closing balances per day, and usage spent per product. */
export async function statementCharts(db: Db, customerId: string, days: number, pool?: pg.Pool) {
  const balances = await namedBalances(db, customerId, pool);
  const since = new Date(`${lastDays(days)[0]}T00:00:00Z`);
  const [overTime, spent] = await Promise.all([
    balanceOverTime(
      db,
      customerId,
      balances.map((b) => b.balance),
      days,
      pool,
    ),
    spendSince(db, customerId, since),
  ]);
  const products = balances.filter((b) => b.balance !== 'wallet');
  return {
    balance_over_time: overTime,
    spend_by_product: products.map((b) => ({ balance: b.balance, name: b.name, amount: spent.get(b.balance) ?? 0n })),
  };
}
