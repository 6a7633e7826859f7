-- Many webhooks' credits in one round trip, each in a transaction of its own: the procedure commits
-- after every item, asynchronously but for the last, whose WAL flush covers them all before the
-- call returns — so every 'processed' is durable. Per item: 'processed', 'duplicate', or
-- 'error:<SQLSTATE>:<message>' (that item changed nothing; CF001 = the order moved since the
-- caller read it, CF002 = the balance would pass the API's range). p_transfer_ids holds three ids
-- per item.
CREATE OR REPLACE PROCEDURE coffer_ingest_credits(
  IN p_providers text[], IN p_event_ids text[], IN p_types text[], IN p_payloads jsonb[],
  IN p_orders text[], IN p_expected text[], IN p_paid bigint[], IN p_credit bigint[],
  IN p_paid_late boolean[], IN p_notes text[], IN p_actors text[], IN p_transfer_ids text[],
  INOUT r_result text[] DEFAULT NULL::text[]
)
 LANGUAGE plpgsql
AS $fn$
DECLARE
  v_n integer := cardinality(p_event_ids);
  v_result text;
BEGIN
  r_result := '{}';
  FOR i IN 1 .. v_n LOOP
    BEGIN
      v_result := coffer_ingest_credit(p_providers[i], p_event_ids[i], p_types[i], p_payloads[i], p_orders[i], p_expected[i],
        p_paid[i], p_credit[i], p_paid_late[i], p_notes[i], p_actors[i], p_transfer_ids[3 * i - 2 : 3 * i]);
    EXCEPTION WHEN OTHERS THEN
      v_result := 'error:' || SQLSTATE || ':' || SQLERRM;
    END;
    r_result := r_result || v_result;
    IF i < v_n THEN
      PERFORM set_config('synchronous_commit', 'off', true);
    ELSE
      PERFORM coffer_make_commit_flush();
    END IF;
    COMMIT;
  END LOOP;
END
$fn$;
