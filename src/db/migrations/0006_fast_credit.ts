import { sql, type Kysely } from 'kysely';

// Crediting an order in one database call (docs/benchmarks.md, issue 3: a webhook took ~14 round
// trips and graphile_worker.add_job for its receipt). coffer_credit_order is the one place that
// posts a top-up's credit; coffer_ingest_credit records a provider event and credits in a single
// statement when the caller's decision still holds; mail_outbox queues receipts with one insert.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE mail_outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('topup_receipt')),
      object_id text NOT NULL,
      customer_id text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT mail_outbox_once UNIQUE (kind, object_id)
    );
    CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL;
  `.execute(db);
  await sql.raw(SYSTEM_ACCOUNT_FUNCTION).execute(db);
  await sql.raw(UNFREEZE_FUNCTION).execute(db);
  await sql.raw(CREDIT_ORDER_FUNCTION).execute(db);
  await sql.raw(INGEST_CREDIT_FUNCTION).execute(db);
}

const SYSTEM_ACCOUNT_FUNCTION = `
CREATE FUNCTION coffer_system_account(p_code text, p_currency text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE v_id bigint;
BEGIN
  SELECT id INTO v_id FROM accounts WHERE customer_id IS NULL AND code = p_code AND currency = p_currency;
  IF v_id IS NULL THEN
    INSERT INTO accounts (customer_id, code, currency) VALUES (NULL, p_code, p_currency)
    ON CONFLICT (code, currency) WHERE customer_id IS NULL DO NOTHING;
    SELECT id INTO v_id FROM accounts WHERE customer_id IS NULL AND code = p_code AND currency = p_currency;
  END IF;
  RETURN v_id;
END
$fn$;
`;

// A frozen customer is unfrozen once nothing is owed: no balance below zero, no dispute open.
const UNFREEZE_FUNCTION = `
CREATE FUNCTION coffer_unfreeze_if_repaid(p_customer text) RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM accounts WHERE customer_id = p_customer AND posted - held < 0)
     OR EXISTS (SELECT 1 FROM disputes WHERE customer_id = p_customer AND status = 'open') THEN
    RETURN false;
  END IF;
  UPDATE customers SET status = 'active' WHERE id = p_customer AND status = 'frozen';
  RETURN FOUND;
END
$fn$;
`;

// Posts the credit of an order the caller has locked and decided to settle: the payment legs
// (provider clearing → fees; across currencies clearing → fx and fx → customer; else clearing →
// customer; the balance method: wallet → product), the customer's statement entries, the order's
// move to succeeded (conditional on the status the caller read), its timeline entry and its
// receipt; a credit that repays a frozen customer's debt unfreezes them.
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
  acc record;
  v_debit bigint;
  v_clearing bigint;
  v_fx_out bigint;
  v_customer_status text;
BEGIN
  SELECT * INTO o FROM orders WHERE id = p_order;
  IF p_credit <= 0 OR p_paid <= o.fee_amount THEN
    RAISE EXCEPTION 'order %: nothing to credit for %', p_order, p_paid;
  END IF;
  -- Customer accounts in id order (the one lock order everywhere); expired holds released first.
  FOR acc IN SELECT a.id FROM accounts a WHERE a.customer_id = o.customer_id
             AND a.code IN (o.balance, CASE WHEN o.method = 'balance' THEN 'wallet' END)
             AND a.next_hold_expiry <= now() ORDER BY a.id FOR UPDATE LOOP
    PERFORM coffer_expire_holds(acc.id);
  END LOOP;
  PERFORM 1 FROM accounts a WHERE a.customer_id = o.customer_id
    AND a.code IN (o.balance, CASE WHEN o.method = 'balance' THEN 'wallet' END) ORDER BY a.id FOR UPDATE;

  IF o.method = 'balance' THEN
    SELECT id INTO v_debit FROM accounts WHERE customer_id = o.customer_id AND code = 'wallet';
    PERFORM coffer_post_customer_leg(p_transfer_ids[1], o, v_debit, true, p_credit, o.credit_currency, o.id);
  ELSE
    v_clearing := coffer_system_account('clearing:' || o.provider, o.pay_currency);
    IF o.fee_amount > 0 THEN
      INSERT INTO transfers (id, customer_id, kind, debit_account_id, credit_account_id, amount, currency, reference, object_id)
      VALUES (p_transfer_ids[2], o.customer_id, 'topup', v_clearing, coffer_system_account('fees', o.pay_currency), o.fee_amount, o.pay_currency, o.id || ':fee', o.id);
    END IF;
    IF o.fx_rate IS NOT NULL THEN
      INSERT INTO transfers (id, customer_id, kind, debit_account_id, credit_account_id, amount, currency, reference, object_id)
      VALUES (p_transfer_ids[3], o.customer_id, 'topup', v_clearing, coffer_system_account('fx', o.pay_currency), p_paid - o.fee_amount, o.pay_currency, o.id || ':fx', o.id);
      v_fx_out := coffer_system_account('fx', o.credit_currency);
      PERFORM coffer_post_customer_leg(p_transfer_ids[1], o, v_fx_out, false, p_credit, o.credit_currency, o.id);
    ELSE
      PERFORM coffer_post_customer_leg(p_transfer_ids[1], o, v_clearing, false, p_credit, o.credit_currency, o.id);
    END IF;
  END IF;

  UPDATE orders SET status = 'succeeded', received_amount = p_paid, credited_amount = p_credit,
         paid_late = paid_late OR p_paid_late, needs_review = false, succeeded_at = now(), updated_at = now()
  WHERE id = p_order AND status = p_from_status;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'order % changed under its lock (expected %)', p_order, p_from_status;
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

-- One transfer into the order's balance (the credit; reference = the order id), from a system
-- account or from the customer's wallet, with the statement entries of the customer accounts it
-- touches and their new posted balances. The accounts are locked by the caller.
CREATE FUNCTION coffer_post_customer_leg(
  p_id text, o orders, p_from bigint, p_from_is_customer boolean, p_amount bigint, p_currency text, p_reference text)
RETURNS void
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  v_to bigint;
  v_posted bigint;
  v_seq bigint;
BEGIN
  SELECT id INTO v_to FROM accounts WHERE customer_id = o.customer_id AND code = o.balance;
  INSERT INTO transfers (id, customer_id, kind, debit_account_id, credit_account_id, amount, currency, reference, object_id)
  VALUES (p_id, o.customer_id, 'topup', p_from, v_to, p_amount, p_currency, p_reference, o.id);
  IF p_from_is_customer THEN
    UPDATE accounts SET posted = posted - p_amount, entry_seq = entry_seq + 1 WHERE id = p_from RETURNING posted, entry_seq INTO v_posted, v_seq;
    INSERT INTO entries (account_id, seq, customer_id, transfer_id, kind, amount, balance_after, reference)
    VALUES (p_from, v_seq, o.customer_id, p_id, 'topup', -p_amount, v_posted, o.id);
  END IF;
  UPDATE accounts SET posted = posted + p_amount, entry_seq = entry_seq + 1 WHERE id = v_to RETURNING posted, entry_seq INTO v_posted, v_seq;
  -- Balances are JSON numbers at the API: one beyond the safe-integer range would be reported wrongly.
  IF v_posted > 9007199254740991 THEN
    RAISE EXCEPTION 'the % balance would exceed 9007199254740991', o.balance USING ERRCODE = 'CF002';
  END IF;
  INSERT INTO entries (account_id, seq, customer_id, transfer_id, kind, amount, balance_after, reference)
  VALUES (v_to, v_seq, o.customer_id, p_id, 'topup', p_amount, v_posted, o.id);
END
$fn$;
`;

// A provider event and the credit it causes in one statement: the event is recorded under its
// unique key (a duplicate returns 'duplicate'), the order is locked and must still be as the
// caller saw it when deciding (same status, not newly due to expire) — otherwise 'changed' and
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
  v_status text;
  v_due boolean;
BEGIN
  INSERT INTO provider_events (provider, event_id, type, order_id, payload, result)
  VALUES (p_provider, p_event_id, p_type, p_order, p_payload, p_note)
  ON CONFLICT (provider, event_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN 'duplicate';
  END IF;
  SELECT status, expires_at <= now() INTO v_status, v_due FROM orders WHERE id = p_order FOR UPDATE;
  IF v_status IS DISTINCT FROM p_expected_status OR (v_status = 'pending' AND v_due) THEN
    -- Undo the event row too: the caller decides again on the general path.
    RAISE EXCEPTION 'order % is no longer %', p_order, p_expected_status USING ERRCODE = 'CF001';
  END IF;
  PERFORM coffer_credit_order(p_order, p_expected_status, p_paid, p_credit, p_paid_late, p_note, p_actor, p_transfer_ids);
  RETURN 'processed';
END
$fn$;
`;
