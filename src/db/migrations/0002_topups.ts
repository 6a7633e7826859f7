import { sql, type Kysely } from 'kysely';

// Top-ups: payment methods, FX rates, orders with their timeline, provider events (the dedupe
// record of every webhook), settings shared by all processes, and the sandbox provider's own
// tables (it plays an outside service, so it keeps its state apart from the orders it serves).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE settings (
      key text PRIMARY KEY,
      value text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE payment_methods (
      method text PRIMARY KEY CHECK (method IN ('card', 'crypto', 'bank_transfer', 'balance')),
      provider text NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      for_wallet boolean NOT NULL,
      for_products boolean NOT NULL,
      currencies text[] NOT NULL,
      networks text[] NOT NULL DEFAULT '{}',
      fee_bps integer NOT NULL DEFAULT 0 CHECK (fee_bps BETWEEN 0 AND 10000),
      fee_fixed_minor bigint NOT NULL DEFAULT 0 CHECK (fee_fixed_minor >= 0),
      fee_fixed_currency text NOT NULL DEFAULT 'USD',
      minimum_minor bigint CHECK (minimum_minor > 0),
      maximum_minor bigint CHECK (maximum_minor > 0),
      limits_currency text NOT NULL DEFAULT 'USD',
      processing_time text NOT NULL,
      order_ttl_seconds integer NOT NULL CHECK (order_ttl_seconds > 0),
      display_order integer NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE fx_rates (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      base text NOT NULL,
      quote text NOT NULL CHECK (quote <> base),
      rate text NOT NULL CHECK (rate ~ '^[0-9]+(\.[0-9]+)?$'),
      source text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX fx_rates_pair_idx ON fx_rates (base, quote, id DESC);

    CREATE TABLE orders (
      id text PRIMARY KEY,
      customer_id text NOT NULL REFERENCES customers (id),
      balance text NOT NULL,
      method text NOT NULL,
      provider text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed', 'expired', 'cancelled')),
      needs_review boolean NOT NULL DEFAULT false,
      paid_late boolean NOT NULL DEFAULT false,
      amount bigint NOT NULL CHECK (amount > 0),
      fee_amount bigint NOT NULL CHECK (fee_amount >= 0),
      pay_amount bigint NOT NULL CHECK (pay_amount = amount + fee_amount),
      pay_currency text NOT NULL,
      credit_amount bigint NOT NULL CHECK (credit_amount > 0),
      credit_currency text NOT NULL,
      fx_base text,
      fx_quote text,
      fx_rate text,
      network text,
      received_amount bigint,
      credited_amount bigint,
      refunded_amount bigint NOT NULL DEFAULT 0,
      refund_status text NOT NULL DEFAULT 'none' CHECK (refund_status IN ('none', 'partial', 'full')),
      provider_payment_id text,
      next_action jsonb,
      return_url text,
      api_key_id bigint,
      expires_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      succeeded_at timestamptz,
      CONSTRAINT orders_credited_only_when_succeeded CHECK ((status = 'succeeded') = (credited_amount IS NOT NULL))
    );
    CREATE UNIQUE INDEX orders_provider_payment_key ON orders (provider, provider_payment_id);
    CREATE INDEX orders_customer_idx ON orders (customer_id, id DESC);
    CREATE INDEX orders_status_idx ON orders (status, id DESC);
    CREATE INDEX orders_pending_expiry_idx ON orders (expires_at) WHERE status = 'pending';

    CREATE TABLE order_timeline (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      order_id text NOT NULL REFERENCES orders (id),
      customer_id text NOT NULL,
      at timestamptz NOT NULL DEFAULT clock_timestamp(),
      status text NOT NULL,
      note text NOT NULL,
      actor text NOT NULL
    );
    CREATE INDEX order_timeline_order_idx ON order_timeline (order_id, id);

    CREATE TABLE provider_events (
      provider text NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      order_id text,
      payload jsonb NOT NULL,
      result text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (provider, event_id)
    );
    CREATE INDEX provider_events_order_idx ON provider_events (order_id);

    CREATE TABLE sandbox_payments (
      id text PRIMARY KEY,
      order_id text NOT NULL UNIQUE,
      method text NOT NULL,
      amount bigint NOT NULL,
      currency text NOT NULL,
      network text,
      address text,
      return_url text,
      status text NOT NULL DEFAULT 'requires_payment'
        CHECK (status IN ('requires_payment', 'processing', 'succeeded', 'failed')),
      received_amount bigint,
      received_network text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE sandbox_deliveries (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id text NOT NULL UNIQUE,
      payment_id text NOT NULL REFERENCES sandbox_payments (id),
      body text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sandbox_deliveries_due_idx ON sandbox_deliveries (next_attempt_at) WHERE delivered_at IS NULL;
  `.execute(db);
}
