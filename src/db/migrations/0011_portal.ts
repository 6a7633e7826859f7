import { sql, type Kysely } from 'kysely';

// The customer portal (docs/portal.md): one-time links (sign-in and payment-password reset),
// sessions (only a hash of the cookie's token is kept), the payment password, the customer's
// language, and the mail kinds that carry the links. Customers are found by e-mail for the
// e-mailed sign-in link, so the address gets an index (addresses are not unique).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE customers ADD COLUMN locale text CHECK (locale IN ('en', 'zh-CN'));
    CREATE INDEX customers_email_idx ON customers (lower(email));

    CREATE TABLE portal_links (
      id text PRIMARY KEY,
      customer_id text NOT NULL REFERENCES customers (id),
      purpose text NOT NULL CHECK (purpose IN ('signin', 'pin_reset')),
      return_url text,
      locale text CHECK (locale IN ('en', 'zh-CN')),
      sent_to text,
      created_by text NOT NULL,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX portal_links_sent_to_idx ON portal_links (sent_to, created_at) WHERE sent_to IS NOT NULL;
    CREATE INDEX portal_links_customer_idx ON portal_links (customer_id, purpose, created_at);

    CREATE TABLE portal_sessions (
      id text PRIMARY KEY,
      token_hash text NOT NULL,
      customer_id text NOT NULL REFERENCES customers (id),
      csrf_token text NOT NULL,
      return_url text,
      ip text,
      user_agent text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      CONSTRAINT portal_sessions_token_key UNIQUE (token_hash)
    );
    CREATE INDEX portal_sessions_customer_idx ON portal_sessions (customer_id, id DESC);

    CREATE TABLE portal_payment_passwords (
      customer_id text PRIMARY KEY REFERENCES customers (id),
      password_hash text NOT NULL,
      failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
      locked_until timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
    ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check CHECK (kind IN ('topup_receipt', 'portal_signin', 'portal_pin_reset'));
  `.execute(db);
}
