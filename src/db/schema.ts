import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface ProductsTable {
  code: string;
  name: string;
  enabled: Generated<boolean>;
  created_at: Timestamp;
}

export interface CustomersTable {
  id: string;
  external_id: string;
  email: string;
  name: string | null;
  currency: string;
  status: Generated<'active' | 'frozen'>;
  /** the portal language the customer chose; null = not chosen */
  locale: Generated<PortalLocale | null>;
  created_at: Timestamp;
}

export interface AccountsTable {
  id: Generated<bigint>;
  customer_id: string | null;
  code: string;
  currency: string;
  posted: Generated<bigint>;
  held: Generated<bigint>;
  entry_seq: Generated<bigint>;
  next_hold_expiry: Date | null;
  created_at: Timestamp;
}

export interface TransfersTable {
  id: string;
  customer_id: string;
  kind: string;
  debit_account_id: bigint;
  credit_account_id: bigint;
  amount: bigint;
  currency: string;
  reference: string;
  object_id: string;
  description: string | null;
  metadata: unknown;
  created_at: Timestamp;
}

export interface EntriesTable {
  account_id: bigint;
  seq: bigint;
  customer_id: string;
  transfer_id: string;
  kind: string;
  amount: bigint;
  balance_after: bigint;
  reference: string;
  created_at: Timestamp;
}

export interface HoldsTable {
  id: string;
  customer_id: string;
  account_id: bigint;
  balance: string;
  amount: bigint;
  captured_amount: Generated<bigint>;
  currency: string;
  status: Generated<'active' | 'captured' | 'voided' | 'expired'>;
  description: string | null;
  reference: string;
  expires_at: Date;
  created_at: Timestamp;
  closed_at: Date | null;
}

export interface ApiKeysTable {
  id: Generated<bigint>;
  name: string;
  prefix: string;
  secret_hash: string;
  created_at: Timestamp;
  revoked_at: Date | null;
}

export interface IdempotencyKeysTable {
  api_key_id: bigint;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: string | null;
  created_at: Timestamp;
}

export interface SettingsTable {
  key: string;
  value: string;
  created_at: Timestamp;
}

export interface PaymentMethodsTable {
  method: string;
  provider: string;
  enabled: boolean;
  for_wallet: boolean;
  for_products: boolean;
  currencies: string[];
  networks: string[];
  fee_bps: number;
  fee_fixed_minor: bigint;
  fee_fixed_currency: string;
  minimum_minor: bigint | null;
  maximum_minor: bigint | null;
  limits_currency: string;
  processing_time: string;
  order_ttl_seconds: number;
  display_order: number;
  updated_at: Timestamp;
}

export interface FxRatesTable {
  id: Generated<bigint>;
  base: string;
  quote: string;
  rate: string;
  source: string;
  created_at: Timestamp;
}

export type OrderStatus = 'pending' | 'processing' | 'succeeded' | 'failed' | 'expired' | 'cancelled';

export interface OrdersTable {
  id: string;
  customer_id: string;
  balance: string;
  method: string;
  provider: string;
  status: OrderStatus;
  needs_review: Generated<boolean>;
  paid_late: Generated<boolean>;
  amount: bigint;
  fee_amount: bigint;
  pay_amount: bigint;
  pay_currency: string;
  credit_amount: bigint;
  credit_currency: string;
  fx_base: string | null;
  fx_quote: string | null;
  fx_rate: string | null;
  network: string | null;
  received_amount: bigint | null;
  credited_amount: bigint | null;
  refunded_amount: Generated<bigint>;
  refund_status: Generated<'none' | 'partial' | 'full'>;
  provider_payment_id: string | null;
  next_action: unknown;
  return_url: string | null;
  api_key_id: bigint | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Timestamp;
  succeeded_at: Date | null;
  provider_refunded_amount: Generated<bigint>;
}

export interface DisputesTable {
  id: string;
  provider: string;
  provider_dispute_id: string;
  order_id: string;
  customer_id: string;
  amount: bigint;
  currency: string;
  debited_amount: bigint;
  status: 'open' | 'won' | 'lost';
  reason: string | null;
  created_at: Timestamp;
  closed_at: Date | null;
}

export interface PaymentProofsTable {
  id: string;
  order_id: string;
  customer_id: string;
  content_type: 'image/png' | 'image/jpeg' | 'application/pdf';
  size_bytes: number;
  sha256: string;
  storage_path: string;
  created_at: Timestamp;
}

export interface MailOutboxTable {
  id: Generated<bigint>;
  kind: 'topup_receipt' | 'portal_signin' | 'portal_pin_reset';
  object_id: string;
  customer_id: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  sent_at: Date | null;
  last_error: string | null;
  created_at: Timestamp;
}

export interface EventsTable {
  id: string;
  type: string;
  customer_id: string | null;
  data: unknown;
  created_at: Timestamp;
}

export interface OrderTimelineTable {
  id: Generated<bigint>;
  order_id: string;
  customer_id: string;
  at: Timestamp;
  status: string;
  note: string;
  actor: string;
}

export interface ProviderEventsTable {
  provider: string;
  event_id: string;
  type: string;
  order_id: string | null;
  payload: unknown;
  result: string;
  received_at: Timestamp;
}

export interface SandboxPaymentsTable {
  id: string;
  order_id: string;
  method: string;
  amount: bigint;
  currency: string;
  network: string | null;
  address: string | null;
  return_url: string | null;
  status: Generated<'requires_payment' | 'processing' | 'succeeded' | 'failed'>;
  received_amount: bigint | null;
  received_network: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SandboxDeliveriesTable {
  id: Generated<bigint>;
  event_id: string;
  payment_id: string;
  body: string;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  delivered_at: Date | null;
  last_error: string | null;
  created_at: Timestamp;
}

export type PortalLocale = 'en' | 'zh-CN';

export interface PortalLinksTable {
  id: string;
  customer_id: string;
  purpose: 'signin' | 'pin_reset';
  return_url: string | null;
  locale: PortalLocale | null;
  /** the address an e-mailed link went to (lower case), for the per-address limit */
  sent_to: string | null;
  created_by: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: Timestamp;
}

export interface PortalSessionsTable {
  id: string;
  token_hash: string;
  customer_id: string;
  csrf_token: string;
  return_url: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface PortalPaymentPasswordsTable {
  customer_id: string;
  password_hash: string;
  failed_attempts: Generated<number>;
  locked_until: Date | null;
  updated_at: Timestamp;
}

export interface Database {
  products: ProductsTable;
  customers: CustomersTable;
  accounts: AccountsTable;
  transfers: TransfersTable;
  entries: EntriesTable;
  holds: HoldsTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  settings: SettingsTable;
  payment_methods: PaymentMethodsTable;
  fx_rates: FxRatesTable;
  orders: OrdersTable;
  order_timeline: OrderTimelineTable;
  provider_events: ProviderEventsTable;
  sandbox_payments: SandboxPaymentsTable;
  sandbox_deliveries: SandboxDeliveriesTable;
  disputes: DisputesTable;
  payment_proofs: PaymentProofsTable;
  mail_outbox: MailOutboxTable;
  events: EventsTable;
  portal_links: PortalLinksTable;
  portal_sessions: PortalSessionsTable;
  portal_payment_passwords: PortalPaymentPasswordsTable;
}
