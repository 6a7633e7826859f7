-- Releases a balance's holds that have passed their expiry (called under the balance's row lock by
-- every money movement of that balance, so an expired hold never blocks spending).
CREATE OR REPLACE FUNCTION coffer_expire_holds(p_account bigint)
 RETURNS void
 LANGUAGE sql
AS $fn$
WITH expired AS (
  UPDATE holds SET status = 'expired', closed_at = now()
  WHERE account_id = p_account AND status = 'active' AND expires_at <= now()
  RETURNING amount
)
UPDATE accounts
SET held = held - coalesce((SELECT sum(amount) FROM expired), 0),
    next_hold_expiry = (SELECT min(expires_at) FROM holds
                        WHERE account_id = p_account AND status = 'active' AND expires_at > now())
WHERE id = p_account;
$fn$;
