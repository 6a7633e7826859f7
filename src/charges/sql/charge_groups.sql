-- Many balances' charge batches in one round trip, each still its own transaction (one customer per
-- transaction): the procedure commits after every group. Every group commits asynchronously, then
-- a last transaction with a transaction id commits synchronously: its WAL flush covers every group
-- of the call before the call returns (no answer goes out before that, so every success is
-- durable), and no balance row stays locked while the WAL is flushed (docs/ledger.md).
-- Per charge: status -1 = the group met a serialization failure, deadlock or key race (retry it);
-- -2 = the group failed otherwise, body '<SQLSTATE>:<message>' (the caller retries its charges one
-- by one, so only the one at fault fails). Results come back as three strings: r_status joined by
-- ',', r_body joined by U+001E (never found in JSON text; '' for none), r_replayed one 't'/'f' each.
CREATE OR REPLACE PROCEDURE coffer_charge_groups(
  IN p_api_keys bigint[], IN p_customers text[], IN p_balances text[], IN p_revenue_codes text[],
  IN p_sizes integer[], IN p_keys text[], IN p_hashes text[], IN p_amounts bigint[],
  IN p_currencies text[], IN p_descriptions text[], IN p_metadata jsonb[], IN p_charge_ids text[],
  IN p_transfer_ids text[], INOUT r_status text DEFAULT NULL::text,
  INOUT r_body text DEFAULT NULL::text, INOUT r_replayed text DEFAULT NULL::text
)
 LANGUAGE plpgsql
AS $fn$
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
        v_body := array_fill(SQLSTATE || ':' || translate(SQLERRM, E'\x1e', ' '), ARRAY[p_sizes[g]]);
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
  r_body := array_to_string(a_body, E'\x1e', '');
  r_replayed := array_to_string(a_replayed, '');
END
$fn$;
