import { sql, type Kysely } from 'kysely';

// Money going back after a top-up succeeded: refunds made at the provider (mirrored), and
// disputes (chargebacks) opened and closed by the card network.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE orders ADD COLUMN provider_refunded_amount bigint NOT NULL DEFAULT 0 CHECK (provider_refunded_amount >= 0);

    CREATE TABLE disputes (
      id text PRIMARY KEY,
      provider text NOT NULL,
      provider_dispute_id text NOT NULL,
      order_id text NOT NULL REFERENCES orders (id),
      customer_id text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      debited_amount bigint NOT NULL CHECK (debited_amount >= 0),
      status text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
      reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      CONSTRAINT disputes_provider_key UNIQUE (provider, provider_dispute_id)
    );
    CREATE INDEX disputes_order_idx ON disputes (order_id);
  `.execute(db);
}
