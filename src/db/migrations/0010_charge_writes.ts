import { sql, type Kysely } from 'kysely';
import { CHARGE_BATCH_FUNCTION } from './0001_ledger.js';
import { CHARGE_GROUPS_PROCEDURE } from './0008_credit_calls.js';

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
// The two routines are the earlier migrations' text with exactly these changes (replaceOnce
// fails loudly if the text it expects is not there).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX transfers_object_idx;
    CREATE INDEX transfers_object_idx ON transfers (object_id) WHERE kind <> 'charge';
  `.execute(db);
  await sql.raw(chargeBatchFunction()).execute(db);
  await sql.raw(chargeGroupsProcedure()).execute(db);
}

function chargeBatchFunction(): string {
  let text = replaceOnce(CHARGE_BATCH_FUNCTION, 'CREATE FUNCTION coffer_charge_batch(', 'CREATE OR REPLACE FUNCTION coffer_charge_batch(');
  // The key rows are inserted as before, only not speculatively; the race is reported as itself.
  text = replaceOnce(
    text,
    `
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS v_stored = ROW_COUNT;
  IF v_stored <> v_fresh THEN
    RAISE EXCEPTION 'an idempotency key of this batch was stored concurrently' USING ERRCODE = '40001';
  END IF;
`,
    ';\n',
  );
  text = replaceOnce(text, '  -- serialization failure; the caller retries it and then finds the key.', '  -- unique violation; the caller retries it and then finds the key.');
  return text;
}

function chargeGroupsProcedure(): string {
  let text = replaceOnce(CHARGE_GROUPS_PROCEDURE, /^DROP PROCEDURE coffer_charge_groups\([^\n]*\n/m, '');
  text = replaceOnce(text, 'CREATE PROCEDURE coffer_charge_groups(', 'CREATE OR REPLACE PROCEDURE coffer_charge_groups(');
  text = replaceOnce(text, 'EXCEPTION WHEN serialization_failure OR deadlock_detected THEN', 'EXCEPTION WHEN serialization_failure OR deadlock_detected OR unique_violation THEN');
  return text;
}

function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, `${from.flags}g`)) ?? []).length;
  if (count !== 1) throw new Error(`migration 0010: expected the text to replace exactly once, found it ${count} times: ${String(from).slice(0, 80)}`);
  return text.replace(from, () => to);
}
