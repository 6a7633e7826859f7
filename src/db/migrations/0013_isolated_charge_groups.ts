import { sql, type Kysely } from 'kysely';

// One group's failure stays with that group (docs/ledger.md, "Group commit"). Until now only a
// serialization failure, a deadlock or a unique violation of a group was caught; any other error
// raised while one balance's batch was written (a constraint an operator added, a value PostgreSQL
// refuses) aborted the whole call: the groups committed before it were answered 500 although they
// had committed, and the groups after it were never tried. Now every error of a group rolls back
// that group alone and is reported for each of its charges as status -2 with
// '<SQLSTATE>:<message>' as the body; the caller then retries those charges one by one, so only
// the charge that causes the error fails. The rest of the procedure is as before (migrations
// 0008 and 0010).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
CREATE OR REPLACE PROCEDURE coffer_charge_groups(
  p_api_keys bigint[], p_customers text[], p_balances text[], p_revenue_codes text[], p_sizes integer[],
  p_keys text[], p_hashes text[], p_amounts bigint[], p_currencies text[], p_descriptions text[],
  p_metadata jsonb[], p_charge_ids text[], p_transfer_ids text[],
  INOUT r_status text DEFAULT NULL, INOUT r_body text DEFAULT NULL, INOUT r_replayed text DEFAULT NULL)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_groups integer := cardinality(p_sizes);
  v_from integer := 1;
  v_to integer;
  v_status integer[];
  v_body text[];
  v_replayed boolean[];
  a_status integer[] := '{}';
  a_body text[] := '{}';
  a_replayed boolean[] := '{}';
BEGIN
  FOR g IN 1 .. v_groups LOOP
    v_to := v_from + p_sizes[g] - 1;
    BEGIN
      SELECT b.r_status, b.r_body, b.r_replayed INTO v_status, v_body, v_replayed
      FROM coffer_charge_batch(p_customers[g], p_balances[g], p_api_keys[g], p_keys[v_from:v_to],
        p_hashes[v_from:v_to], p_amounts[v_from:v_to], p_currencies[v_from:v_to], p_descriptions[v_from:v_to],
        p_metadata[v_from:v_to], p_charge_ids[v_from:v_to], p_transfer_ids[v_from:v_to], p_revenue_codes[g]) AS b;
    EXCEPTION
      WHEN serialization_failure OR deadlock_detected OR unique_violation THEN
        v_status := array_fill(-1, ARRAY[p_sizes[g]]);
        v_body := array_fill(NULL::text, ARRAY[p_sizes[g]]);
        v_replayed := array_fill(false, ARRAY[p_sizes[g]]);
      WHEN OTHERS THEN
        v_status := array_fill(-2, ARRAY[p_sizes[g]]);
        v_body := array_fill(SQLSTATE || ':' || translate(SQLERRM, E'\\x1e', ' '), ARRAY[p_sizes[g]]);
        v_replayed := array_fill(false, ARRAY[p_sizes[g]]);
    END;
    a_status := a_status || v_status;
    a_body := a_body || v_body;
    a_replayed := a_replayed || v_replayed;
    PERFORM set_config('synchronous_commit', 'off', true);
    COMMIT;
    v_from := v_to + 1;
  END LOOP;
  -- The flush: WAL is flushed in order, so this commit's flush makes every group above durable.
  PERFORM coffer_make_commit_flush();
  COMMIT;
  r_status := array_to_string(a_status, ',');
  r_body := array_to_string(a_body, E'\\x1e', '');
  r_replayed := array_to_string(a_replayed, '');
END
$fn$;
`,
    )
    .execute(db);
}
