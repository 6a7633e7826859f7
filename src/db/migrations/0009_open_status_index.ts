import { sql, type Kysely } from 'kysely';

// Every credited order left an entry in orders_status_idx (status, id DESC): the update that moves
// an order to `succeeded` changes an indexed column, so each index of orders takes a new entry —
// about 7 % of PostgreSQL's work per webhook credit in a probe (docs/benchmarks.md). The index
// served only the history filtered by status alone. Succeeded and expired orders (~90 % of all)
// are found as fast by walking the primary key backwards; the rare statuses keep an index, which
// a credit (pending or processing -> succeeded) never writes to. A status filter comes with its
// value (the history's queries are planned per execution), so the partial index is chosen.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX orders_open_status_idx ON orders (status, id DESC) WHERE status IN ('pending', 'processing', 'failed', 'cancelled');
    DROP INDEX orders_status_idx;
  `.execute(db);
}
