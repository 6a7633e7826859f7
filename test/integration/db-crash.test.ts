import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/apikeys/index.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { openDatabase } from '../../src/db/pool.js';
import { resetSystemAccountCache, verifyLedger } from '../../src/ledger/index.js';
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
      const res = await httpCall(first.baseUrl, secret, 'POST', '/v1/customers', { external_id: `crash-${c}`, email: 'c@example.com' });
      customers.push(res.body.id);
      await httpCall(first.baseUrl, secret, 'POST', '/v1/grants', { customer: res.body.id, balance: 'wallet', amount: 100_000, currency: 'USD', reason: 'test' }, `g-${c}`);
    }
    const n = 600;
    const body = (i: number) => ({ customer: customers[i % customers.length], balance: 'wallet', amount: 7, currency: 'USD' });
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
        (await check.db.selectFrom('transfers').select('object_id').where('kind', '=', 'charge').execute()).map((t) => t.object_id),
      );
      for (const i of answered) expect(ids.has(seen[i]!.body.id), `charge ${i} answered 201 before the crash`).toBe(true);
      const retried = await Promise.all(
        Array.from({ length: n }, (_, i) => httpCall(second.baseUrl, secret, 'POST', '/v1/charges', body(i), `dbcrash-${i}`)),
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
});
