import { isoTime } from '../lib/json.js';
import type { BalanceView } from './accounts.js';

export interface HoldRow {
  id: string;
  customer_id: string;
  account_id: bigint;
  balance: string;
  amount: bigint;
  captured_amount: bigint;
  currency: string;
  status: string;
  description: string | null;
  reference: string;
  expires_at: Date;
  created_at: Date;
  closed_at: Date | null;
}

export const presentBalanceAfter = (b: BalanceView) => ({ posted: b.posted, held: b.held, available: b.available });

export function presentHold(h: HoldRow, after?: BalanceView) {
  return {
    id: h.id,
    object: 'hold',
    customer: h.customer_id,
    balance: h.balance,
    amount: h.amount,
    currency: h.currency,
    captured_amount: h.captured_amount,
    status: h.status,
    description: h.description,
    expires_at: isoTime(h.expires_at),
    created_at: isoTime(h.created_at),
    closed_at: h.closed_at ? isoTime(h.closed_at) : null,
    ...(after ? { balance_after: presentBalanceAfter(after) } : {}),
  };
}
