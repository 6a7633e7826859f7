import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { revenueAccountCode } from '../../src/ledger/rules.js';
import { newId } from '../../src/lib/ids.js';
import { setupHarness } from './harness.js';

/**
 * The charge routine's plans are made once per connection (plan_cache_mode = force_generic_plan),
 * on whatever statistics the tables have at that moment; with autovacuum off nothing ever replaces
 * them. A plan made while idempotency_keys was nearly empty must stay cheap as the table grows:
 * counted in buffers touched per charge (what a scan of the API key's keys would show), not in time.
 */

const h = await setupHarness();

async function chargeOnce(c: pg.Client, customer: string, apiKeyId: string, explain: boolean): Promise<number> {
  const key = `plan-${crypto.randomUUID()}`;
  const call = `SELECT * FROM coffer_charge_batch($1, 'wallet', $2, $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::text[], $11)`;
  const values = [
    customer,
    apiKeyId,
    [key],
    ['h'],
    ['1'],
    ['USD'],
    [null],
    [null],
    [newId('chg')],
    [newId('trf')],
    revenueAccountCode('wallet'),
  ];
  if (!explain) {
    const res = await c.query(call, values);
    expect(res.rows[0].r_status).toEqual([201]);
    return 0;
  }
  const res = await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${call}`, values);
  const plan = res.rows[0]['QUERY PLAN'][0].Plan;
  return plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];
}

describe('plans that do not depend on statistics', () => {
  it('a charge touches as few buffers with 40,000 keys stored as with none, on a plan made when the table was small', async () => {
    await h.handle.pool.query('ALTER TABLE idempotency_keys SET (autovacuum_enabled = false)');
    const customer = await h.newCustomer({ wallet: 1_000_000 });
    const { rows } = await h.handle.pool.query<{ id: string }>('SELECT id::text FROM api_keys LIMIT 1');
    const apiKeyId = rows[0].id;
    const c = new pg.Client({ connectionString: h.url });
    await c.connect();
    try {
      // Planned now, on a table of a few keys, and cached for this connection.
      await chargeOnce(c, customer, apiKeyId, false);
      const small = await chargeOnce(c, customer, apiKeyId, true);
      // The table grows without an ANALYZE (as on a cluster with autovacuum off).
      await h.handle.pool.query(
        `INSERT INTO idempotency_keys (api_key_id, key, request_hash, response_status, response_body)
         SELECT $1, 'bulk-' || g, 'h', 201, repeat('x', 300) FROM generate_series(1, 40000) g`,
        [apiKeyId],
      );
      const large = await chargeOnce(c, customer, apiKeyId, true);
      expect(large, `buffers per charge: ${small} with a small table, ${large} with 40,000 keys`).toBeLessThan(
        small + 20,
      );
    } finally {
      await c.end();
      await h.handle.pool.query('DELETE FROM idempotency_keys WHERE key LIKE $1', ['bulk-%']);
    }
  });

  it('the tables every charge appends to are vacuumed at a gentler pace than the rest', async () => {
    const { rows } = await h.handle.pool.query<{ relname: string; reloptions: string[] | null }>(
      `SELECT relname, reloptions FROM pg_class WHERE relname IN ('idempotency_keys', 'transfers', 'entries', 'accounts') ORDER BY relname`,
    );
    const options = Object.fromEntries(rows.map((r) => [r.relname, r.reloptions ?? []]));
    for (const t of ['idempotency_keys', 'transfers', 'entries'])
      expect(options[t]).toContain('autovacuum_vacuum_cost_delay=10');
    // The balance rows are updated by every batch: their vacuum keeps the default pace.
    expect(options.accounts).not.toContain('autovacuum_vacuum_cost_delay=10');
  });
});
