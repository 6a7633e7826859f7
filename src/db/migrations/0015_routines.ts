import { sql, type Kysely } from 'kysely';

// The database routines are no longer written by migrations: each has one current text, a .sql
// file beside the module that owns it, applied after the migrations (src/db/routines.ts). This
// table records the digest of the files last applied, so an unchanged set is not applied again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE coffer_routines (
      id boolean PRIMARY KEY DEFAULT true CHECK (id),
      digest text NOT NULL,
      installed_at timestamptz NOT NULL DEFAULT now()
    );
  `.execute(db);
}
