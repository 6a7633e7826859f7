// The shapes the portal API returns (docs/portal.md). Amounts are integers in minor units.

export interface MoneyValue {
  amount: number;
  currency: string;
}

export type OrderStatus = 'pending' | 'processing' | 'succeeded' | 'failed' | 'expired' | 'cancelled';
export type MethodName = 'card' | 'crypto' | 'bank_transfer' | 'balance';

export type NextAction =
  | { type: 'redirect'; url: string }
  | { type: 'crypto_transfer'; asset: string; network: string; address: string; amount: string; expires_at: string }
  | {
      type: 'bank_transfer';
      currency: string;
      amount: number;
      reference: string;
      account: { beneficiary: string; bank_name: string; account_number: string; swift?: string; branch?: string };
    };

export interface Order {
  id: string;
  customer: string;
  balance: string;
  method: MethodName;
  status: OrderStatus;
  needs_review: boolean;
  paid_late: boolean;
  amount: MoneyValue;
  pay: MoneyValue;
  fee: MoneyValue;
  credit: MoneyValue;
  fx_rate: string | null;
  fx: { base: string; quote: string; rate: string } | null;
  network: string | null;
  received: MoneyValue | null;
  credited: MoneyValue | null;
  refunded_amount: number;
  refund_status: 'none' | 'partial' | 'full';
  provider: { name: string; payment_id: string | null };
  next_action: NextAction | null;
  expires_at: string;
  created_at: string;
  succeeded_at: string | null;
  timeline: { at: string; status: string; note: string; actor: string }[];
  /** the balance's posted amount before and after this order's credit (portal only, succeeded orders) */
  balance_change?: { before: number; after: number; currency: string } | null;
}

export interface Balance {
  balance: string;
  name: string;
  currency: string;
  posted: number;
  held: number;
  available: number;
}

export interface Entry {
  id: string;
  transfer_id: string;
  kind: string;
  amount: number;
  balance_after: number;
  reference: string;
  description?: string | null;
  created_at: string;
  balance?: string;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

export interface PortalConfig {
  operator_name: string;
  public_url: string;
  official_host: string;
  support_email: string | null;
  min_topup: MoneyValue;
  currencies: Record<string, number>;
  locales: string[];
}

export interface Me {
  customer: { id: string; name: string | null; email: string; currency: string; status: 'active' | 'frozen' };
  locale: string | null;
  csrf_token: string;
  return_url: string | null;
  session: { id: string; expires_at: string };
  payment_password: { set: boolean; locked_until: string | null };
}

export interface PaymentMethodInfo {
  method: MethodName;
  provider: string;
  currencies: string[];
  networks?: string[];
  fee: { percent_bps: number; fixed: MoneyValue };
  minimum: MoneyValue;
  maximum: MoneyValue | null;
  processing_time: string;
  order_ttl_seconds: number;
  available: boolean;
}

export interface QuoteResult {
  amount: MoneyValue;
  fee: MoneyValue;
  pay: MoneyValue;
  credit: MoneyValue;
  fx_rate: string | null;
  /** the rate used: 1 base = rate quote */
  fx: { base: string; quote: string; rate: string } | null;
  valid_until: string;
}

export interface HomeData {
  balances: Balance[];
  recent_orders: Order[];
  recent_charges: Entry[];
  chart: Array<{ date: string } & Record<string, number | string>>;
}

export interface SessionInfo {
  id: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
}
