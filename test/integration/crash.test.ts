import { describe, expect, it } from 'vitest';
import { httpCall, setupHarness, startServer } from './harness.js';

const h = await setupHarness();

describe('a coffer serve killed with SIGKILL mid-traffic', () => {
  it('charges retried with their keys after a restart are applied exactly once', async () => {
    const customer = await h.newCustomer({ wallet: 1_000_000 });
    const n = 400;
    const body = (i: number) => ({ customer, balance: 'wallet', amount: 100 + (i % 7), currency: 'USD' });
    const first = await startServer(h.url, { HOLD_SWEEP_INTERVAL_MS: '0' });
    const inflight = Array.from({ length: n }, (_, i) =>
      httpCall(first.baseUrl, h.apiKey, 'POST', '/v1/charges', body(i), `crash-${i}`).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 60));
    first.proc.kill('SIGKILL');
    const seen = await Promise.all(inflight);
    const answeredBeforeCrash = seen.filter((r) => r?.status === 201).length;

    const second = await startServer(h.url, { HOLD_SWEEP_INTERVAL_MS: '0' });
    try {
      const retried = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          httpCall(second.baseUrl, h.apiKey, 'POST', '/v1/charges', body(i), `crash-${i}`),
        ),
      );
      expect(retried.every((r) => r.status === 201)).toBe(true);
      // Everything answered before the crash was durable, so its retry is a replay of the same charge.
      seen.forEach((r, i) => {
        if (r?.status === 201) {
          expect(retried[i].headers['idempotent-replayed']).toBe('true');
          expect(retried[i].body.id).toBe(r.body.id);
        }
      });
      const total = Array.from({ length: n }, (_, i) => 100 + (i % 7)).reduce((a, b) => a + b, 0);
      expect((await h.balance(customer, 'wallet')).posted).toBe(1_000_000 - total);
      const ids = new Set(retried.map((r) => r.body.id));
      expect(ids.size).toBe(n);
      expect(answeredBeforeCrash).toBeLessThan(n);
    } finally {
      await second.stop();
    }
  });

  it('charges spread over many customers, killed mid-call, are applied exactly once after retries', async () => {
    const customers = await Promise.all(Array.from({ length: 40 }, () => h.newCustomer({ wallet: 100_000 })));
    const n = 400;
    const body = (i: number) => ({
      customer: customers[i % customers.length],
      balance: 'wallet',
      amount: 10 + (i % 5),
      currency: 'USD',
    });
    const first = await startServer(h.url, { HOLD_SWEEP_INTERVAL_MS: '0' });
    const inflight = Array.from({ length: n }, (_, i) =>
      httpCall(first.baseUrl, h.apiKey, 'POST', '/v1/charges', body(i), `crash-spread-${i}`).catch(() => null),
    );
    await new Promise((r) => setTimeout(r, 60));
    first.proc.kill('SIGKILL');
    const seen = await Promise.all(inflight);
    const second = await startServer(h.url, { HOLD_SWEEP_INTERVAL_MS: '0' });
    try {
      const retried = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          httpCall(second.baseUrl, h.apiKey, 'POST', '/v1/charges', body(i), `crash-spread-${i}`),
        ),
      );
      expect(retried.every((r) => r.status === 201)).toBe(true);
      seen.forEach((r, i) => {
        if (r?.status === 201) expect(retried[i].body.id).toBe(r.body.id);
      });
      for (const [c, customer] of customers.entries()) {
        let spent = 0;
        for (let i = c; i < n; i += customers.length) spent += 10 + (i % 5);
        expect((await h.balance(customer, 'wallet')).posted).toBe(100_000 - spent);
      }
    } finally {
      await second.stop();
    }
  });
});
