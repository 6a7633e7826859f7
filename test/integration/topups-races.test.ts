import { describe, expect, it } from 'vitest';
import { setupHarness } from './harness.js';

// Money paths of top-ups that run inside Coffer (no provider): concurrent requests on one balance or
// one order, and replays. The harness verifies the ledger afterwards.
const h = await setupHarness();

describe('top-up races and replays', () => {
  it('10 concurrent product top-ups of 20.00 paid from a 100.00 wallet → exactly 5 succeed, 5 × 402, nothing overdrawn', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.post('/v1/topups', { customer, balance: 'sms', amount: 2_000, currency: 'USD', method: 'balance' }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 201, 201, 402, 402, 402, 402, 402]);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 0, held: 0, available: 0 });
    expect(await h.balance(customer, 'sms')).toEqual({ posted: 10_000, held: 0, available: 10_000 });
    const orders = await h.handle.db
      .selectFrom('orders')
      .select('status')
      .where('customer_id', '=', customer)
      .execute();
    expect(orders.map((o) => o.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('the same wallet-paid top-up sent 10 times at once with one key → one order, one movement', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const body = { customer, balance: 'sms', amount: 2_500, currency: 'USD', method: 'balance' };
    const results = await Promise.all(Array.from({ length: 10 }, () => h.post('/v1/topups', body, `race-${customer}`)));
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(
      results.every((r) => r.status === 201 || (r.status === 409 && r.body.error.code === 'idempotency_key_in_use')),
    ).toBe(true);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    expect(await h.balance(customer, 'wallet')).toMatchObject({ posted: 7_500 });
    expect(await h.balance(customer, 'sms')).toMatchObject({ posted: 2_500 });
    const replay = await h.post('/v1/topups', body, `race-${customer}`);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(created[0].body.id);
  });

  it('5 concurrent confirms of one bank transfer (different keys) → one credit, the others 409 invalid_state', async () => {
    const customer = await h.newCustomer();
    const order = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 5_000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect(order.status).toBe(201);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => h.post(`/v1/topups/${order.body.id}/confirm`, { amount_received: 5_000 })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error.code === 'invalid_state')).toBe(true);
    expect(await h.balance(customer, 'wallet')).toMatchObject({ posted: 5_000 });
  });

  it('a confirm replayed with its key answers the same and credits once', async () => {
    const customer = await h.newCustomer();
    const order = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 5_000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    const first = await h.post(
      `/v1/topups/${order.body.id}/confirm`,
      { amount_received: 4_000 },
      `confirm-${order.body.id}`,
    );
    const again = await h.post(
      `/v1/topups/${order.body.id}/confirm`,
      { amount_received: 4_000 },
      `confirm-${order.body.id}`,
    );
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await h.balance(customer, 'wallet')).toMatchObject({ posted: 4_000 });
  });
});
