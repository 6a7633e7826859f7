import { describe, expect, it } from 'vitest';
import { ChargeBatcher } from '../../src/charges/index.js';
import { newId } from '../../src/lib/ids.js';
import { CreditCaller } from '../../src/topups/credit-calls.js';
import { setupHarness } from './harness.js';
import { deliverSandbox, paidCardOrders } from './sandbox-orders.js';

/**
 * Group commit shares round trips and transactions' flushes between requests, never their
 * failures: a member that PostgreSQL refuses (a constraint, a value it cannot store) fails alone,
 * and every other member of its batch, its call and its customer gets its normal answer.
 */

const h = await setupHarness();

const deliver = (raw: string) => deliverSandbox(h, raw);
const paidOrders = (customer: string, n: number) => paidCardOrders(h, [customer], n);

async function apiKeyId(): Promise<bigint> {
  const row = await h.handle.db.selectFrom('api_keys').select('id').executeTakeFirstOrThrow();
  return BigInt(row.id);
}

describe('a failing member of a charge batch', () => {
  it('a charge the database refuses fails alone; the 54 others in its batches and calls succeed', async () => {
    // A rule the operator's database enforces that the API knows nothing about: the refused
    // charges pass validation and fail while their batch is written.
    await h.handle.pool.query(
      `ALTER TABLE transfers ADD CONSTRAINT test_no_poison CHECK (description IS DISTINCT FROM 'poison') NOT VALID`,
    );
    try {
      const customers = await Promise.all(Array.from({ length: 6 }, () => h.newCustomer({ wallet: 100_000 })));
      // 60 charges at once: 10 per customer, one poisoned per customer, interleaved so every batch has one.
      const sends = Array.from({ length: 60 }, (_, i) => ({
        customer: customers[i % 6],
        poisoned: i >= 54,
        amount: 100 + i,
      }));
      const answers = await Promise.all(
        sends.map((s) =>
          h.post('/v1/charges', {
            customer: s.customer,
            balance: 'wallet',
            amount: s.amount,
            currency: 'USD',
            description: s.poisoned ? 'poison' : `usage ${s.amount}`,
          }),
        ),
      );
      sends.forEach((s, i) => {
        const a = answers[i];
        if (s.poisoned) {
          expect(a.status, JSON.stringify(a.body)).toBe(400);
          expect(a.body.error.code).toBe('invalid_request');
          expect(a.body.error.details).toEqual({ sqlstate: '23514' });
        } else {
          expect(a.status, JSON.stringify(a.body)).toBe(201);
          expect(a.body.status).toBe('succeeded');
        }
      });
      for (const c of customers) {
        const charged = sends.filter((s) => s.customer === c && !s.poisoned).reduce((sum, s) => sum + s.amount, 0);
        expect((await h.balance(c, 'wallet')).posted).toBe(100_000 - charged);
      }
      const { rows } = await h.handle.pool.query(
        `SELECT count(*)::int AS n FROM transfers WHERE kind = 'charge' AND description = 'poison'`,
      );
      expect(rows[0].n).toBe(0);
    } finally {
      await h.handle.pool.query('ALTER TABLE transfers DROP CONSTRAINT test_no_poison');
    }
  });

  it('a value PostgreSQL cannot take at all (it fails the whole round trip) fails only its own charge', async () => {
    // Validation refuses NUL bytes at the API; here the batcher is fed one directly, so the call's
    // parameters themselves are refused before any group runs.
    const customers = await Promise.all(Array.from({ length: 3 }, () => h.newCustomer({ wallet: 10_000 })));
    const batcher = new ChargeBatcher(h.handle.pool, h.handle.db, 50, 1000);
    const id = await apiKeyId();
    const sends = Array.from({ length: 30 }, (_, i) => ({ customer: customers[i % 3], bad: i === 7, amount: 10 + i }));
    const results = await Promise.allSettled(
      sends.map((s, i) =>
        batcher.charge(
          { apiKeyId: id, key: `iso-${crypto.randomUUID()}-${i}`, requestHash: 'h' },
          {
            customer: s.customer,
            balance: 'wallet',
            amountMinor: BigInt(s.amount),
            currency: 'USD',
            description: s.bad ? 'nul\u0000byte' : 'ok',
            metadata: null,
          },
        ),
      ),
    );
    results.forEach((r, i) => {
      if (sends[i].bad) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'invalid_request' });
      } else {
        expect(r.status).toBe('fulfilled');
        expect((r as PromiseFulfilledResult<{ status: number }>).value.status).toBe(201);
      }
    });
    for (const c of customers) {
      const charged = sends.filter((s) => s.customer === c && !s.bad).reduce((sum, s) => sum + s.amount, 0);
      expect((await h.balance(c, 'wallet')).posted).toBe(10_000 - charged);
    }
  });
});

describe('a failing member of a webhook credit call', () => {
  it('a delivery the database refuses fails alone; the 38 around it are credited', async () => {
    const customer = await h.newCustomer();
    const orders = await paidOrders(customer, 40);
    await h.handle.pool.query(
      `ALTER TABLE provider_events ADD CONSTRAINT test_no_poison CHECK (event_id NOT LIKE 'evt_poison%') NOT VALID`,
    );
    try {
      const poisoned = new Set([orders[5].id, orders[30].id]);
      const sends = orders.map((o) => {
        if (!poisoned.has(o.id)) return o.event;
        const body = JSON.parse(o.event);
        return JSON.stringify({ ...body, id: `evt_poison_${o.id}` });
      });
      const answers = await Promise.all(sends.map((raw) => deliver(raw)));
      orders.forEach((o, i) => {
        const a = answers[i];
        if (poisoned.has(o.id)) {
          expect(a.statusCode, a.body).toBeGreaterThanOrEqual(500);
          expect(JSON.parse(a.body).error.code).toBeTypeOf('string');
        } else {
          expect(a.statusCode, a.body).toBe(200);
          expect(JSON.parse(a.body).result).toBe('processed');
        }
      });
      const rows = await h.handle.db
        .selectFrom('orders')
        .select(['id', 'status'])
        .where('customer_id', '=', customer)
        .execute();
      for (const r of rows) expect(r.status, r.id).toBe(poisoned.has(r.id) ? 'pending' : 'succeeded');
    } finally {
      await h.handle.pool.query('ALTER TABLE provider_events DROP CONSTRAINT test_no_poison');
    }
    // Delivered again as the provider sent them, the refused two are credited like the rest.
    for (const o of orders.filter((x) => x.id === orders[5].id || x.id === orders[30].id)) {
      const res = await deliver(o.event);
      expect(JSON.parse(res.body).result).toBe('processed');
    }
  });

  it('a value PostgreSQL cannot take at all fails only its own credit', async () => {
    const customer = await h.newCustomer();
    const orders = await paidOrders(customer, 12);
    const caller = new CreditCaller(h.handle.pool, 1, 64);
    const rows = await h.handle.db
      .selectFrom('orders')
      .select(['id', 'pay_amount', 'credit_amount'])
      .where('customer_id', '=', customer)
      .execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const results = await Promise.all(
      orders.map((o, i) =>
        caller.run({
          provider: 'sandbox',
          eventId: i === 3 ? 'evt_nul\u0000' : `evt_${newId('x').slice(2)}`,
          type: 'payment.succeeded',
          payloadJson: '{}',
          orderId: o.id,
          expectedStatus: 'pending',
          paidMinor: byId.get(o.id)!.pay_amount,
          creditMinor: byId.get(o.id)!.credit_amount,
          paidLate: false,
          note: 'test credit',
          actor: 'provider:sandbox',
          transferIds: [newId('trf'), newId('trf'), newId('trf')],
        }),
      ),
    );
    results.forEach((r, i) => (i === 3 ? expect(r).toMatch(/^error:22021:/) : expect(r).toBe('processed')));
  });
});
