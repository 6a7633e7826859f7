import { sql, type Kysely } from 'kysely';

// `customer.frozen` / `customer.unfrozen` events (docs/api.md, Events). A customer is frozen or
// unfrozen from TypeScript (refunds and disputes, src/topups/reversals.ts) and from PL/pgSQL (any
// credit that repays the debt, coffer_unfreeze_if_repaid inside coffer_post_credit), so the event
// is written by a trigger on the status itself: wherever the status changes, in the same
// transaction (the events table is a transactional outbox), and no future path can forget it.
// The event's object is the customer as the API shows it (GET /v1/customers/{id}).

// An id like src/lib/ids.ts newId(): prefix, 10 base-32 characters of milliseconds, 16 random.
const NEW_ID_FUNCTION = `
CREATE FUNCTION coffer_new_id(p_prefix text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  alphabet constant text := '0123456789abcdefghjkmnpqrstvwxyz';
  ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000);
  out text := '';
BEGIN
  FOR i IN 1..10 LOOP
    out := substr(alphabet, (ms % 32)::int + 1, 1) || out;
    ms := ms / 32;
  END LOOP;
  FOR i IN 1..16 LOOP
    out := out || substr(alphabet, floor(random() * 32)::int + 1, 1);
  END LOOP;
  RETURN p_prefix || '_' || out;
END
$fn$;
`;

const STATUS_EVENT_FUNCTION = `
CREATE FUNCTION coffer_customer_status_event() RETURNS trigger
LANGUAGE plpgsql AS $fn$
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
`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(NEW_ID_FUNCTION).execute(db);
  await sql.raw(STATUS_EVENT_FUNCTION).execute(db);
  await sql`
    CREATE TRIGGER customers_status_event AFTER UPDATE OF status ON customers
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION coffer_customer_status_event();
  `.execute(db);
}

