-- A provider event and the credit it causes in one statement: the event is recorded under its
-- unique key (a duplicate returns 'duplicate'), the order is locked and must still be as the
-- caller saw it when deciding (same status, not newly due to expire) — otherwise CF001 and nothing
-- is written, and the caller takes the general path. Returns 'processed' or 'duplicate'.
CREATE OR REPLACE FUNCTION coffer_ingest_credit(
  p_provider text, p_event_id text, p_type text, p_payload jsonb, p_order text,
  p_expected_status text, p_paid bigint, p_credit bigint, p_paid_late boolean, p_note text,
  p_actor text, p_transfer_ids text[]
)
 RETURNS text
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $fn$
DECLARE
  o orders%ROWTYPE;
BEGIN
  INSERT INTO provider_events (provider, event_id, type, order_id, payload, result)
  VALUES (p_provider, p_event_id, p_type, p_order, p_payload, p_note)
  ON CONFLICT (provider, event_id) DO NOTHING;
  IF NOT FOUND THEN
    -- The event may have been recorded by a commit that is not flushed yet (coffer_ingest_credits
    -- commits asynchronously until its last item): answering 'duplicate' must wait for it.
    PERFORM coffer_make_commit_flush();
    RETURN 'duplicate';
  END IF;
  SELECT * INTO o FROM orders WHERE id = p_order FOR UPDATE;
  IF o.status IS DISTINCT FROM p_expected_status OR (o.status = 'pending' AND o.expires_at <= now()) THEN
    -- Undo the event row too: the caller decides again on the general path.
    RAISE EXCEPTION 'order % is no longer %', p_order, p_expected_status USING ERRCODE = 'CF001';
  END IF;
  PERFORM coffer_post_credit(o, p_expected_status, p_paid, p_credit, p_paid_late, p_note, p_actor, p_transfer_ids);
  RETURN 'processed';
END
$fn$;
