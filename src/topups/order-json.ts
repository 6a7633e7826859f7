import { sql, type RawBuilder } from 'kysely';

// The API's Order object (presentOrder in present.ts) rendered by PostgreSQL, for pages of the
// recharge history: a page of 50 orders with their timelines arrives as 50 short strings instead
// of ~150 rows of ~30 columns that Node would parse, turn into Dates and objects, and serialise
// again (that was ~6 ms of Node's CPU per page, and its garbage most of the p99). The output is
// compact JSON, field for field and in the same order as presentOrder's; test/integration/
// order-json.test.ts holds the two to each other. Strings go through to_json (which quotes and
// escapes them as JSON.stringify does); a NULL becomes `null` by coalesce, because format('%s',
// NULL) is the empty string. Timestamps are cut to milliseconds like a JavaScript Date
// (to_char's MS truncates, as postgres-date does). Booleans go through to_json too: format's %s
// would print a boolean as t or f.

const iso = (col: string) => `'"' || to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '"'`;
const str = (col: string) => `coalesce(to_json(${col})::text, 'null')`;
const money = (amount: string, currency: string) =>
  `format('{"amount":%s,"currency":%s}', ${amount}, to_json(${currency}))`;

const TIMELINE = `coalesce((
  SELECT string_agg(format('{"at":%s,"status":%s,"note":%s,"actor":%s}', ${iso('t.at')}, to_json(t.status), to_json(t.note), to_json(t.actor)), ',' ORDER BY t.id)
  FROM order_timeline t WHERE t.order_id = o.id), '')`;

const FIELDS: [string, string][] = [
  ['id', 'to_json(o.id)'],
  ['object', `'"topup"'`],
  ['customer', 'to_json(o.customer_id)'],
  ['balance', 'to_json(o.balance)'],
  ['method', 'to_json(o.method)'],
  ['status', 'to_json(o.status)'],
  ['needs_review', 'to_json(o.needs_review)'],
  ['paid_late', 'to_json(o.paid_late)'],
  ['amount', money('o.amount', 'o.pay_currency')],
  ['pay', money('o.pay_amount', 'o.pay_currency')],
  ['fee', money('o.fee_amount', 'o.pay_currency')],
  ['credit', money('o.credit_amount', 'o.credit_currency')],
  ['fx_rate', str('o.fx_rate')],
  [
    'fx',
    `CASE WHEN coalesce(o.fx_rate, '') <> '' THEN format('{"base":%s,"quote":%s,"rate":%s}', ${str('o.fx_base')}, ${str('o.fx_quote')}, to_json(o.fx_rate)) ELSE 'null' END`,
  ],
  ['network', str('o.network')],
  [
    'received',
    `CASE WHEN o.received_amount IS NULL THEN 'null' ELSE ${money('o.received_amount', 'o.pay_currency')} END`,
  ],
  [
    'credited',
    `CASE WHEN o.credited_amount IS NULL THEN 'null' ELSE ${money('o.credited_amount', 'o.credit_currency')} END`,
  ],
  ['refunded_amount', 'o.refunded_amount'],
  ['refund_status', 'to_json(o.refund_status)'],
  ['provider', `format('{"name":%s,"payment_id":%s}', to_json(o.provider), ${str('o.provider_payment_id')})`],
  ['next_action', `CASE WHEN o.status = 'pending' THEN coalesce(o.next_action::text, 'null') ELSE 'null' END`],
  ['return_url', str('o.return_url')],
  ['expires_at', iso('o.expires_at')],
  ['created_at', iso('o.created_at')],
  ['succeeded_at', `coalesce(${iso('o.succeeded_at')}, 'null')`],
  ['timeline', `'[' || ${TIMELINE} || ']'`],
];

const TEMPLATE = `{${FIELDS.map(([name]) => `"${name}":%s`).join(',')}}`;
const EXPRESSION = `format('${TEMPLATE}', ${FIELDS.map(([, expr]) => expr).join(', ')})`;

/** The order row `o` (the query must call orders `o`) as the API's Order JSON text. */
export const orderJson: RawBuilder<string> = sql.raw<string>(EXPRESSION);
