import { sql, type Kysely } from 'kysely';

// Charges at a steady rate from the first one, whatever the tables' statistics and whatever
// autovacuum is doing (docs/benchmarks.md, "Steady from a fresh database").
//
// - The charge routine runs with plan_cache_mode = force_generic_plan, so each connection plans
//   its statements once, on the statistics of that moment. A batch looked its idempotency keys up
//   with `api_key_id = $1 AND key = ANY ($2)`: planned while idempotency_keys held a few rows and
//   was never analysed, the generic plan used the primary key for api_key_id alone and filtered
//   the keys, a scan of every key of the API key per batch that grew with the table (2,400 →
//   580 charges/s in a minute on a cluster without autovacuum; only an ANALYZE replaced the
//   plan). The lookup is now one probe of the full primary key per charge (LATERAL … LIMIT 1),
//   the cheapest plan for any table size, so the cached plan stays right
//   (src/ledger/sql/charge_batch.sql).
// - The three tables every charge appends to are vacuumed more gently: their autovacuum only sets
//   visibility and freezes (nothing is updated or deleted), and at the default pace its first pass
//   over a million rows took a third of a two-core machine's charge rate for half a minute. A
//   10 ms cost delay spreads the same work over about five times as long.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE idempotency_keys SET (autovacuum_vacuum_cost_delay = 10);
    ALTER TABLE transfers SET (autovacuum_vacuum_cost_delay = 10);
    ALTER TABLE entries SET (autovacuum_vacuum_cost_delay = 10);
  `.execute(db);
}
