-- A frozen customer is unfrozen once nothing is owed: no balance below zero, no dispute open.
-- Returns whether it unfroze them (the status trigger writes the customer.unfrozen event).
CREATE OR REPLACE FUNCTION coffer_unfreeze_if_repaid(p_customer text)
 RETURNS boolean
 LANGUAGE plpgsql
AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM accounts WHERE customer_id = p_customer AND posted - held < 0)
     OR EXISTS (SELECT 1 FROM disputes WHERE customer_id = p_customer AND status = 'open') THEN
    RETURN false;
  END IF;
  UPDATE customers SET status = 'active' WHERE id = p_customer AND status = 'frozen';
  RETURN FOUND;
END
$fn$;
