-- The id of a system account (customer_id NULL: fees, fx, clearing:<provider>, revenue:<balance>)
-- in a currency, created on first use. System balances are derived from their entries, never
-- locked, so any number of customers' transactions post to them at once.
CREATE OR REPLACE FUNCTION coffer_system_account(p_code text, p_currency text)
 RETURNS bigint
 LANGUAGE plpgsql
AS $fn$
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
