import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/apikeys/index.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { openDatabase } from '../../src/db/pool.js';
import { resetSystemAccountCache, verifyLedger } from '../../src/ledger/index.js';
import { signatureHeader } from '../../src/providers/index.js';
import { httpCall, startServer } from './harness.js';

// PostgreSQL itself crashes here (an immediate stop: no checkpoint, unflushed WAL is lost), with
// charges of many customers in flight through grouped calls whose early commits are asynchronous.
// Every charge answered 201 before the crash must survive it.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-dbcrash-'));
fs.chmodSync(dir, 0o711);
let pgServer: EmbeddedServer | null = null;

/** SIGQUIT to the postmaster is PostgreSQL's immediate shutdown: no checkpoint, no WAL flush. */
async function crashPostgres(): Promise<void> {
  const pid = Number(fs.readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('postmaster did not stop');
}

afterAll(async () => {
  await pgServer?.stop().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('PostgreSQL crash during grouped charges', () => {
  it('every charge answered 201 survives, and retries apply the rest exactly once', async () => {
    pgServer = await startEmbeddedPostgres(dir, () => undefined);
    const url = pgServer.url;
    const first = await startServer(url, { HOLD_SWEEP_INTERVAL_MS: '0' });
    const handle = openDatabase(url, 2);
    const { secret } = await createApiKey(handle.db, 'crash');
    await handle.close();
    const customers: string[] = [];
    for (let c = 0; c < 30; c++) {
      const res = await httpCall(first.baseUrl, secret, 'POST', '/v1/customers', {
        external_id: `crash-${c}`,
        email: 'c@example.com',
      });
      customers.push(res.body.id);
      await httpCall(
        first.baseUrl,
        secret,
        'POST',
        '/v1/grants',
        { customer: res.body.id, balance: 'wallet', amount: 100_000, currency: 'USD', reason: 'test' },
        `g-${c}`,
      );
    }
    const n = 600;
    const body = (i: number) => ({
      customer: customers[i % customers.length],
      balance: 'wallet',
      amount: 7,
      currency: 'USD',
    });
    const inflight = Array.from({ length: n }, (_, i) =>
      httpCall(first.baseUrl, secret, 'POST', '/v1/charges', body(i), `dbcrash-${i}`).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 80));
    await crashPostgres();
    const seen = await Promise.all(inflight);
    await first.stop();
    const answered = seen.map((r, i) => (r?.status === 201 ? i : -1)).filter((i) => i >= 0);
    console.log(`answered before the crash: ${answered.length} of ${n}`);

    pgServer = await startEmbeddedPostgres(dir, () => undefined);
    const second = await startServer(url, { HOLD_SWEEP_INTERVAL_MS: '0' });
    try {
      const check = openDatabase(url, 2);
      const ids = new Set(
        (await check.db.selectFrom('transfers').select('object_id').where('kind', '=', 'charge').execute()).map(
          (t) => t.object_id,
        ),
      );
      for (const i of answered)
        expect(ids.has(seen[i]!.body.id), `charge ${i} answered 201 before the crash`).toBe(true);
      const retried = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          httpCall(second.baseUrl, secret, 'POST', '/v1/charges', body(i), `dbcrash-${i}`),
        ),
      );
      expect(retried.every((r) => r.status === 201)).toBe(true);
      for (const i of answered) expect(retried[i].body.id).toBe(seen[i]!.body.id);
      for (const [c, customer] of customers.entries()) {
        const count = Array.from({ length: n }, (_, i) => i).filter((i) => i % customers.length === c).length;
        const res = await httpCall(second.baseUrl, secret, 'GET', `/v1/customers/${customer}/balances`);
        expect(res.body.data[0].posted).toBe(100_000 - 7 * count);
      }
      resetSystemAccountCache();
      expect((await verifyLedger(check.db)).problems).toEqual([]);
      await check.close();
      expect(answered.length).toBeLessThan(n);
    } finally {
      await second.stop();
    }
  });

  it('every webhook acknowledged before the crash is credited, and redelivery credits the rest exactly once', async () => {
    // Webhooks of many orders arrive at once and are credited in shared calls whose early commits
    // are asynchronous (coffer_ingest_credits). Runs on the server the test above restarted, if it ran.
    pgServer ??= await startEmbeddedPostgres(dir, () => undefined);
    const url = pgServer.url;
    const secret = 'whsec_dbcrash_test_secret_0123456789';
    // The sandbox's own deliveries go nowhere (a closed port): the test delivers every webhook itself.
    const env = {
      HOLD_SWEEP_INTERVAL_MS: '0',
      SANDBOX_WEBHOOK_SECRET: secret,
      SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:9/webhooks/sandbox',
    };
    const first = await startServer(url, env);
    const handle = openDatabase(url, 2);
    const { secret: apiKey } = await createApiKey(handle.db, 'crash-webhooks');
    const customers: string[] = [];
    for (let c = 0; c < 20; c++) {
      const res = await httpCall(first.baseUrl, apiKey, 'POST', '/v1/customers', {
        external_id: `wh-crash-${c}`,
        email: 'c@example.com',
      });
      customers.push(res.body.id);
    }
    const n = 300;
    const orders: { id: string; credit: number; customer: string; event: string }[] = [];
    for (let i = 0; i < n; i++) {
      const customer = customers[i % customers.length];
      const o = await httpCall(
        first.baseUrl,
        apiKey,
        'POST',
        '/v1/topups',
        { customer, balance: 'wallet', amount: 1000 + i, currency: 'USD', method: 'card' },
        `wh-crash-o-${i}`,
      );
      expect(o.status).toBe(201);
      const pay = await fetch(`${first.baseUrl}/sandbox/checkout/${o.body.provider.payment_id}/pay`, {
        method: 'POST',
        redirect: 'manual',
      });
      expect(pay.status).toBe(303);
      const queued = await handle.db
        .selectFrom('sandbox_deliveries')
        .select('body')
        .where('payment_id', '=', o.body.provider.payment_id)
        .execute();
      const event = queued.find((q) => JSON.parse(q.body).type === 'payment.succeeded')!.body;
      orders.push({ id: o.body.id, credit: o.body.credit.amount, customer, event });
    }
    await handle.close();
    const deliver = (base: string, raw: string) =>
      fetch(`${base}/webhooks/sandbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader(secret, raw) },
        body: raw,
      })
        .then(async (r) => ({
          status: r.status,
          result: r.status === 200 ? ((await r.json()) as { result: string }).result : null,
        }))
        .catch(() => null);

    // Every event is delivered twice at once, so calls also end with a duplicate, which writes
    // nothing: an answer of 'duplicate' stops the provider's retries just as 'processed' does.
    const sends = [...orders.keys(), ...orders.keys()].sort(() => Math.random() - 0.5);
    const inflight = sends.map((i) => deliver(first.baseUrl, orders[i].event));
    await new Promise((r) => setTimeout(r, 150));
    await crashPostgres();
    const seen = await Promise.all(inflight);
    await first.stop();
    const acknowledged = new Set(sends.filter((_, k) => seen[k]?.status === 200));
    const processed = [...new Set(sends.filter((_, k) => seen[k]?.result === 'processed'))];
    console.log(
      `orders whose webhook was answered 200 before the crash: ${acknowledged.size} of ${n} (${processed.length} "processed")`,
    );

    pgServer = await startEmbeddedPostgres(dir, () => undefined);
    const second = await startServer(url, env);
    try {
      const check = openDatabase(url, 2);
      const succeeded = new Set(
        (await check.db.selectFrom('orders').select('id').where('status', '=', 'succeeded').execute()).map((o) => o.id),
      );
      for (const i of acknowledged)
        expect(succeeded.has(orders[i].id), `order ${i} acknowledged before the crash`).toBe(true);
      // The provider delivers again what was not answered 200: each order ends credited exactly once.
      const again = await Promise.all(orders.map((o) => deliver(second.baseUrl, o.event)));
      for (const [i, r] of again.entries()) expect(r?.status, `redelivery of ${i}`).toBe(200);
      for (const i of acknowledged) expect(again[i]!.result).toBe('duplicate');
      const credits = await check.db
        .selectFrom('transfers')
        .select(['reference', 'amount'])
        .where(
          'reference',
          'in',
          orders.map((o) => o.id),
        )
        .execute();
      expect(credits).toHaveLength(n);
      for (const c of customers) {
        const expected = orders.filter((o) => o.customer === c).reduce((s, o) => s + o.credit, 0);
        const res = await httpCall(second.baseUrl, apiKey, 'GET', `/v1/customers/${c}/balances`);
        expect(res.body.data[0].posted).toBe(expected);
      }
      resetSystemAccountCache();
      expect((await verifyLedger(check.db)).problems).toEqual([]);
      await check.close();
      expect(acknowledged.size).toBeLessThan(n);
    } finally {
      await second.stop();
    }
  });
});
