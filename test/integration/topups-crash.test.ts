import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/ledger/index.js';
import { httpCall, setupHarness, startServer, waitFor } from './harness.js';

/**
 * A `coffer serve` killed with SIGKILL while the sandbox's webhooks are being delivered to it and
 * processed, then restarted on the same database: the sandbox redelivers what was not
 * acknowledged, and every paid order ends up credited exactly once (docs/design.md §3).
 */

const h = await setupHarness();

type Server = Awaited<ReturnType<typeof startServer>>;
const started: Server[] = [];
const ENV = { LOG_LEVEL: 'warn', HOLD_SWEEP_INTERVAL_MS: '0', SANDBOX_RETRY_BASE_MS: '200' };

async function launch(): Promise<Server> {
  const s = await startServer(h.url, ENV);
  started.push(s);
  return s;
}

const gone = (s: Server) => s.proc.exitCode !== null || s.proc.signalCode !== null;

function halt(s: Server): Promise<void> {
  if (gone(s)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => s.proc.kill('SIGKILL'), 10_000);
    s.proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    s.proc.kill('SIGTERM');
  });
}

function sigkill(s: Server): Promise<void> {
  if (gone(s)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    s.proc.once('exit', () => resolve());
    s.proc.kill('SIGKILL');
  });
}

afterAll(async () => {
  await Promise.all(started.map(halt));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let keySeq = 0;

interface Order {
  id: string;
  customer: string;
  method: string;
  credit: { amount: number; currency: string };
  provider: { payment_id: string };
  next_action: { type: string; amount?: string; network?: string } | null;
}

async function createTopup(base: string, body: Record<string, unknown>): Promise<Order> {
  const res = await httpCall(base, h.apiKey, 'POST', '/v1/topups', body, `crash-topup-${++keySeq}`);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as Order;
}

/** A payer action on the sandbox's pages; null when the server died before answering. */
async function sandboxAction(base: string, path: string, form?: Record<string, string>): Promise<number | null> {
  try {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
      ...(form
        ? {
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams(form).toString(),
          }
        : {}),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return null;
  }
}

async function countStatus(ids: string[], status: string): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM orders WHERE id IN (${sql.join(ids)}) AND status = ${status}`.execute(h.handle.db);
  return rows[0].n;
}

async function deliveryState(paymentIds: string[]) {
  const { rows } = await sql<{ total: number; delivered: number; claimed: number; attempts: number }>`
    SELECT count(*)::int AS total, count(delivered_at)::int AS delivered,
           count(*) FILTER (WHERE attempts > 0 AND delivered_at IS NULL)::int AS claimed,
           coalesce(sum(attempts), 0)::int AS attempts
    FROM sandbox_deliveries WHERE payment_id IN (${sql.join(paymentIds)})`.execute(h.handle.db);
  return rows[0];
}

/**
 * Everything exactly once: each order succeeded with one credit of its quote (reference = order
 * id), each customer's wallet is the sum of its orders' credits, each queued event was delivered
 * and recorded once, and the ledger verifies.
 */
async function expectAllCreditedOnce(orders: Order[], customers: string[]): Promise<void> {
  const ids = orders.map((o) => o.id);
  const rows = await h.handle.db
    .selectFrom('orders')
    .select(['id', 'status', 'credited_amount', 'needs_review', 'paid_late'])
    .where('id', 'in', ids)
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const credits = await h.handle.db
    .selectFrom('transfers')
    .select(['reference', 'amount', 'kind'])
    .where('reference', 'in', ids)
    .execute();
  for (const o of orders) {
    const r = byId.get(o.id)!;
    expect(r.status, o.id).toBe('succeeded');
    expect(r.credited_amount, o.id).toBe(BigInt(o.credit.amount));
    expect(r.needs_review, o.id).toBe(false);
    expect(r.paid_late, o.id).toBe(false);
    const mine = credits.filter((c) => c.reference === o.id);
    expect(mine, o.id).toEqual([{ reference: o.id, amount: BigInt(o.credit.amount), kind: 'topup' }]);
  }
  for (const customer of customers) {
    const sum = orders.filter((o) => o.customer === customer).reduce((a, o) => a + o.credit.amount, 0);
    expect((await h.balance(customer, 'wallet')).posted, customer).toBe(sum);
  }
  const paymentIds = orders.map((o) => o.provider.payment_id);
  const deliveries = await h.handle.db
    .selectFrom('sandbox_deliveries')
    .select(['event_id', 'delivered_at'])
    .where('payment_id', 'in', paymentIds)
    .execute();
  expect(deliveries.filter((d) => d.delivered_at === null)).toEqual([]);
  const events = await h.handle.db
    .selectFrom('provider_events')
    .select('event_id')
    .where('order_id', 'in', ids)
    .execute();
  expect(events.map((e) => e.event_id).sort()).toEqual(deliveries.map((d) => d.event_id).sort());
  const report = await verifyLedger(h.handle.db);
  expect(report.problems).toEqual([]);
}

beforeAll(async () => {
  expect((await h.post('/v1/fx-rates', { base: 'USD', quote: 'USDT', rate: '1.00' })).status).toBe(201);
});

describe('coffer serve killed with SIGKILL while sandbox webhooks are in flight', () => {
  it('40 card orders paid at once, server killed mid-delivery, restarted → every order credited exactly once', async () => {
    const n = 40;
    const allOrders: Order[] = [];
    const allCustomers: string[] = [];
    let killed: { creditedBeforeKill: number; inFlight: number } | null = null;
    // The kill must land while deliveries are in flight; if a round finished too fast, retry
    // with fresh orders and an earlier kill.
    for (const killAt of [3, 1, 0]) {
      const customers = await Promise.all([0, 1, 2, 3].map(() => h.newCustomer()));
      allCustomers.push(...customers);
      const first = await launch();
      const orders = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          createTopup(first.baseUrl, {
            customer: customers[i % 4],
            balance: 'wallet',
            amount: 1_000 + 17 * i,
            currency: 'USD',
            method: 'card',
          }),
        ),
      );
      allOrders.push(...orders);
      const ids = orders.map((o) => o.id);
      const paymentIds = orders.map((o) => o.provider.payment_id);

      // Every payer clicks Pay at once: each queues a webhook and wakes the server's delivery loop.
      const pays = orders.map((o) => sandboxAction(first.baseUrl, `/sandbox/checkout/${o.provider.payment_id}/pay`));
      await waitFor(
        'deliveries to start',
        10_000,
        async () => {
          if (killAt === 0) return (await deliveryState(paymentIds)).attempts > 0;
          return (await countStatus(ids, 'succeeded')) >= killAt;
        },
        2,
      );
      await sigkill(first);
      const payResults = await Promise.all(pays);
      await sleep(100); // let PostgreSQL finish aborting the dead process's transactions
      const creditedBeforeKill = await countStatus(ids, 'succeeded');
      const state = await deliveryState(paymentIds);
      console.log(
        `kill at ≥${killAt}: ${creditedBeforeKill}/${n} credited before the kill; pays answered ${payResults.filter((s) => s === 303).length}/${n}; ` +
          `deliveries queued ${state.total}, acknowledged ${state.delivered}, claimed but unacknowledged ${state.claimed}`,
      );

      // Restart on the same database. Payers whose click got no answer click again: a payment
      // that went through says so (409), one that did not is paid now.
      const second = await launch();
      try {
        for (const [i, status] of payResults.entries()) {
          if (status === 303) continue;
          const again = await sandboxAction(second.baseUrl, `/sandbox/checkout/${orders[i].provider.payment_id}/pay`);
          expect([303, 409]).toContain(again);
        }
        await waitFor('every order to succeed and every delivery to be acknowledged', 30_000, async () => {
          const done = await countStatus(ids, 'succeeded');
          const d = await deliveryState(paymentIds);
          return done === n && d.total === n && d.delivered === n;
        });
        const after = await deliveryState(paymentIds);
        console.log(
          `after restart: ${after.attempts} delivery attempts for ${after.total} events (${after.attempts - after.total} retries or redeliveries)`,
        );
        await expectAllCreditedOnce(orders, customers);
      } finally {
        await halt(second);
      }
      if (creditedBeforeKill < n) {
        killed = { creditedBeforeKill, inFlight: n - creditedBeforeKill };
        break;
      }
    }
    expect(killed, 'the kill never landed while deliveries were in flight').not.toBeNull();
    expect(killed!.creditedBeforeKill).toBeLessThan(n);
    await expectAllCreditedOnce(allOrders, [...new Set(allCustomers)]);
  });

  it('crypto orders in processing, server killed while their confirmations are delivered, restarted → each credited exactly once', async () => {
    const n = 20;
    const customers = await Promise.all([0, 1].map(() => h.newCustomer()));
    const first = await launch();
    const orders = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        createTopup(first.baseUrl, {
          customer: customers[i % 2],
          balance: 'wallet',
          amount: (10 + i) * 1_000_000,
          currency: 'USDT',
          method: 'crypto',
          network: ['TRC20', 'ERC20', 'BEP20'][i % 3],
        }),
      ),
    );
    const ids = orders.map((o) => o.id);
    const paymentIds = orders.map((o) => o.provider.payment_id);

    // Deposits seen on chain: the server delivers payment.processing to itself.
    for (const status of await Promise.all(
      orders.map((o) =>
        sandboxAction(first.baseUrl, `/sandbox/crypto/${o.provider.payment_id}/deposit`, {
          amount: o.next_action!.amount!,
          network: o.next_action!.network!,
        }),
      ),
    )) {
      expect(status).toBe(303);
    }
    await waitFor('every order to be processing', 15_000, async () => (await countStatus(ids, 'processing')) === n);

    // Confirmations arrive for all of them at once; kill once the first credits land.
    const confirms = orders.map((o) =>
      sandboxAction(first.baseUrl, `/sandbox/crypto/${o.provider.payment_id}/confirm`),
    );
    await waitFor('the first credits', 10_000, async () => (await countStatus(ids, 'succeeded')) >= 2, 2);
    await sigkill(first);
    const confirmResults = await Promise.all(confirms);
    await sleep(100);
    const creditedBeforeKill = await countStatus(ids, 'succeeded');
    const processingAtKill = await countStatus(ids, 'processing');
    console.log(`crypto: ${creditedBeforeKill}/${n} credited before the kill, ${processingAtKill} still processing`);
    expect(creditedBeforeKill).toBeLessThan(n);
    expect(processingAtKill).toBe(n - creditedBeforeKill);

    const second = await launch();
    try {
      for (const [i, status] of confirmResults.entries()) {
        if (status === 303) continue;
        const again = await sandboxAction(second.baseUrl, `/sandbox/crypto/${orders[i].provider.payment_id}/confirm`);
        expect([303, 409]).toContain(again);
      }
      await waitFor('every order to succeed and every delivery to be acknowledged', 30_000, async () => {
        const d = await deliveryState(paymentIds);
        return (await countStatus(ids, 'succeeded')) === n && d.total === 2 * n && d.delivered === 2 * n;
      });
      await expectAllCreditedOnce(orders, customers);
      const timelines = await h.handle.db
        .selectFrom('order_timeline')
        .select(['order_id', 'status'])
        .where('order_id', 'in', ids)
        .orderBy('id')
        .execute();
      for (const id of ids) {
        expect(timelines.filter((t) => t.order_id === id).map((t) => t.status)).toEqual([
          'pending',
          'processing',
          'succeeded',
        ]);
      }
    } finally {
      await halt(second);
    }
  });
});
