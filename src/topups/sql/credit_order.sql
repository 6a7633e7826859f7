-- The credit of an order the caller has locked (the general path in src/topups/settle.ts).
CREATE OR REPLACE FUNCTION coffer_credit_order(
  p_order text, p_from_status text, p_paid bigint, p_credit bigint, p_paid_late boolean,
  p_note text, p_actor text, p_transfer_ids text[]
)
 RETURNS void
 LANGUAGE plpgsql
 SET plan_cache_mode TO 'force_generic_plan'
AS $fn$
DECLARE
  o orders%ROWTYPE;
BEGIN
  SELECT * INTO o FROM orders WHERE id = p_order;
  PERFORM coffer_post_credit(o, p_from_status, p_paid, p_credit, p_paid_late, p_note, p_actor, p_transfer_ids);
END
$fn$;
