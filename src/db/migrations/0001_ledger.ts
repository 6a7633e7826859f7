import { sql, type Kysely } from 'kysely';

// The ledger schema. Notes on choices that are easy to undo by accident:
// - transfers carry no foreign keys to accounts: an FK check takes a KEY SHARE lock on the
//   referenced row, and every charge credits the same revenue account, so an FK would
//   serialise all customers on that one row (docs/design.md §6). verify checks the references instead.
// - system accounts never have their posted/held columns updated; their balances are derived
//   from transfers.
// - every money table carries customer_id so it can be distributed by customer (docs/design.md §10).
// Routines are not written here: each has one current text in a .sql file beside the module that
// owns it, applied after the migrations (src/db/routines.ts).
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
  // Holds' expiry, the ledger's immutability triggers and the charge batch: src/ledger/sql.
}
