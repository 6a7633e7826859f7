import { sql, type Kysely } from 'kysely';

// The ledger schema. Notes on choices that are easy to undo by accident:
// - transfers carry no foreign keys to accounts: an FK check takes a KEY SHARE lock on the
//   referenced row, and every charge credits the same revenue account, so an FK would
//   serialise all customers on that one row (docs/design.md §6). verify checks the references instead.
// - system accounts never have their posted/held columns updated; their balances are derived
//   from transfers.
// - every money table carries customer_id so it can be distributed by customer (docs/design.md §10).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE products (
      code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_-]{0,31}$' AND code <> 'wallet'),
      name text NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE customers (
      id text PRIMARY KEY,
      external_id text NOT NULL,
      email text NOT NULL,
      name text,
      currency text NOT NULL,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen')),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT customers_external_id_key UNIQUE (external_id)
    );

    CREATE TABLE accounts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer_id text REFERENCES customers (id),
      code text NOT NULL,
      currency text NOT NULL,
      posted bigint NOT NULL DEFAULT 0,
      held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
      entry_seq bigint NOT NULL DEFAULT 0,
      next_hold_expiry timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX accounts_customer_code_key ON accounts (customer_id, code) WHERE customer_id IS NOT NULL;
    CREATE UNIQUE INDEX accounts_system_code_key ON accounts (code, currency) WHERE customer_id IS NULL;

    CREATE TABLE transfers (
      id text PRIMARY KEY,
      customer_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('topup', 'charge', 'capture', 'transfer', 'grant', 'refund', 'chargeback', 'adjustment')),
      debit_account_id bigint NOT NULL,
      credit_account_id bigint NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      currency text NOT NULL,
      reference text NOT NULL,
      object_id text NOT NULL,
      description text,
      metadata jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (debit_account_id <> credit_account_id),
      CONSTRAINT transfers_reference_key UNIQUE (customer_id, reference)
    );
    CREATE INDEX transfers_object_idx ON transfers (object_id);

    CREATE TABLE entries (
      account_id bigint NOT NULL,
      seq bigint NOT NULL,
      customer_id text NOT NULL,
      transfer_id text NOT NULL,
      kind text NOT NULL,
      amount bigint NOT NULL CHECK (amount <> 0),
      balance_after bigint NOT NULL,
      reference text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account_id, seq)
    );

    CREATE TABLE holds (
      id text PRIMARY KEY,
      customer_id text NOT NULL,
      account_id bigint NOT NULL REFERENCES accounts (id),
      balance text NOT NULL,
      amount bigint NOT NULL CHECK (amount > 0),
      captured_amount bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0 AND captured_amount <= amount),
      currency text NOT NULL,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'captured', 'voided', 'expired')),
      description text,
      reference text NOT NULL,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz,
      CONSTRAINT holds_reference_key UNIQUE (customer_id, reference)
    );
    CREATE INDEX holds_active_idx ON holds (account_id, expires_at) WHERE status = 'active';
    CREATE INDEX holds_active_expiry_idx ON holds (expires_at) WHERE status = 'active';

    CREATE TABLE api_keys (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name text NOT NULL,
      prefix text NOT NULL,
      secret_hash text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    );

    CREATE TABLE idempotency_keys (
      api_key_id bigint NOT NULL,
      key text NOT NULL,
      request_hash text NOT NULL,
      response_status integer,
      response_body text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (api_key_id, key)
    );
  `.execute(db);

  // Releases the expired holds of one account. The caller holds the account's row lock.
  await sql`
    CREATE FUNCTION coffer_expire_holds(p_account bigint) RETURNS void LANGUAGE sql AS $fn$
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
  `.execute(db);

  // Transfers and statement entries are history: nothing may change or remove them.
  await sql`
    CREATE FUNCTION coffer_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END
    $fn$;
    CREATE TRIGGER transfers_immutable BEFORE UPDATE OR DELETE ON transfers
      FOR EACH ROW EXECUTE FUNCTION coffer_refuse_change();
    CREATE TRIGGER entries_immutable BEFORE UPDATE OR DELETE ON entries
      FOR EACH ROW EXECUTE FUNCTION coffer_refuse_change();
  `.execute(db);

  await sql.raw(CHARGE_BATCH_FUNCTION).execute(db);
  await sql.raw(CHARGE_GROUPS_PROCEDURE).execute(db);
}

// Group commit for usage charges: every charge queued on one balance is decided and written in
// one call, one transaction, under that balance's row lock. Each charge keeps its own
// idempotency key (the key row is written in the same transaction as the money), its own
// response and the no-overdraft rule, decided in arrival order. Statuses: 0 = the balance has no
// account (the caller resolves 404/422); 409 with body 'reused' or 'in_use' = rendered by the caller.
// Keys are assumed distinct within a batch (the caller guarantees it). Bodies are compact JSON
// written with format() and to_json() (which quotes and escapes every string).
export const CHARGE_BATCH_FUNCTION = `
CREATE FUNCTION coffer_charge_batch(
  p_customer text, p_balance text, p_api_key bigint, p_keys text[], p_hashes text[],
  p_amounts bigint[], p_currencies text[], p_descriptions text[], p_metadata jsonb[],
  p_charge_ids text[], p_transfer_ids text[], p_revenue_code text,
  OUT r_status integer[], OUT r_body text[], OUT r_replayed boolean[])
LANGUAGE plpgsql
-- Every statement inside looks rows up by key, so one generic plan per statement is right; with
-- custom plans PostgreSQL re-planned them on every call (about a quarter of a charge's CPU).
SET plan_cache_mode = force_generic_plan
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
  FOR v_existing IN
    SELECT k.key, k.request_hash, k.response_status, k.response_body
    FROM idempotency_keys k WHERE k.api_key_id = p_api_key AND k.key = ANY (p_keys)
  LOOP
    i := array_position(p_keys, v_existing.key);
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
  -- serialization failure; the caller retries it and then finds the key.
  INSERT INTO idempotency_keys (api_key_id, key, request_hash, response_status, response_body)
  SELECT p_api_key, p_keys[g], p_hashes[g], r_status[g], r_body[g]
  FROM generate_series(1, v_n) AS g WHERE NOT r_seen[g]
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS v_stored = ROW_COUNT;
  IF v_stored <> v_fresh THEN
    RAISE EXCEPTION 'an idempotency key of this batch was stored concurrently' USING ERRCODE = '40001';
  END IF;
END
$fn$;
`;

// Many balances' charge batches in one round trip, each still its own transaction (one customer per
// transaction, docs/design.md §10): the procedure commits after every group. All but the last commit
// are asynchronous; the last one is synchronous and has a transaction id, so its WAL flush covers
// every earlier commit of the call (WAL is flushed in order) before the call returns — no reply is
// sent before that, so every success is durable. A group that meets a serialization failure or a
// deadlock reports status -1 for each of its charges and the caller retries that group alone.
const CHARGE_GROUPS_PROCEDURE = `
CREATE PROCEDURE coffer_charge_groups(
  p_api_keys bigint[], p_customers text[], p_balances text[], p_revenue_codes text[], p_sizes integer[],
  p_keys text[], p_hashes text[], p_amounts bigint[], p_currencies text[], p_descriptions text[],
  p_metadata jsonb[], p_charge_ids text[], p_transfer_ids text[],
  INOUT r_status integer[] DEFAULT NULL, INOUT r_body text[] DEFAULT NULL, INOUT r_replayed boolean[] DEFAULT NULL)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_groups integer := cardinality(p_sizes);
  v_from integer := 1;
  v_to integer;
  v_status integer[];
  v_body text[];
  v_replayed boolean[];
BEGIN
  r_status := '{}';
  r_body := '{}';
  r_replayed := '{}';
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
    r_status := r_status || v_status;
    r_body := r_body || v_body;
    r_replayed := r_replayed || v_replayed;
    IF g < v_groups THEN
      PERFORM set_config('synchronous_commit', 'off', true);
    ELSE
      PERFORM pg_current_xact_id();
    END IF;
    COMMIT;
    v_from := v_to + 1;
  END LOOP;
END
$fn$;
`;
