import { sql } from 'kysely';
import type pg from 'pg';
import type { Config } from '../config.js';
import { queryNamed, type Db, type Tx } from '../db/pool.js';
import { CofferError, invalidRequest, notFound } from '../errors.js';
import { rateTable } from '../fx/index.js';
import { rewriteStoredResponse, runIdempotent, type IdempotencyContext, type Outcome } from '../idempotency/index.js';
import { addJob } from '../jobs/queue.js';
import { idLowerBound, idTime, newId } from '../lib/ids.js';
import { toJson } from '../lib/json.js';
import { assertCanSpend, available, ensureAccounts, insufficientFunds, lockBalances } from '../ledger/index.js';
import type { ManualBankProvider, ProviderRegistry } from '../providers/index.js';
import { getMethod, payingCurrencies, servesBalance, type PaymentMethod } from './methods.js';
import { orderJson } from './order-json.js';
import { presentOrder, type PresentedOrder } from './present.js';
import { quoteTopup, type Quote } from './quote.js';
import { addTimeline, creditOrder, expireIfDue, lockOrder, moveOrder, type OrderRow } from './settle.js';

export interface TopupDeps {
  db: Db;
  config: Config;
  providers: ProviderRegistry;
}

export interface TopupInput {
  customer: string;
  balance: string;
  amountMinor: bigint;
  currency: string;
  method: string;
  network: string | null;
  returnUrl: string | null;
  /** who asks, for the timeline: `api` (the platform) unless said otherwise, e.g. `customer` in the portal */
  actor?: string;
}

const methodNotAvailable = (message: string, details: Record<string, unknown>): CofferError =>
  new CofferError('method_not_available', message, details);

/** What a method is checked against: the top-up asked for, or only quoted (no network chosen yet). */
export interface MethodUse {
  method: string;
  balance: string;
  currency: string;
  /** undefined: not chosen yet (a quote), so not checked */
  network?: string | null;
}

/**
 * The refusals of a method for a top-up, in the order POST /v1/topups states them: not available
 * for this balance, currency not accepted, crypto network missing or unknown, no bank account.
 */
export function checkMethod(
  m: PaymentMethod | null,
  input: MethodUse,
  customerCurrency: string,
  providers: ProviderRegistry,
): PaymentMethod {
  if (!m || !m.enabled || !servesBalance(m, input.balance)) {
    throw methodNotAvailable(`The ${input.method} method cannot top up the ${input.balance} balance.`, {
      method: input.method,
      balance: input.balance,
    });
  }
  const currencies = payingCurrencies(m, customerCurrency);
  if (!currencies.includes(input.currency)) {
    throw new CofferError(
      'currency_not_supported',
      `${input.method} accepts ${currencies.join(', ')}, not ${input.currency}.`,
      {
        method: input.method,
        currencies,
      },
    );
  }
  if (input.network !== undefined) checkNetwork(m, input.network);
  if (m.provider === 'manual' && !(providers.get('manual') as ManualBankProvider).hasAccount(input.currency)) {
    throw new CofferError('currency_not_supported', `There is no receiving bank account for ${input.currency}.`, {
      method: input.method,
    });
  }
  return m;
}

function checkNetwork(m: PaymentMethod, network: string | null): void {
  if (m.networks.length > 0) {
    if (!network) throw invalidRequest('network', `is required for ${m.method} (one of ${m.networks.join(', ')})`);
    if (!m.networks.includes(network)) throw invalidRequest('network', `must be one of ${m.networks.join(', ')}`);
  } else if (network) {
    throw invalidRequest('network', `applies only to crypto, not ${m.method}`);
  }
}

async function insertOrder(
  tx: Tx,
  input: TopupInput,
  m: PaymentMethod,
  q: Quote,
  apiKeyId: bigint | null,
  at?: Date,
): Promise<OrderRow> {
  const id = newId('ord', at);
  const createdAt = idTime(id);
  const row = await tx
    .insertInto('orders')
    .values({
      id,
      customer_id: input.customer,
      balance: input.balance,
      method: m.method,
      provider: m.provider,
      status: 'pending',
      amount: q.amountMinor,
      fee_amount: q.feeMinor,
      pay_amount: q.payMinor,
      pay_currency: q.payCurrency,
      credit_amount: q.creditMinor,
      credit_currency: q.creditCurrency,
      fx_base: q.fx?.base ?? null,
      fx_quote: q.fx?.quote ?? null,
      fx_rate: q.fx?.rate ?? null,
      network: input.network,
      return_url: input.returnUrl,
      api_key_id: apiKeyId,
      next_action: null,
      provider_payment_id: null,
      received_amount: null,
      credited_amount: null,
      succeeded_at: null,
      expires_at: new Date(createdAt.getTime() + m.orderTtlSeconds * 1000),
      created_at: createdAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await addTimeline(tx, row, 'pending', `Order created: ${m.method}`, input.actor ?? 'api');
  return { ...row, due: false };
}

async function timelineOf(db: Db | Tx, ids: string[]) {
  if (ids.length === 0) return new Map<string, { at: Date; status: string; note: string; actor: string }[]>();
  const rows = await db
    .selectFrom('order_timeline')
    .select(['order_id', 'at', 'status', 'note', 'actor'])
    .where('order_id', 'in', ids)
    .orderBy('id')
    .execute();
  const out = new Map<string, typeof rows>();
  for (const r of rows) out.set(r.order_id, [...(out.get(r.order_id) ?? []), r]);
  return out;
}

export async function presentById(db: Db | Tx, id: string): Promise<PresentedOrder> {
  const o = await db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return presentOrder(o, (await timelineOf(db, [id])).get(id) ?? []);
}

/**
 * `POST /v1/topups`. The order and its quote are written under the idempotency key; the provider
 * is called after that transaction (never inside one), and its answer is attached by a second,
 * conditional update. If the process dies in between, a retry with the same key finds the order
 * without a payment and attaches one (providers return the same payment for the same order).
 */
export async function createTopup(deps: TopupDeps, idem: IdempotencyContext, input: TopupInput): Promise<Outcome> {
  const outcome = await runIdempotent(deps.db, idem, async (tx) => {
    const customer = await tx
      .selectFrom('customers')
      .select(['id', 'currency', 'status'])
      .where('id', '=', input.customer)
      .executeTakeFirst();
    if (!customer) throw notFound('customer', input.customer);
    await ensureAccounts(tx, customer.id, input.balance === 'wallet' ? ['wallet'] : ['wallet', input.balance]);
    const m = checkMethod(await getMethod(tx, input.method), input, customer.currency, deps.providers);
    const rates = await rateTable(tx);
    const q = quoteTopup(
      {
        amountMinor: input.amountMinor,
        payCurrency: input.currency,
        creditCurrency: customer.currency,
        method: m,
        minTopup: deps.config.minTopup,
      },
      rates,
    );
    if (m.method === 'balance') return { status: 201, body: await payFromWallet(tx, input, m, q, idem.apiKeyId) };
    const order = await insertOrder(tx, input, m, q, idem.apiKeyId);
    await addJob(tx, 'topup_expire', { order: order.id }, { runAt: order.expires_at, jobKey: `expire:${order.id}` });
    return { status: 201, body: await presentById(tx, order.id) };
  });
  if (outcome.status !== 201) return outcome;
  const order = JSON.parse(outcome.bodyText) as {
    id: string;
    status: string;
    provider: { payment_id: string | null };
    method: string;
  };
  if (order.method === 'balance' || order.provider.payment_id !== null) return outcome;
  const attached = await attachPayment(deps, order.id);
  const bodyText = toJson(attached);
  await rewriteStoredResponse(deps.db, idem, bodyText);
  return { status: 201, bodyText, replayed: outcome.replayed };
}

/** Product top-up paid from the wallet: one transaction moves the money and settles the order. */
async function payFromWallet(
  tx: Tx,
  input: TopupInput,
  m: PaymentMethod,
  q: Quote,
  apiKeyId: bigint,
): Promise<PresentedOrder> {
  const accounts = await lockBalances(tx, input.customer, ['wallet', input.balance]);
  const wallet = accounts.get('wallet')!;
  assertCanSpend(wallet);
  if (available(wallet) < q.payMinor) throw insufficientFunds(wallet);
  // Made and settled in this transaction: created at the database's time, which is also its
  // succeeded_at (now()), so it never appears to succeed before it existed.
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(tx);
  const order = await insertOrder(tx, input, m, q, apiKeyId, rows[0].now);
  await creditOrder(tx, order, q.payMinor, 'Paid from the wallet', input.actor ?? 'api', false);
  return presentById(tx, order.id);
}

async function attachPayment(deps: TopupDeps, orderId: string): Promise<PresentedOrder> {
  const o = await deps.db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
  // A payment id that another order already has (a bank reference drawn twice) is drawn again.
  for (let attempt = 0; o.provider_payment_id === null && o.status === 'pending'; attempt++) {
    let created;
    try {
      created = await deps.providers.get(o.provider).createPayment({
        orderId: o.id,
        customerId: o.customer_id,
        method: o.method,
        amountMinor: o.pay_amount,
        currency: o.pay_currency,
        network: o.network,
        expiresAt: o.expires_at,
        returnUrl: o.return_url,
      });
    } catch (err) {
      throw new CofferError(
        'unavailable',
        `The payment provider could not start this payment; retry with the same Idempotency-Key. (${err instanceof Error ? err.message : String(err)})`.slice(
          0,
          500,
        ),
      );
    }
    try {
      await deps.db
        .updateTable('orders')
        .set({
          provider_payment_id: created.paymentId,
          next_action: created.nextAction === null ? null : JSON.stringify(created.nextAction),
          updated_at: sql`now()`,
        })
        .where('id', '=', o.id)
        .where('provider_payment_id', 'is', null)
        .execute();
      break;
    } catch (err) {
      if ((err as { constraint?: string }).constraint !== 'orders_provider_payment_key' || attempt >= 2) throw err;
    }
  }
  return presentById(deps.db, orderId);
}

/** `GET /v1/topups/{id}`: a pending order past its time is expired on read, even if no job ran. */
export async function getTopup(db: Db, id: string): Promise<PresentedOrder> {
  const o = await db.selectFrom('orders').select(['status', 'expires_at']).where('id', '=', id).executeTakeFirst();
  if (!o) throw notFound('top-up', id);
  if (o.status === 'pending' && o.expires_at.getTime() <= Date.now()) await expireTopup(db, id, 'system');
  return presentById(db, id);
}

/**
 * The check on read for lists: pending orders past their time (of one customer, or any) are
 * expired before listing, so a list never shows as payable what a read by id would show expired.
 * Normally the job got there first and this finds nothing (a partial index makes that cheap).
 */
export async function expireDue(db: Db, customer?: string, max = 100): Promise<number> {
  return expireAll(db, await dueOrders(db, customer, max));
}

/** Pending orders whose time is up (of one customer, or of all), at most `max`. */
function dueOrders(db: Db, customer?: string, max = 100): Promise<string[]> {
  let q = db
    .selectFrom('orders')
    .select('id')
    .where('status', '=', 'pending')
    .where('expires_at', '<=', sql<Date>`now()`);
  if (customer) q = q.where('customer_id', '=', customer);
  // Ordered by expiry so the plan is always the partial index on pending orders, however many there are.
  return q
    .orderBy('expires_at')
    .limit(max)
    .execute()
    .then((rows) => rows.map((r) => r.id));
}

async function expireAll(db: Db, ids: string[]): Promise<number> {
  for (const id of ids) await expireTopup(db, id, 'system');
  return ids.length;
}

/** Expires a pending order whose time is up (the job, and the check on read). */
export async function expireTopup(db: Db, id: string, actor: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const order = await lockOrder(tx, { id });
    if (!order) return false;
    return (await expireIfDue(tx, order, actor)) !== order;
  });
}

const invalidState = (order: OrderRow, action: string): CofferError =>
  new CofferError('invalid_state', `This top-up is ${order.status}; it cannot be ${action}.`, { status: order.status });

/** `POST /v1/topups/{id}/cancel`: only a pending order can be cancelled. */
export function cancelTopup(db: Db, idem: IdempotencyContext | null, id: string, actor: string): Promise<Outcome> {
  return runIdempotent(db, idem, async (tx) => {
    const locked = await lockOrder(tx, { id });
    if (!locked) throw notFound('top-up', id);
    const order = await expireIfDue(tx, locked, 'system');
    if (order.status !== 'pending') throw invalidState(order, 'cancelled');
    await moveOrder(tx, order, 'cancelled', {}, 'Cancelled', actor);
    return { status: 200, body: await presentById(tx, id) };
  });
}

/**
 * `POST /v1/topups/{id}/confirm`: staff saw a bank transfer arrive. What arrived is credited at
 * the locked rate (full, partial or over); an order that expired or was cancelled meanwhile is
 * still credited — the money is there — and marked paid late.
 */
export function confirmTopup(
  db: Db,
  idem: IdempotencyContext | null,
  id: string,
  input: { amountReceivedMinor: bigint; note: string | null },
  actor: string,
): Promise<Outcome> {
  return runIdempotent(db, idem, async (tx) => {
    const locked = await lockOrder(tx, { id });
    if (!locked) throw notFound('top-up', id);
    if (locked.method !== 'bank_transfer') {
      throw new CofferError(
        'invalid_state',
        `Only bank-transfer top-ups are confirmed by hand; this one is paid by ${locked.method}.`,
        { method: locked.method },
      );
    }
    const order = await expireIfDue(tx, locked, 'system');
    if (order.status === 'succeeded') throw invalidState(order, 'confirmed again');
    if (input.amountReceivedMinor <= order.fee_amount)
      throw invalidRequest('amount_received', `must be more than the fee (${order.fee_amount})`);
    const late = order.status === 'expired' || order.status === 'cancelled' || order.status === 'failed';
    const what =
      input.amountReceivedMinor === order.pay_amount
        ? 'in full'
        : input.amountReceivedMinor < order.pay_amount
          ? 'partially'
          : 'over-paid';
    const note = `Bank transfer confirmed ${what}: ${input.amountReceivedMinor} of ${order.pay_amount}${input.note ? ` — ${input.note}` : ''}`;
    await creditOrder(tx, order, input.amountReceivedMinor, note, actor, late);
    return { status: 200, body: await presentById(tx, id) };
  });
}

export interface TopupFilters {
  customer?: string;
  status?: string;
  method?: string;
  balance?: string;
  createdGte?: Date;
  createdLt?: Date;
}

/**
 * The recharge history, newest first, keyset-paged by id. Ids are time-ordered and an order's
 * created_at is the time in its id, so the date filters become id bounds the indexes can use.
 */
export async function listTopups(
  db: Db,
  f: TopupFilters,
  page: { limit: number; startingAfter?: string },
  pool?: pg.Pool,
): Promise<string> {
  // Rendered after the limit: otherwise a plan that sorts (a date window) renders every candidate.
  const query = db
    .selectFrom(
      filteredOrders(db, f, page.startingAfter)
        .selectAll()
        .limit(page.limit + 1)
        .as('o'),
    )
    .select(orderJson.as('body'))
    .orderBy('o.id', 'desc');
  // A prepared statement when the pool is at hand (the server): the rendering is parsed once per connection.
  const read = () => (pool ? queryNamed(pool, query.compile()) : query.execute());
  // The expiry check on read and the page go to the database together (two pooled connections);
  // in the rare case that orders were due, they are expired and the page is read again.
  const [due, firstRows] = await Promise.all([
    dueOrders(db, f.customer),
    read(),
    page.startingAfter ? checkCursor(db, page.startingAfter, f.customer) : null,
  ]);
  let rows = firstRows;
  if (due.length > 0) {
    await expireAll(db, due);
    rows = await read();
  }
  const more = rows.length > page.limit;
  return `{"data":[${rows
    .slice(0, page.limit)
    .map((r) => r.body)
    .join(',')}],"has_more":${more}}`;
}

/**
 * A `starting_after` must be a top-up of this list's owner (the customer filter, or the portal's
 * customer): anything else is a `400`, as on every list, rather than a page that silently starts
 * wherever the id would sort. (Checked beside the page read, so it costs no extra round trip.)
 */
async function checkCursor(db: Db, id: string, customer?: string): Promise<void> {
  const cursor = await db.selectFrom('orders').select('customer_id').where('id', '=', id).executeTakeFirst();
  if (!cursor || (customer !== undefined && cursor.customer_id !== customer)) {
    throw invalidRequest('starting_after', 'is not the id of a top-up in this list');
  }
}

/** The orders (as `o`) matching the history's filters, newest first; the caller selects what it needs. */
export function filteredOrders(db: Db | Tx, f: TopupFilters, startingAfter?: string) {
  let q = db.selectFrom('orders as o');
  if (f.customer) q = q.where('customer_id', '=', f.customer);
  // A literal (one of the six statuses, validated by the route), so that a prepared statement's
  // plan can still prove the partial index on the rare statuses applies.
  if (f.status) q = q.where('status', '=', sql.lit(f.status as OrderRow['status']));
  if (f.method) q = q.where('method', '=', f.method);
  if (f.balance) q = q.where('balance', '=', f.balance);
  // created_at is the time in the id (insertOrder, to the millisecond), so these bounds are the date
  // filter exactly. Repeating it on created_at made the planner multiply the two selectivities,
  // expect ~30 rows in a week of ~2,000, and sort them all instead of walking the id index.
  if (f.createdGte) q = q.where('id', '>=', idLowerBound('ord', f.createdGte));
  if (f.createdLt) q = q.where('id', '<', idLowerBound('ord', f.createdLt));
  if (startingAfter) q = q.where('id', '<', startingAfter);
  return q.orderBy('id', 'desc');
}
