import type { Db } from '../db/pool.js';
import { isoTime } from '../lib/json.js';
import { formatDecimal } from '../money/index.js';
import { expireDue, filteredOrders, type TopupFilters } from './orders.js';

const PAGE = 1000;
const COLUMNS = [
  'id',
  'created_at',
  'customer',
  'balance',
  'method',
  'status',
  'needs_review',
  'paid_late',
  'amount',
  'fee',
  'pay_amount',
  'pay_currency',
  'fx_rate',
  'credit_amount',
  'credited_amount',
  'credit_currency',
  'network',
  'provider',
  'provider_payment_id',
  'succeeded_at',
  'refunded_amount',
  'refund_status',
];

/** A CSV cell: quoted when needed, and never a formula when a spreadsheet opens it. */
function cell(v: string | null): string {
  if (v === null) return '';
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The recharge history as CSV, amounts as decimals in their currency. Rows are read in keyset
 * pages of 1,000 and yielded page by page, so memory stays flat however many orders match.
 */
export async function* ordersCsv(db: Db, filters: TopupFilters): AsyncGenerator<string> {
  await expireDue(db, filters.customer);
  yield `${COLUMNS.join(',')}\n`;
  let after: string | undefined;
  for (;;) {
    const rows = await filteredOrders(db, filters, after).selectAll().limit(PAGE).execute();
    if (rows.length === 0) return;
    let chunk = '';
    for (const o of rows) {
      const pay = (n: bigint) => formatDecimal(n, o.pay_currency);
      const credit = (n: bigint | null) => (n === null ? null : formatDecimal(n, o.credit_currency));
      chunk += `${[
        o.id,
        isoTime(o.created_at),
        o.customer_id,
        o.balance,
        o.method,
        o.status,
        String(o.needs_review),
        String(o.paid_late),
        pay(o.amount),
        pay(o.fee_amount),
        pay(o.pay_amount),
        o.pay_currency,
        o.fx_rate,
        credit(o.credit_amount),
        credit(o.credited_amount),
        o.credit_currency,
        o.network,
        o.provider,
        o.provider_payment_id,
        o.succeeded_at ? isoTime(o.succeeded_at) : null,
        credit(o.refunded_amount),
        o.refund_status,
      ]
        .map(cell)
        .join(',')}\n`;
    }
    yield chunk;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].id;
  }
}
