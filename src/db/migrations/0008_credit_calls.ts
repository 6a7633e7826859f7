import { sql, type Kysely } from 'kysely';

// Webhook credits in fewer statements and in groups (docs/benchmarks.md, issue 3: a credited order
// cost ~1.4 ms of PostgreSQL CPU, most of it statement and function-call overhead, not writes).
// The credit itself is unchanged in effect — same transfers, entries, order move, timeline entry
// and receipt — but is posted by one function body: the order row is read once (locked), the
// customer's accounts are locked and found by one statement, the system accounts by one, and the
// customer leg is inline. coffer_ingest_credits applies many webhooks' credits in one round trip,
// each in a transaction of its own (one customer per transaction, docs/design.md §10).
// The routines are now in src/{db,topups,ledger}/sql (src/db/routines.ts); what stays here removes
// the earlier versions whose signatures changed, on databases that have them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS coffer_ingest_credit(text, text, text, jsonb, text, text, bigint, bigint, boolean, text, text, text[]);
    DROP FUNCTION IF EXISTS coffer_credit_order(text, text, bigint, bigint, boolean, text, text, text[]);
    DROP FUNCTION IF EXISTS coffer_post_customer_leg(text, orders, bigint, boolean, bigint, text, text);
    DROP PROCEDURE IF EXISTS coffer_charge_groups(bigint[], text[], text[], text[], integer[], text[], text[], bigint[], text[],
      text[], jsonb[], text[], text[], integer[], text[], boolean[]);
  `.execute(db);
}
