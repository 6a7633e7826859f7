import { sql, type Kysely } from 'kysely';

// Less written per charge (docs/benchmarks.md, "The floor"): a charge is a transfer, a statement
// entry and an idempotency key, and on a hot balance those writes are most of PostgreSQL's work.
//
// - The idempotency key of a charge is stored with a plain INSERT instead of INSERT … ON CONFLICT
//   DO NOTHING: the batch has already looked its keys up under the balance's row lock, so a
//   conflict can only come from another balance's batch storing the same key at the same moment.
//   ON CONFLICT made every insert speculative (a pre-check of the index, a speculative token, a
//   confirmation record in the WAL); now that rare race raises a unique violation, which rolls the
//   batch back like the serialization failure raised before, and the batch is retried, finding
//   the key (its answer is replayed, or the request is refused as a reused key).
// - transfers_object_idx no longer indexes charges: a charge's transfer is never looked up by the
//   charge's id (only a capture's, by its hold's id, in `coffer ledger verify`), and the entry was
//   one of five index entries written per charge. The index is rebuilt as a partial index; on a
//   large ledger that takes a while and blocks writes to transfers meanwhile (docs/operations.md).
//
// The first change is in src/ledger/sql/charge_batch.sql (src/db/routines.ts); the index stays here.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX transfers_object_idx;
    CREATE INDEX transfers_object_idx ON transfers (object_id) WHERE kind <> 'charge';
  `.execute(db);
}
