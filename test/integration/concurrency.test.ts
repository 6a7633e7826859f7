import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { setupHarness } from './harness.js';

const h = await setupHarness();

describe('hot balance: concurrent charges are group-committed without overdraft', () => {
  it('200 concurrent charges of 1.00 on 100.00 → exactly 100 succeed, 100 get 402', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        h.post('/v1/charges', { customer, balance: 'wallet', amount: 100, currency: 'USD' }, `hot-${i}`),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 402)).toHaveLength(100);
    for (const r of results.filter((x) => x.status === 402)) {
      expect(r.body.error.code).toBe('insufficient_funds');
      expect(r.body.error.details.available).toBe(0);
    }
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 0, held: 0, available: 0 });
  });

  it('200 concurrent holds of 1.00 on 100.00 → exactly 100 active holds', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        h.post('/v1/holds', { customer, balance: 'wallet', amount: 100, currency: 'USD' }, `hold-${i}`),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(100);
    expect(results.filter((r) => r.status === 402)).toHaveLength(100);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 10_000, held: 10_000, available: 0 });
  });

  it('50 concurrent requests with one idempotency key and body → one charge', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const body = { customer, balance: 'wallet', amount: 250, currency: 'USD' };
    const results = await Promise.all(Array.from({ length: 50 }, () => h.post('/v1/charges', body, 'same-key')));
    const created = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] !== 'true');
    const replays = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === 'true');
    const inUse = results.filter((r) => r.status === 409 && r.body.error.code === 'idempotency_key_in_use');
    expect(created).toHaveLength(1);
    expect(replays.length + inUse.length).toBe(49);
    for (const r of replays) expect(r.body).toEqual(created[0].body);
    expect((await h.balance(customer, 'wallet')).posted).toBe(9_750);
    const after = await h.post('/v1/charges', body, 'same-key');
    expect(after.status).toBe(201);
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.body).toEqual(created[0].body);
  });

  it('charges on many balances at once share round trips but keep per-balance results', async () => {
    const customers = await Promise.all(
      Array.from({ length: 30 }, () => h.newCustomer({ wallet: 950, products: { sms: 500 } })),
    );
    const requests = customers.flatMap((customer, c) =>
      Array.from({ length: 15 }, (_, i) => {
        const balance = i % 3 === 0 ? 'sms' : 'wallet';
        return h
          .post('/v1/charges', { customer, balance, amount: 100, currency: 'USD' }, `many-${c}-${i}`)
          .then((r) => ({ customer, balance, r }));
      }),
    );
    const results = await Promise.all(requests);
    for (const customer of customers) {
      const mine = results.filter((x) => x.customer === customer);
      const wallet = mine.filter((x) => x.balance === 'wallet');
      const sms = mine.filter((x) => x.balance === 'sms');
      expect(wallet.filter((x) => x.r.status === 201)).toHaveLength(9);
      expect(wallet.filter((x) => x.r.status === 402)).toHaveLength(1);
      expect(sms.filter((x) => x.r.status === 201)).toHaveLength(5);
      expect(await h.balance(customer, 'wallet')).toEqual({ posted: 50, held: 0, available: 50 });
      expect(await h.balance(customer, 'sms')).toEqual({ posted: 0, held: 0, available: 0 });
    }
  });

  describe('a key stored by another transaction while a batch is writing it', () => {
    // Another process's batch storing the same key for another balance, caught mid-transaction:
    // the key row is written and not committed yet.
    async function holdKey(
      key: string,
    ): Promise<{ apiKeyId: string; commit(): Promise<void>; waitForWaiter(): Promise<void> }> {
      const holder = new pg.Client({ connectionString: h.url });
      await holder.connect();
      const { rows } = await holder.query(`SELECT id FROM api_keys WHERE name = 'test'`);
      await holder.query('BEGIN');
      await holder.query(
        `INSERT INTO idempotency_keys (api_key_id, key, request_hash, response_status, response_body) VALUES ($1, $2, $3, 201, '{"elsewhere":true}')`,
        [rows[0].id, key, 'f'.repeat(64)],
      );
      return {
        apiKeyId: String(rows[0].id),
        async waitForWaiter() {
          for (let i = 0; i < 200; i++) {
            const r = await holder.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            if (r.rows[0].n > 0) return;
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
          throw new Error('no transaction started waiting for the held key');
        },
        async commit() {
          await holder.query('COMMIT');
          await holder.end();
        },
      };
    }

    it('a charge waits for it, then is refused as a reused key and charges nothing', async () => {
      const customer = await h.newCustomer({ wallet: 1_000 });
      const held = await holdKey('raced-key');
      const pending = h.post('/v1/charges', { customer, balance: 'wallet', amount: 100, currency: 'USD' }, 'raced-key');
      await held.waitForWaiter();
      await held.commit();
      const res = await pending;
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('idempotency_key_reused');
      expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
    });

    it('in a call of several balances, only that balance is rolled back and marked for retry', async () => {
      const [raced, other] = [await h.newCustomer({ wallet: 1_000 }), await h.newCustomer({ wallet: 1_000 })];
      const held = await holdKey('raced-in-call');
      const { apiKeyId } = held;
      const caller = new pg.Client({ connectionString: h.url });
      await caller.connect();
      const call = caller.query(
        `CALL coffer_charge_groups($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[],
          $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[])`,
        [
          [apiKeyId, apiKeyId],
          [raced, other],
          ['wallet', 'wallet'],
          ['usage_revenue:wallet', 'usage_revenue:wallet'],
          [1, 1],
          ['raced-in-call', 'not-raced'],
          ['a'.repeat(64), 'b'.repeat(64)],
          ['100', '100'],
          ['USD', 'USD'],
          [null, null],
          [null, null],
          [newId('chg'), newId('chg')],
          [newId('trf'), newId('trf')],
        ],
      );
      await held.waitForWaiter();
      await held.commit();
      const { rows } = await call;
      await caller.end();
      expect(rows[0].r_status).toBe('-1,201');
      expect(await h.balance(raced, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
      expect(await h.balance(other, 'wallet')).toEqual({ posted: 900, held: 0, available: 900 });
    });
  });
});
