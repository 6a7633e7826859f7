-- Group commit for usage charges: every charge queued on one balance is decided and written in one
-- call, one transaction, under that balance's row lock. Each charge keeps its own idempotency key
-- (the key row is written in the same transaction as the money), its own response and the
-- no-overdraft rule, decided in arrival order. Statuses: 0 = the balance has no account (the caller
-- resolves 404/422); 409 with body 'reused' or 'in_use' = rendered by the caller. Keys are distinct
-- within a batch (the caller guarantees it). Bodies are compact JSON written with format() and
-- to_json() (which quotes and escapes every string). Each key is looked up with its own probe of
-- the primary key: a plan that stays right on a table that was never analysed (docs/benchmarks.md,
-- "Steady from a fresh database").
CREATE OR REPLACE FUNCTION coffer_charge_batch(
  p_customer text, p_balance text, p_api_key bigint, p_keys text[], p_hashes text[],
  p_amounts bigint[], p_currencies text[], p_descriptions text[], p_metadata jsonb[],
  p_charge_ids text[], p_transfer_ids text[], p_revenue_code text, OUT r_status integer[],
  OUT r_body text[], OUT r_replayed boolean[]
)
 RETURNS record
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $fn$
DECLARE
  v_n integer := cardinality(p_keys);
  v_acc record;
  v_customer_status text;
  v_revenue bigint;
  v_fresh integer;
  v_stored integer;
  v_existing record;
  v_posted bigint;
  v_seq bigint;
  v_created text := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
  w_idx integer[] := '{}';
  w_seq bigint[] := '{}';
  w_after bigint[] := '{}';
  r_seen boolean[] := array_fill(false, ARRAY[v_n]);
  i integer;
BEGIN
  r_status := array_fill(0, ARRAY[v_n]);
  r_body := array_fill(NULL::text, ARRAY[v_n]);
  r_replayed := array_fill(false, ARRAY[v_n]);
  SELECT a.*, c.status AS customer_status INTO v_acc
  FROM accounts a JOIN customers c ON c.id = a.customer_id
  WHERE a.customer_id = p_customer AND a.code = p_balance
  FOR UPDATE OF a;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  v_customer_status := v_acc.customer_status;
  IF v_acc.next_hold_expiry IS NOT NULL AND v_acc.next_hold_expiry <= now() THEN
    PERFORM coffer_expire_holds(v_acc.id);
    SELECT * INTO v_acc FROM accounts a WHERE a.id = v_acc.id;
  END IF;

  -- Keys seen before are answered from their stored response (or refused if the body differs).
  -- One probe of the key's primary key per charge (LATERAL … LIMIT 1): the plan is cached once per
  -- connection, and this shape is the cheapest whatever the table's statistics say, so a plan made
  -- on an empty table stays right as it grows (migration 0014).
  FOR v_existing IN
    SELECT u.i, k.request_hash, k.response_status, k.response_body
    FROM unnest(p_keys) WITH ORDINALITY AS u(key, i)
    CROSS JOIN LATERAL (
      SELECT k.request_hash, k.response_status, k.response_body FROM idempotency_keys k
      WHERE k.api_key_id = p_api_key AND k.key = u.key LIMIT 1) k
  LOOP
    i := v_existing.i;
    r_seen[i] := true;
    IF v_existing.request_hash <> p_hashes[i] THEN
      r_status[i] := 409; r_body[i] := 'reused';
    ELSIF v_existing.response_status IS NULL THEN
      r_status[i] := 409; r_body[i] := 'in_use';
    ELSE
      r_status[i] := v_existing.response_status; r_body[i] := v_existing.response_body; r_replayed[i] := true;
    END IF;
  END LOOP;

  v_posted := v_acc.posted;
  v_seq := v_acc.entry_seq;
  v_fresh := 0;
  FOR i IN 1 .. v_n LOOP
    IF r_seen[i] THEN
      CONTINUE;
    END IF;
    v_fresh := v_fresh + 1;
    IF v_customer_status = 'frozen' THEN
      r_status[i] := 403;
      r_body[i] := format('{"error":{"code":"customer_frozen","message":"This customer is frozen: spending is blocked until the negative balance is repaid.","details":{"customer":%s}}}',
        to_json(p_customer));
    ELSIF p_currencies[i] <> v_acc.currency THEN
      r_status[i] := 422;
      r_body[i] := format('{"error":{"code":"currency_mismatch","message":"The amount is in %s but the customer''s balances are in %s.","details":{"expected":%s,"received":%s}}}',
        p_currencies[i], v_acc.currency, to_json(v_acc.currency), to_json(p_currencies[i]));
    ELSIF v_posted - v_acc.held < p_amounts[i] THEN
      r_status[i] := 402;
      r_body[i] := format('{"error":{"code":"insufficient_funds","message":"The balance does not have enough available funds for this amount.","details":{"available":%s,"currency":%s}}}',
        v_posted - v_acc.held, to_json(v_acc.currency));
    ELSE
      v_posted := v_posted - p_amounts[i];
      v_seq := v_seq + 1;
      w_idx := w_idx || i;
      w_seq := w_seq || v_seq;
      w_after := w_after || v_posted;
      r_status[i] := 201;
      r_body[i] := format('{"id":%s,"object":"charge","customer":%s,"balance":%s,"amount":%s,"currency":%s,"status":"succeeded","description":%s,"metadata":%s,"transfer_id":%s,"balance_after":{"posted":%s,"held":%s,"available":%s},"created_at":"%s"}',
        to_json(p_charge_ids[i]), to_json(p_customer), to_json(p_balance), p_amounts[i], to_json(p_currencies[i]),
        coalesce(to_json(p_descriptions[i])::text, 'null'), coalesce(p_metadata[i]::text, 'null'), to_json(p_transfer_ids[i]),
        v_posted, v_acc.held, v_posted - v_acc.held, v_created);
    END IF;
  END LOOP;

  IF cardinality(w_idx) > 0 THEN
    -- The revenue account is a system account: found (or created once), never locked.
    SELECT a.id INTO v_revenue FROM accounts a
    WHERE a.customer_id IS NULL AND a.code = p_revenue_code AND a.currency = v_acc.currency;
    IF NOT FOUND THEN
      INSERT INTO accounts (customer_id, code, currency) VALUES (NULL, p_revenue_code, v_acc.currency)
      ON CONFLICT (code, currency) WHERE customer_id IS NULL DO NOTHING;
      SELECT a.id INTO v_revenue FROM accounts a
      WHERE a.customer_id IS NULL AND a.code = p_revenue_code AND a.currency = v_acc.currency;
    END IF;
    INSERT INTO transfers (id, customer_id, kind, debit_account_id, credit_account_id, amount, currency,
                           reference, object_id, description, metadata)
    SELECT p_transfer_ids[j], p_customer, 'charge', v_acc.id, v_revenue, p_amounts[j], p_currencies[j],
           p_api_key || ':' || p_keys[j], p_charge_ids[j], p_descriptions[j], p_metadata[j]
    FROM unnest(w_idx) AS j;
    INSERT INTO entries (account_id, seq, customer_id, transfer_id, kind, amount, balance_after, reference)
    SELECT v_acc.id, u.s, p_customer, p_transfer_ids[u.j], 'charge', -p_amounts[u.j], u.a, p_keys[u.j]
    FROM unnest(w_idx, w_seq, w_after) AS u(j, s, a);
    UPDATE accounts SET posted = v_posted, entry_seq = v_seq WHERE id = v_acc.id;
  END IF;

  -- New keys are stored with their answers in the same transaction as the money. A key that
  -- another transaction stored meanwhile (same key, another balance) aborts the batch with a
  -- unique violation; the caller retries it and then finds the key.
  INSERT INTO idempotency_keys (api_key_id, key, request_hash, response_status, response_body)
  SELECT p_api_key, p_keys[g], p_hashes[g], r_status[g], r_body[g]
  FROM generate_series(1, v_n) AS g WHERE NOT r_seen[g];
END
$fn$;
