import { sql, type Kysely } from 'kysely';

// Events Coffer emits (docs/api.md, events), written in the same transaction as the
// change they describe (transactional outbox). Delivery to platform endpoints comes with the
// webhooks-out feature; the rows are the record it will deliver from.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE events (
      id text PRIMARY KEY,
      type text NOT NULL,
      customer_id text,
      data jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX events_customer_idx ON events (customer_id, id DESC);
    CREATE INDEX events_type_idx ON events (type, id DESC);
  `.execute(db);
}
