import { sql, type Kysely } from 'kysely';

// Recharge history with a million orders (docs/benchmarks.md, issue 3): one customer's orders of one
// status without reading all orders of that status, and the expiry check that runs before a
// customer's list without touching their settled orders.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE INDEX orders_customer_status_idx ON orders (customer_id, status, id DESC);
    CREATE INDEX orders_customer_pending_expiry_idx ON orders (customer_id, expires_at) WHERE status = 'pending';
  `.execute(db);
}
