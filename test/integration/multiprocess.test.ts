import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCall, setupHarness, startServer } from './harness.js';

const h = await setupHarness();
const servers: Awaited<ReturnType<typeof startServer>>[] = [];

beforeAll(async () => {
  servers.push(
    ...(await Promise.all(
      [0, 1, 2].map(() => startServer(h.url, { HOLD_SWEEP_INTERVAL_MS: '0', DATABASE_POOL_SIZE: '10' })),
    )),
  );
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

const spread = <T>(n: number, fn: (base: string, i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: n }, (_, i) => fn(servers[i % servers.length].baseUrl, i)));

describe('three coffer serve processes on one database', () => {
  it('200 concurrent charges of 1.00 on 100.00 → exactly 100 × 201 and 100 × 402', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const results = await spread(200, (base, i) =>
      httpCall(
        base,
        h.apiKey,
        'POST',
        '/v1/charges',
        { customer, balance: 'wallet', amount: 100, currency: 'USD' },
        `mp-charge-${i}`,
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(100);
    expect(results.filter((r) => r.status === 402)).toHaveLength(100);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 0, held: 0, available: 0 });
  });

  it('200 concurrent holds of 1.00 on 100.00 → exactly 100 holds', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const results = await spread(200, (base, i) =>
      httpCall(
        base,
        h.apiKey,
        'POST',
        '/v1/holds',
        { customer, balance: 'wallet', amount: 100, currency: 'USD' },
        `mp-hold-${i}`,
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(100);
    expect(results.filter((r) => r.status === 402)).toHaveLength(100);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 10_000, held: 10_000, available: 0 });
  });

  it('50 requests with one idempotency key across processes → one charge', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const body = { customer, balance: 'wallet', amount: 300, currency: 'USD' };
    const results = await spread(50, (base) => httpCall(base, h.apiKey, 'POST', '/v1/charges', body, 'mp-same-key'));
    const fresh = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] !== 'true');
    const others = results.filter((r) => r !== fresh[0]);
    expect(fresh).toHaveLength(1);
    for (const r of others) {
      if (r.status === 201) expect(r.body).toEqual(fresh[0].body);
      else expect(r.body.error.code).toBe('idempotency_key_in_use');
    }
    expect((await h.balance(customer, 'wallet')).posted).toBe(9_700);
  });

  it('charges and holds mixed on one balance across processes never overdraw', async () => {
    const customer = await h.newCustomer({ wallet: 5_000 });
    const results = await spread(150, (base, i) =>
      httpCall(
        base,
        h.apiKey,
        'POST',
        i % 3 === 0 ? '/v1/holds' : '/v1/charges',
        { customer, balance: 'wallet', amount: 70, currency: 'USD' },
        `mp-mix-${i}`,
      ),
    );
    const ok = results.filter((r) => r.status === 201).length;
    expect(ok).toBe(Math.floor(5_000 / 70));
    expect((await h.balance(customer, 'wallet')).available).toBe(5_000 - ok * 70);
  });
});
