import { sql, type Kysely } from 'kysely';

// Webhook credits in fewer statements and in groups (docs/benchmarks.md, issue 3: a credited order
// cost ~1.4 ms of PostgreSQL CPU, most of it statement and function-call overhead, not writes).
// The credit itself is unchanged in effect — same transfers, entries, order move, timeline entry
// and receipt — but is posted by one function body: the order row is read once (locked), the
// customer's accounts are locked and found by one statement, the system accounts by one, and the
// customer leg is inline. coffer_ingest_credits applies many webhooks' credits in one round trip,
// each in a transaction of its own (one customer per transaction, docs/design.md §10).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(MAKE_COMMIT_FLUSH_FUNCTION).execute(db);
  await sql.raw(`
    DROP FUNCTION coffer_ingest_credit(text, text, text, jsonb, text, text, bigint, bigint, boolean, text, text, text[]);
    DROP FUNCTION coffer_credit_order(text, text, bigint, bigint, boolean, text, text, text[]);
    DROP FUNCTION coffer_post_customer_leg(text, orders, bigint, boolean, bigint, text, text);
  `).execute(db);
  await sql.raw(POST_CREDIT_FUNCTION).execute(db);
  await sql.raw(CREDIT_ORDER_FUNCTION).execute(db);
  await sql.raw(INGEST_CREDIT_FUNCTION).execute(db);
  await sql.raw(INGEST_CREDITS_PROCEDURE).execute(db);
  await sql.raw(CHARGE_GROUPS_PROCEDURE).execute(db);
}

// Makes the current transaction's commit flush the WAL (with synchronous_commit on), and with it
// every commit before it. A commit waits for the flush only if its transaction has a transaction
// id AND wrote WAL itself (RecordTransactionCommit): a transaction that only replayed answers or
// found a duplicate writes nothing, and its commit would return before earlier asynchronous
// commits reach the disk. A non-transactional logical message is the smallest WAL record anyone
// may write (no lock, no table; at any wal_level).
const MAKE_COMMIT_FLUSH_FUNCTION = `
CREATE FUNCTION coffer_make_commit_flush() RETURNS void
LANGUAGE sql AS $fn$
  SELECT pg_current_xact_id(), pg_logical_emit_message(false, 'coffer', 'flush');
$fn$;
`;

// Posts the credit of an order row the caller has locked and decided to settle: the payment legs
// (provider clearing → fees; across currencies clearing → fx and fx → customer; else clearing →
// customer; the balance method: wallet → product), the customer's statement entries, the order's
// move to succeeded (conditional on the status the caller read), its timeline entry and its
// receipt; a credit that repays a frozen customer's debt unfreezes them. Callers run it with
// plan_cache_mode = force_generic_plan (every statement looks rows up by key).
const POST_CREDIT_FUNCTION = `
CREATE FUNCTION coffer_post_credit(
  o orders, p_from_status text, p_paid bigint, p_credit bigint, p_paid_late boolean,
  p_note text, p_actor text, p_transfer_ids text[])
RETURNS void
LANGUAGE plpgsql
AS $fn$
DECLARE
  acc record;
  v_to bigint;
  v_from bigint;
  v_clearing bigint;
  v_fees bigint;
  v_posted bigint;
  v_seq bigint;
  v_customer_status text;
BEGIN
  IF p_credit <= 0 OR p_paid <= o.fee_amount THEN
    RAISE EXCEPTION 'order %: nothing to credit for %', o.id, p_paid;
  END IF;
  -- The customer's accounts this credit touches, locked in id order (the one lock order
  -- everywhere); expired holds are released first.
  FOR acc IN SELECT a.id, a.code, a.next_hold_expiry <= now() AS expired FROM accounts a
             WHERE a.customer_id = o.customer_id
               AND a.code IN (o.balance, CASE WHEN o.method = 'balance' THEN 'wallet' END)
             ORDER BY a.id FOR UPDATE LOOP
    IF acc.expired THEN
      PERFORM coffer_expire_holds(acc.id);
    END IF;
    IF acc.code = o.balance THEN
      v_to := acc.id;
    ELSE
      v_from := acc.id;
    END IF;
  END LOOP;
  IF v_to IS NULL OR (o.method = 'balance' AND v_from IS NULL) THEN
    RAISE EXCEPTION 'order %: the customer has no % account', o.id, CASE WHEN v_to IS NULL THEN o.balance ELSE 'wallet' END;
  END IF;

  IF o.method <> 'balance' THEN
    SELECT max(a.id) FILTER (WHERE a.code <> 'fees'), max(a.id) FILTER (WHERE a.code = 'fees') INTO v_clearing, v_fees
    FROM accounts a WHERE a.customer_id IS NULL AND a.currency = o.pay_currency AND a.code IN ('clearing:' || o.provider, 'fees');
    IF v_clearing IS NULL THEN
      v_clearing := coffer_system_account('clearing:' || o.provider, o.pay_currency);
    END IF;
    IF o.fee_amount > 0 THEN
      INSERT INTO transfers (id, customer_id, kind, debit_account_id, credit_account_id, amount, currency, reference, object_id)
      VALUES (p_transfer_ids[2], o.customer_id, 'topup', v_clearing, coalesce(v_fees, coffer_system_account('fees', o.pay_currency)),
              o.fee_amount, o.pay_currency, o.id || ':fee', o.id);
    END IF;
    IF o.fx_rate IS NOT NULL THEN
      INSERT INTO transfers (id, customer_id, kind, debit_account_id, credit_account_id, amount, currency, reference, object_id)
      VALUES (p_transfer_ids[3], o.customer_id, 'topup', v_clearing, coffer_system_account('fx', o.pay_currency),
              p_paid - o.fee_amount, o.pay_currency, o.id || ':fx', o.id);
      v_from := coffer_system_account('fx', o.credit_currency);
    ELSE
      v_from := v_clearing;
    END IF;
  END IF;

  -- The customer leg: one transfer into the order's balance under the order id as its reference
  -- (so a second credit of one order cannot exist), with the statement entries of the customer
  -- accounts it touches and their new posted balances.
  INSERT INTO transfers (id, customer_id, kind, debit_account_id, credit_account_id, amount, currency, reference, object_id)
  VALUES (p_transfer_ids[1], o.customer_id, 'topup', v_from, v_to, p_credit, o.credit_currency, o.id, o.id);
  IF o.method = 'balance' THEN
    UPDATE accounts SET posted = posted - p_credit, entry_seq = entry_seq + 1 WHERE id = v_from RETURNING posted, entry_seq INTO v_posted, v_seq;
    INSERT INTO entries (account_id, seq, customer_id, transfer_id, kind, amount, balance_after, reference)
    VALUES (v_from, v_seq, o.customer_id, p_transfer_ids[1], 'topup', -p_credit, v_posted, o.id);
  END IF;
  UPDATE accounts SET posted = posted + p_credit, entry_seq = entry_seq + 1 WHERE id = v_to RETURNING posted, entry_seq INTO v_posted, v_seq;
  -- Balances are JSON numbers at the API: one beyond the safe-integer range would be reported wrongly.
  IF v_posted > 9007199254740991 THEN
    RAISE EXCEPTION 'the % balance would exceed 9007199254740991', o.balance USING ERRCODE = 'CF002';
  END IF;
  INSERT INTO entries (account_id, seq, customer_id, transfer_id, kind, amount, balance_after, reference)
  VALUES (v_to, v_seq, o.customer_id, p_transfer_ids[1], 'topup', p_credit, v_posted, o.id);

  UPDATE orders SET status = 'succeeded', received_amount = p_paid, credited_amount = p_credit,
         paid_late = paid_late OR p_paid_late, needs_review = false, succeeded_at = now(), updated_at = now()
  WHERE id = o.id AND status = p_from_status;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'order % changed under its lock (expected %)', o.id, p_from_status;
  END IF;
  INSERT INTO order_timeline (order_id, customer_id, status, note, actor) VALUES (o.id, o.customer_id, 'succeeded', p_note, p_actor);
  INSERT INTO mail_outbox (kind, object_id, customer_id) VALUES ('topup_receipt', o.id, o.customer_id) ON CONFLICT DO NOTHING;
  SELECT status INTO v_customer_status FROM customers WHERE id = o.customer_id;
  IF v_customer_status = 'frozen' AND coffer_unfreeze_if_repaid(o.customer_id) THEN
    INSERT INTO order_timeline (order_id, customer_id, status, note, actor)
    VALUES (o.id, o.customer_id, 'succeeded', 'Nothing is owed any more: the customer is unfrozen', p_actor);
  END IF;
END
$fn$;
`;

// The credit of an order the caller has locked (the general path in src/topups/settle.ts).
const CREDIT_ORDER_FUNCTION = `
CREATE FUNCTION coffer_credit_order(
  p_order text, p_from_status text, p_paid bigint, p_credit bigint, p_paid_late boolean,
  p_note text, p_actor text, p_transfer_ids text[])
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  o orders%ROWTYPE;
BEGIN
  SELECT * INTO o FROM orders WHERE id = p_order;
  PERFORM coffer_post_credit(o, p_from_status, p_paid, p_credit, p_paid_late, p_note, p_actor, p_transfer_ids);
END
$fn$;
`;

// A provider event and the credit it causes in one statement: the event is recorded under its
// unique key (a duplicate returns 'duplicate'), the order is locked and must still be as the
// caller saw it when deciding (same status, not newly due to expire) — otherwise CF001 and
// nothing is written, and the caller takes the general path. Returns 'processed' or 'duplicate'.
const INGEST_CREDIT_FUNCTION = `
CREATE FUNCTION coffer_ingest_credit(
  p_provider text, p_event_id text, p_type text, p_payload jsonb, p_order text, p_expected_status text,
  p_paid bigint, p_credit bigint, p_paid_late boolean, p_note text, p_actor text, p_transfer_ids text[])
RETURNS text
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
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
`;

// Many webhooks' credits in one round trip, each in a transaction of its own: the procedure
// commits after every item. All but the last commit are asynchronous; the last one is synchronous
// and has a transaction id, so its WAL flush covers every earlier commit of the call before the
// call returns — no answer goes out before that, so every 'processed' is durable. Per item:
// 'processed', 'duplicate', or 'error:<SQLSTATE>:<message>' (that item changed nothing; CF001 =
// the order moved since the caller read it, CF002 = the balance would pass the API's range).
// p_transfer_ids holds three ids per item.
const INGEST_CREDITS_PROCEDURE = `
CREATE PROCEDURE coffer_ingest_credits(
  p_providers text[], p_event_ids text[], p_types text[], p_payloads jsonb[], p_orders text[], p_expected text[],
  p_paid bigint[], p_credit bigint[], p_paid_late boolean[], p_notes text[], p_actors text[], p_transfer_ids text[],
  INOUT r_result text[] DEFAULT NULL)
LANGUAGE plpgsql AS $fn$
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
`;

// Charges: every group of a call now commits asynchronously, and a last, empty transaction with a
// transaction id commits synchronously: its WAL flush covers every group of the call before the
// call returns (no answer goes out before that, so every success is durable), but no balance row
// stays locked while the WAL is flushed — on a hot balance the next batch takes the lock as soon
// as the previous one has committed, instead of after its fsync (docs/ledger.md). The results come
// back as three strings instead of three arrays: parsing a text[] of JSON bodies element by element
// was a tenth of Node's time per charge. r_status: statuses joined by ','; r_body: bodies joined
// by U+001E (never found in JSON text), '' for none; r_replayed: one 't' or 'f' per charge.
export const CHARGE_GROUPS_PROCEDURE = `
DROP PROCEDURE coffer_charge_groups(bigint[], text[], text[], text[], integer[], text[], text[], bigint[], text[], text[], jsonb[], text[], text[], integer[], text[], boolean[]);
CREATE PROCEDURE coffer_charge_groups(
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
    EXCEPTION WHEN serialization_failure OR deadlock_detected THEN
      v_status := array_fill(-1, ARRAY[p_sizes[g]]);
      v_body := array_fill(NULL::text, ARRAY[p_sizes[g]]);
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
`;
