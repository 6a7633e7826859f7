-- Posts the credit of an order row the caller has locked and decided to settle: the payment legs
-- (provider clearing → fees; across currencies clearing → fx and fx → customer; else clearing →
-- customer; the balance method: wallet → product), the customer's statement entries, the order's
-- move to succeeded (conditional on the status the caller read), its timeline entry and its
-- receipt; a credit that repays a frozen customer's debt unfreezes them. CF002: the balance would
-- pass the API's range. Callers run it with plan_cache_mode = force_generic_plan (every statement
-- looks rows up by key).
CREATE OR REPLACE FUNCTION coffer_post_credit(
  o orders, p_from_status text, p_paid bigint, p_credit bigint, p_paid_late boolean, p_note text,
  p_actor text, p_transfer_ids text[]
)
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
