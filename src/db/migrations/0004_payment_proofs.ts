import { sql, type Kysely } from 'kysely';

// Proof of payment a customer attaches to a bank-transfer order. The file itself lives in the
// data directory (outside any web root); this row is what it is and where.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE payment_proofs (
      id text PRIMARY KEY,
      order_id text NOT NULL REFERENCES orders (id),
      customer_id text NOT NULL,
      content_type text NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'application/pdf')),
      size_bytes integer NOT NULL CHECK (size_bytes > 0),
      sha256 text NOT NULL,
      storage_path text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX payment_proofs_order_idx ON payment_proofs (order_id, id);
  `.execute(db);
}
