import type pg from 'pg';
import type { Db } from '../db/pool.js';
import { readBalances } from '../ledger/index.js';
import { listTopups } from '../topups/index.js';
import { balanceOverTime, lastDays, recentCharges, spendSince } from './charts.js';

/** The name shown for a balance: the product's, or "Wallet". */
async function balanceNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('products').select(['code', 'name']).execute();
  return new Map([['wallet', 'Wallet'], ...rows.map((r) => [r.code, r.name] as [string, string])]);
}

async function namedBalances(db: Db, customerId: string) {
  const [balances, names] = await Promise.all([readBalances(db, customerId), balanceNames(db)]);
  return balances.map((b) => ({ ...b, name: names.get(b.balance) ?? b.balance }));
}

/**
 * `GET /portal/api/home`: balances with their names, the 5 latest orders, the 5 latest usage
 * charges and 30 days of closing balances. Every read is by index and bounded (the page is
 * measured with a million orders stored); they run side by side on pooled connections.
 */
export async function homeData(db: Db, customerId: string, pool?: pg.Pool) {
  const balancesP = namedBalances(db, customerId);
  const [balances, orders, charges, chart] = await Promise.all([
    balancesP,
    listTopups(db, { customer: customerId }, { limit: 5 }, pool),
    recentCharges(db, customerId, 5),
    balancesP.then((bs) => balanceOverTime(db, customerId, bs.map((b) => b.balance), 30)),
  ]);
  return { balances, recent_orders: (JSON.parse(orders) as { data: unknown[] }).data, recent_charges: charges, chart };
}

/** `GET /portal/api/statement/charts`: closing balances per day, and usage spent per product. */
export async function statementCharts(db: Db, customerId: string, days: number) {
  const balances = await namedBalances(db, customerId);
  const since = new Date(`${lastDays(days)[0]}T00:00:00Z`);
  const [overTime, spent] = await Promise.all([
    balanceOverTime(db, customerId, balances.map((b) => b.balance), days),
    spendSince(db, customerId, since),
  ]);
  const products = balances.filter((b) => b.balance !== 'wallet');
  return {
    balance_over_time: overTime,
    spend_by_product: products.map((b) => ({ balance: b.balance, name: b.name, amount: spent.get(b.balance) ?? 0n })),
  };
}
