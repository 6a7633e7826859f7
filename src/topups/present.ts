import type { Selectable } from 'kysely';
import type { OrdersTable, OrderTimelineTable } from '../db/schema.js';
import { isoTime } from '../lib/json.js';

type Order = Selectable<OrdersTable>;
type TimelineRow = Pick<Selectable<OrderTimelineTable>, 'at' | 'status' | 'note' | 'actor'>;

const money = (amount: bigint, currency: string) => ({ amount, currency });
const time = (d: Date | null) => (d ? isoTime(d) : null);

/** The API's Order object (docs/api.md), plus a few additive fields. */
export function presentOrder(o: Order, timeline: TimelineRow[]) {
  return {
    id: o.id,
    object: 'topup',
    customer: o.customer_id,
    balance: o.balance,
    method: o.method,
    status: o.status,
    needs_review: o.needs_review,
    paid_late: o.paid_late,
    amount: money(o.amount, o.pay_currency),
    pay: money(o.pay_amount, o.pay_currency),
    fee: money(o.fee_amount, o.pay_currency),
    credit: money(o.credit_amount, o.credit_currency),
    fx_rate: o.fx_rate,
    fx: o.fx_rate ? { base: o.fx_base, quote: o.fx_quote, rate: o.fx_rate } : null,
    network: o.network,
    received: o.received_amount === null ? null : money(o.received_amount, o.pay_currency),
    credited: o.credited_amount === null ? null : money(o.credited_amount, o.credit_currency),
    refunded_amount: o.refunded_amount,
    refund_status: o.refund_status,
    provider: { name: o.provider, payment_id: o.provider_payment_id },
    next_action: o.status === 'pending' ? (o.next_action ?? null) : null,
    return_url: o.return_url,
    expires_at: isoTime(o.expires_at),
    created_at: isoTime(o.created_at),
    succeeded_at: time(o.succeeded_at),
    timeline: timeline.map((t) => ({ at: isoTime(t.at), status: t.status, note: t.note, actor: t.actor })),
  };
}

export type PresentedOrder = ReturnType<typeof presentOrder>;
