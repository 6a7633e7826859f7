// One group's failure stays with that group (docs/ledger.md, "Group commit"). Until now only a
// serialization failure, a deadlock or a unique violation of a group was caught; any other error
// raised while one balance's batch was written (a constraint an operator added, a value PostgreSQL
// refuses) aborted the whole call: the groups committed before it were answered 500 although they
// had committed, and the groups after it were never tried. Now every error of a group rolls back
// that group alone and is reported for each of its charges as status -2 with
// '<SQLSTATE>:<message>' as the body; the caller then retries those charges one by one, so only
// the charge that causes the error fails. The procedure is src/ledger/sql/charge_groups.sql
// (src/db/routines.ts): this migration no longer changes the schema.
export async function up(): Promise<void> {}
