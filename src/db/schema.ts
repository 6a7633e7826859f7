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

export interface Database {
  products: ProductsTable;
  customers: CustomersTable;
  accounts: AccountsTable;
  transfers: TransfersTable;
  entries: EntriesTable;
  holds: HoldsTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
}
