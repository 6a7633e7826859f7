-- customer.frozen / customer.unfrozen events (docs/api.md, Events), written by a trigger on the
-- status itself: wherever it changes (TypeScript or PL/pgSQL), in the same transaction (the events
-- table is a transactional outbox). The event's object is the customer as GET /v1/customers/{id}
-- shows it.
CREATE OR REPLACE FUNCTION coffer_customer_status_event()
 RETURNS trigger
 LANGUAGE plpgsql
AS $fn$
DECLARE
  v_balances jsonb;
BEGIN
  SELECT coalesce(jsonb_agg(jsonb_build_object(
           'balance', b.code, 'currency', b.currency, 'posted', b.posted, 'held', b.held, 'available', b.posted - b.held)
           ORDER BY b.code <> 'wallet', b.code), '[]'::jsonb)
  INTO v_balances
  FROM (SELECT a.code, a.currency, a.posted,
               a.held - CASE WHEN a.next_hold_expiry <= now() THEN coalesce((
                 SELECT sum(h.amount) FROM holds h
                 WHERE h.account_id = a.id AND h.status = 'active' AND h.expires_at <= now()), 0)::bigint
               ELSE 0::bigint END AS held
        FROM accounts a WHERE a.customer_id = NEW.id) b;
  INSERT INTO events (id, type, customer_id, data)
  VALUES (coffer_new_id('evt'), CASE NEW.status WHEN 'frozen' THEN 'customer.frozen' ELSE 'customer.unfrozen' END, NEW.id,
          jsonb_build_object('object', jsonb_build_object(
            'id', NEW.id, 'object', 'customer', 'external_id', NEW.external_id, 'email', NEW.email, 'name', NEW.name,
            'currency', NEW.currency, 'status', NEW.status,
            'created_at', to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'balances', v_balances)));
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER customers_status_event AFTER UPDATE OF status ON customers
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION coffer_customer_status_event();
