import { sql, type Kysely } from 'kysely';

// Crediting an order in one database call (docs/benchmarks.md, issue 3: a webhook took ~14 round
// trips and graphile_worker.add_job for its receipt). coffer_credit_order is the one place that
// posts a top-up's credit; coffer_ingest_credit records a provider event and credits in a single
// statement when the caller's decision still holds; mail_outbox queues receipts with one insert.
// Those routines (and coffer_system_account, coffer_unfreeze_if_repaid) are now in
// src/{ledger,customers,topups}/sql (src/db/routines.ts); this migration keeps the outbox table.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE mail_outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('topup_receipt')),
      object_id text NOT NULL,
      customer_id text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT mail_outbox_once UNIQUE (kind, object_id)
    );
    CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
  `.execute(db);
}
