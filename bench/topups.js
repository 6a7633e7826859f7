// Top-up scenarios of `npm run bench` (docs/design.md §9, issue 3):
//   (c) signed sandbox webhooks → credited orders per second, against pgbench TPC-B-like;
//   (d) recharge-history page latency (GET /v1/topups?limit=50) with BENCH_ORDERS orders stored.
// Used by bench/run.js; plain ESM JavaScript on the compiled dist/ (no build step of its own).
import crypto from 'node:crypto';
import http from 'node:http';
import autocannon from 'autocannon';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { idTime } from '../dist/lib/ids.js';
import { signatureHeader } from '../dist/providers/signature.js';
import { listTopups } from '../dist/topups/orders.js';
import * as lib from './lib.js';

// ---------------------------------------------------------------- ids like src/lib/ids.ts

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

function encodeTime(ms) {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function randomChars(n) {
  if (randomOffset + n > randomPool.length) {
    randomPool = crypto.randomBytes(1 << 20);
    randomOffset = 0;
  }
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[randomPool[randomOffset + i] & 31];
  randomOffset += n;
  return out;
}

/** An id as newId() makes it at time `ms`: `<prefix>_` + 10 chars of milliseconds + 16 random chars. */
export const idAt = (prefix, ms) => `${prefix}_${encodeTime(ms)}${randomChars(16)}`;

/** Every id must carry its row's created_at (src/lib/ids.ts idTime), or date filters would miss rows. */
function assertIdTimes(ids, createdMs) {
  for (let i = 0; i < ids.length; i += Math.max(1, Math.floor(ids.length / 50))) {
    if (idTime(ids[i]).getTime() !== createdMs[i])
      throw new Error(`id ${ids[i]} does not encode its created_at ${new Date(createdMs[i]).toISOString()}`);
  }
}

// ---------------------------------------------------------------- small helpers

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;
const round2 = (x) => (x === null ? null : Math.round(x * 100) / 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function latencyStats(samples) {
  const sorted = Float64Array.from(samples).sort();
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50: round2(percentile(sorted, 50)),
    p90: round2(percentile(sorted, 90)),
    p99: round2(percentile(sorted, 99)),
    max: round2(sorted.length ? sorted[sorted.length - 1] : null),
    avg: round2(sorted.length ? sum / sorted.length : null),
  };
}

/**
 * Receipts waiting in the mail outbox (every credited order queues one): due now, failed at least
 * once, and all unsent. Without SMTP_URL the sender logs them, which still empties the outbox.
 */
async function receiptJobs(client) {
  const { rows } = await client.query(
    `SELECT count(*) FILTER (WHERE next_attempt_at <= now())::int AS runnable,
            count(*) FILTER (WHERE last_error IS NOT NULL)::int AS failed,
            count(*)::int AS total
     FROM mail_outbox WHERE kind = 'topup_receipt' AND sent_at IS NULL`,
  );
  return rows[0];
}

/** Waits until no receipt is due in the mail outbox, so its sender is idle before a latency measurement. */
export async function drainReceiptJobs(databaseUrl, timeoutMs = 300_000) {
  const started = Date.now();
  return lib.withClient(databaseUrl, async (c) => {
    let jobs = await receiptJobs(c);
    const backlog = jobs.runnable;
    if (backlog > 0) lib.step(`waiting for ${backlog} receipts to be sent`);
    while (jobs.runnable > 0 && Date.now() - started < timeoutMs) {
      await sleep(250);
      jobs = await receiptJobs(c);
    }
    return { backlog, ...jobs, seconds: Math.round((Date.now() - started) / 100) / 10 };
  });
}

// ================================================================ (c) webhooks → credited orders

const WEBHOOK_AMOUNT = 2000; // minor units of the customer's currency: 20.00, above the default MIN_TOPUP
const TEMPLATE_ORDERS = 64; // created through POST /v1/topups; the rest copies one of them in SQL
const BATCH = 10_000;

/** Columns an SQL-made order may differ in from the API-made order it copies; all others must be equal. */
const PER_ORDER_COLUMNS = [
  'id',
  'customer_id',
  'provider_payment_id',
  'next_action',
  'expires_at',
  'created_at',
  'updated_at',
];

/**
 * Pending card orders, each with a sandbox payment the payer has completed, ready for their
 * `payment.succeeded` webhooks. The first TEMPLATE_ORDERS are made by POST /v1/topups (the real
 * path: idempotency row, order, timeline, expiry job, sandbox payment attached afterwards); the
 * rest are SQL copies of the first one — every column equal except the per-order ones — with the
 * same rows the API writes: the order, its 'pending' timeline row, its `topup_expire` job and its
 * sandbox payment. The sandbox payments are then moved as payCard() moves them (succeeded, the full
 * amount received) without queuing the sandbox's own delivery: the bench delivers the webhooks.
 * Idempotency rows of POST /v1/topups are not copied (nothing reads them unless that key is retried).
 */
export async function prepareWebhookOrders({ databaseUrl, api, customers, count, runTag }) {
  const currencies = new Set(customers.map((c) => c.currency));
  if (currencies.size !== 1)
    throw new Error(`webhook bench expects one customer currency, found ${[...currencies].join(', ')}`);
  const currency = customers[0].currency;
  const started = Date.now();

  lib.step(`webhooks: ${TEMPLATE_ORDERS} card orders through POST /v1/topups`);
  const templates = await lib.mapConcurrent(
    Array.from({ length: TEMPLATE_ORDERS }, (_, i) => i),
    16,
    async (i) => {
      const customer = customers[i % customers.length];
      const body = { customer: customer.id, balance: 'wallet', amount: WEBHOOK_AMOUNT, currency, method: 'card' };
      const res = await api.post('/v1/topups', body, `seed-topup-${runTag}-${i}`);
      if (res.status !== 201 || res.body.status !== 'pending' || !res.body.provider?.payment_id) {
        throw new Error(`POST /v1/topups → ${res.status}: ${JSON.stringify(res.body)}`);
      }
      return res.body;
    },
  );
  const apiSeconds = (Date.now() - started) / 1000;
  const source = templates[0].id;

  const extra = Math.max(0, count - templates.length);
  lib.step(`webhooks: ${extra} more orders in SQL (copies of ${source}), batches of ${BATCH}`);
  const sqlStarted = Date.now();
  const events = templates.map((t) => ({
    orderId: t.id,
    paymentId: t.provider.payment_id,
    amount: t.pay.amount,
    currency: t.pay.currency,
  }));
  await lib.withClient(databaseUrl, async (c) => {
    // Milliseconds ending now, one per order, so ids are distinct, time-ordered and carry created_at.
    const firstMs = Date.now() - extra;
    for (let done = 0; done < extra; done += BATCH) {
      const n = Math.min(BATCH, extra - done);
      const ids = [];
      const createdMs = [];
      const created = [];
      const customerIds = [];
      const paymentIds = [];
      for (let i = 0; i < n; i++) {
        const ms = firstMs + done + i;
        ids.push(idAt('ord', ms));
        createdMs.push(ms);
        created.push(new Date(ms).toISOString());
        customerIds.push(customers[(templates.length + done + i) % customers.length].id);
        paymentIds.push(idAt('sbxpay', ms));
      }
      assertIdTimes(ids, createdMs);
      const { rows } = await c.query(
        `WITH t AS (SELECT * FROM orders WHERE id = $1),
         s AS (SELECT * FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[]) AS u(id, created_at, customer_id, payment_id)),
         o AS (
           INSERT INTO orders (id, customer_id, balance, method, provider, status, needs_review, paid_late, amount, fee_amount,
             pay_amount, pay_currency, credit_amount, credit_currency, fx_base, fx_quote, fx_rate, network, received_amount,
             credited_amount, refunded_amount, refund_status, provider_payment_id, next_action, return_url, api_key_id,
             expires_at, created_at, updated_at, succeeded_at)
           SELECT s.id, s.customer_id, t.balance, t.method, t.provider, t.status, t.needs_review, t.paid_late, t.amount, t.fee_amount,
             t.pay_amount, t.pay_currency, t.credit_amount, t.credit_currency, t.fx_base, t.fx_quote, t.fx_rate, t.network, t.received_amount,
             t.credited_amount, t.refunded_amount, t.refund_status, s.payment_id,
             jsonb_set(t.next_action, '{url}', to_jsonb(replace(t.next_action->>'url', t.provider_payment_id, s.payment_id))),
             t.return_url, t.api_key_id, s.created_at + (t.expires_at - t.created_at), s.created_at, s.created_at, t.succeeded_at
           FROM s CROSS JOIN t
           RETURNING id, customer_id, created_at, expires_at, provider_payment_id),
         p AS (
           INSERT INTO sandbox_payments (id, order_id, method, amount, currency, network, address, return_url, status, received_amount, received_network, created_at, updated_at)
           SELECT o.provider_payment_id, o.id, tp.method, tp.amount, tp.currency, tp.network, tp.address, tp.return_url,
                  'succeeded', tp.amount, NULL, o.created_at, o.created_at
           FROM o CROSS JOIN (SELECT * FROM sandbox_payments WHERE order_id = $1) tp),
         tl AS (
           INSERT INTO order_timeline (order_id, customer_id, at, status, note, actor)
           SELECT o.id, o.customer_id, o.created_at, tt.status, tt.note, tt.actor
           FROM o CROSS JOIN (SELECT * FROM order_timeline WHERE order_id = $1) tt)
         SELECT count(*)::int AS jobs FROM graphile_worker.add_jobs((
           SELECT array_agg(ROW('topup_expire', json_build_object('order', o.id), NULL, o.expires_at, 25, 'expire:' || o.id, NULL, NULL)::graphile_worker.job_spec)
           FROM o))`,
        [source, ids, created, customerIds, paymentIds],
      );
      if (rows[0].jobs !== n) throw new Error(`expected ${n} expiry jobs, added ${rows[0].jobs}`);
      for (let i = 0; i < n; i++)
        events.push({
          orderId: ids[i],
          paymentId: paymentIds[i],
          amount: templates[0].pay.amount,
          currency: templates[0].pay.currency,
        });
    }

    // The payer completes the API-made orders' payments the way payCard() does.
    await c.query(
      `UPDATE sandbox_payments SET status = 'succeeded', received_amount = amount, updated_at = now()
       WHERE order_id = ANY($1::text[]) AND status = 'requires_payment'`,
      [templates.map((t) => t.id)],
    );
    await checkCopies(c, templates, events.slice(templates.length));
    // As autovacuum would have by now: the planner must know how many jobs and orders there are.
    await c.query('ANALYZE orders, sandbox_payments, order_timeline, graphile_worker._private_jobs');
  });
  const sqlSeconds = (Date.now() - sqlStarted) / 1000;
  lib.step(
    `webhooks: ${events.length} orders ready (API ${apiSeconds.toFixed(1)} s for ${templates.length}, SQL ${sqlSeconds.toFixed(1)} s for ${extra})`,
  );
  return {
    events,
    templateIds: templates.map((t) => t.id),
    apiOrdersPerSecond: templates.length / apiSeconds,
    sqlSeconds,
  };
}

/** The SQL copies must be indistinguishable from API-made orders in every column that is not per order. */
async function checkCopies(c, templates, copies) {
  const sample = copies.filter((_, i) => i % Math.max(1, Math.floor(copies.length / 200)) === 0).map((e) => e.orderId);
  const api = templates.map((t) => t.id);
  const problems = [];
  const orders = await c.query(
    `SELECT o.id FROM orders o CROSS JOIN (SELECT * FROM orders WHERE id = $1) t
     WHERE o.id = ANY($2::text[])
       AND ((to_jsonb(o) - $3::text[]) <> (to_jsonb(t) - $3::text[])
            OR o.expires_at - o.created_at <> t.expires_at - t.created_at
            OR o.next_action <> jsonb_set(t.next_action, '{url}', to_jsonb(replace(t.next_action->>'url', t.provider_payment_id, o.provider_payment_id))))`,
    [api[0], [...api.slice(1), ...sample], PER_ORDER_COLUMNS],
  );
  if (orders.rows.length)
    problems.push(
      `orders differing from the API-made order: ${orders.rows
        .slice(0, 3)
        .map((r) => r.id)
        .join(', ')}`,
    );
  const payments = await c.query(
    `SELECT p.order_id FROM sandbox_payments p CROSS JOIN (SELECT * FROM sandbox_payments WHERE order_id = $1) t
     WHERE p.order_id = ANY($2::text[])
       AND ((to_jsonb(p) - '{id,order_id,created_at,updated_at}'::text[]) <> (to_jsonb(t) - '{id,order_id,created_at,updated_at}'::text[])
            OR p.status <> 'succeeded' OR p.received_amount <> p.amount)`,
    [api[0], [...api, ...sample]],
  );
  if (payments.rows.length)
    problems.push(
      `sandbox payments differing: ${payments.rows
        .slice(0, 3)
        .map((r) => r.order_id)
        .join(', ')}`,
    );
  const timeline = await c.query(
    `SELECT o.id, count(tl.id)::int AS n, min(tl.status) AS status, min(tl.note) AS note, min(tl.actor) AS actor,
            bool_and(tl.at - o.created_at BETWEEN interval '-1 second' AND interval '10 seconds') AS at_ok
     FROM orders o LEFT JOIN order_timeline tl ON tl.order_id = o.id
     WHERE o.id = ANY($1::text[]) GROUP BY o.id`,
    [[...api, ...sample]],
  );
  const ref = timeline.rows.find((r) => r.id === api[0]);
  const badTimeline = timeline.rows.filter(
    (r) => r.n !== 1 || r.status !== ref.status || r.note !== ref.note || r.actor !== ref.actor || !r.at_ok,
  );
  if (badTimeline.length)
    problems.push(
      `timelines differing: ${badTimeline
        .slice(0, 3)
        .map((r) => r.id)
        .join(', ')}`,
    );
  const jobs = await c.query(
    `SELECT j.key, tk.identifier AS task, (to_jsonb(j) - '{id,key,payload,run_at,created_at,updated_at,revision}'::text[]) AS rest,
            j.payload->>'order' AS payload_order, j.run_at = o.expires_at AS run_at_ok, o.id AS order_id
     FROM orders o
     LEFT JOIN graphile_worker._private_jobs j ON j.key = 'expire:' || o.id
     LEFT JOIN graphile_worker._private_tasks tk ON tk.id = j.task_id
     WHERE o.id = ANY($1::text[])`,
    [[...api, ...sample]],
  );
  const refJob = jobs.rows.find((r) => r.order_id === api[0]);
  const badJobs = jobs.rows.filter(
    (r) =>
      !r.key ||
      r.task !== 'topup_expire' ||
      r.payload_order !== r.order_id ||
      !r.run_at_ok ||
      JSON.stringify(r.rest) !== JSON.stringify(refJob.rest),
  );
  if (badJobs.length)
    problems.push(
      `expiry jobs differing: ${badJobs
        .slice(0, 3)
        .map((r) => r.order_id)
        .join(', ')}`,
    );
  if (problems.length) throw new Error(`SQL-made orders do not mirror POST /v1/topups: ${problems.join('; ')}`);
}

function eventBody(e, eventId) {
  return JSON.stringify({
    id: eventId,
    type: 'payment.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { payment_id: e.paymentId, amount: e.amount, currency: e.currency },
  });
}

/**
 * One autocannon run of POST /webhooks/sandbox: every request a distinct `payment.succeeded` event
 * for the next unused order, signed when it is sent. Events sent but not answered when the run
 * stops are delivered again afterwards (same event id, newly signed): `processed` means the first
 * one never committed, `duplicate` that it did — either way that order was credited once.
 */
async function runWebhookLoad({ baseUrl, secret, connections, seconds, name, pool }) {
  const outstanding = new Map(); // event id → event
  const statuses = {};
  const results = {};
  let processed = 0;
  let exhausted = 0;
  let instance = null;
  const options = {
    url: baseUrl,
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/webhooks/sandbox',
        setupRequest(req, context) {
          let e;
          let eventId;
          if (pool.used < pool.events.length) {
            e = pool.events[pool.used++];
            eventId = idAt('evt', Date.now());
            outstanding.set(eventId, e);
            context.eventId = eventId;
          } else {
            // Out of orders: stop, and meanwhile re-send an old event (answered `duplicate`).
            exhausted++;
            instance?.stop();
            e = pool.events[0];
            eventId = pool.firstEventId;
            context.eventId = null;
          }
          pool.firstEventId ??= eventId;
          const body = eventBody(e, eventId);
          return { ...req, headers: { ...req.headers, 'coffer-signature': signatureHeader(secret, body) }, body };
        },
        onResponse(status, body, context) {
          if (context.eventId) outstanding.delete(context.eventId);
          statuses[status] = (statuses[status] ?? 0) + 1;
          let result = `http_${status}`;
          try {
            result = JSON.parse(body).result ?? result;
          } catch {
            // not JSON: keep the status
          }
          if (context.eventId === null) result = `resent_${result}`;
          results[result] = (results[result] ?? 0) + 1;
          if (status === 200 && result === 'processed') processed++;
        },
      },
    ],
  };
  const cpu0 = lib.cpuSnapshot();
  instance = autocannon(options);
  const result = await instance;
  const cpuCores = lib.cpuCores(cpu0, lib.cpuSnapshot());
  const replay = await redeliver(baseUrl, secret, outstanding);
  return {
    ...lib.autocannonSummary(name, result, statuses),
    results,
    processed,
    rate: processed / result.duration,
    cpuCores,
    cutOff: outstanding.size,
    cutOffResults: replay.results,
    credited: processed + replay.credited,
    exhausted,
  };
}

async function redeliver(baseUrl, secret, outstanding) {
  const results = {};
  let credited = 0;
  await lib.mapConcurrent([...outstanding], 8, async ([eventId, e]) => {
    const body = eventBody(e, eventId);
    const res = await fetch(`${baseUrl}/webhooks/sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader(secret, body) },
      body,
    });
    const parsed = await res.json().catch(() => ({}));
    const result = res.status === 200 ? parsed.result : `http_${res.status}`;
    results[result] = (results[result] ?? 0) + 1;
    if (result === 'processed' || result === 'duplicate') credited++;
  });
  return { results, credited };
}

/** (c): warm-up, then the measured run, on orders prepared by prepareWebhookOrders(). */
export async function webhookScenario({ baseUrl, secret, connections, seconds, warmupSeconds, prepared }) {
  const pool = { events: prepared.events, used: 0, firstEventId: null };
  let warm = null;
  if (warmupSeconds > 0) {
    lib.step(`webhooks: warm-up ${warmupSeconds} s`);
    warm = await runWebhookLoad({ baseUrl, secret, connections, seconds: warmupSeconds, name: 'webhooks-warm', pool });
  }
  lib.step(`webhooks: measuring ${seconds} s, ${connections} connections`);
  const measured = await runWebhookLoad({ baseUrl, secret, connections, seconds, name: 'webhooks', pool });
  return {
    ...measured,
    ordersPrepared: prepared.events.length,
    ordersUsed: pool.used,
    apiOrdersPerSecond: prepared.apiOrdersPerSecond,
    warmup: warm && {
      processed: warm.processed,
      credited: warm.credited,
      results: warm.results,
      cutOff: warm.cutOff,
      cutOffResults: warm.cutOffResults,
      exhausted: warm.exhausted,
      errors: warm.errors,
    },
    totalCredited: (warm?.credited ?? 0) + measured.credited,
    // every event sent was for a distinct order; these are the orders whose event was answered or re-delivered
    sentOrderIds: prepared.events.slice(0, pool.used).map((e) => e.orderId),
    allOrderIds: prepared.events.map((e) => e.orderId),
  };
}

/**
 * After (c): each order whose event was sent is succeeded, exactly once, with one credit and one
 * fee transfer and one provider event; no other bench order moved; nothing unexpected answered.
 */
export async function checkWebhookOrders(databaseUrl, run) {
  const problems = [];
  const facts = await lib.withClient(databaseUrl, async (c) => {
    const one = async (text, values) => (await c.query(text, values)).rows[0];
    const orders = await one(
      `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status NOT IN ('succeeded', 'pending'))::int AS other,
              count(*) FILTER (WHERE status = 'succeeded' AND NOT (id = ANY($2::text[])))::int AS succeeded_unsent,
              count(*) FILTER (WHERE status = 'succeeded' AND (credited_amount <> credit_amount OR received_amount <> pay_amount))::int AS wrong_amount
       FROM orders WHERE id = ANY($1::text[])`,
      [run.allOrderIds, run.sentOrderIds],
    );
    const events = await one(
      `SELECT count(*)::int AS events, count(DISTINCT e.order_id)::int AS orders,
              count(*) FILTER (WHERE o.status = 'succeeded')::int AS paid
       FROM provider_events e JOIN orders o ON o.id = e.order_id
       WHERE e.provider = 'sandbox' AND e.order_id = ANY($1::text[])`,
      [run.allOrderIds],
    );
    const transfers = await one(
      `SELECT count(*) FILTER (WHERE reference = object_id)::int AS credits,
              count(*) FILTER (WHERE reference = object_id || ':fee')::int AS fees,
              count(DISTINCT object_id)::int AS orders
       FROM transfers WHERE kind = 'topup' AND object_id = ANY($1::text[])`,
      [run.allOrderIds],
    );
    return { orders, events, transfers };
  });
  const credited = run.totalCredited;
  const { orders, events, transfers } = facts;
  if (orders.succeeded !== credited)
    problems.push(`webhooks: ${orders.succeeded} bench orders succeeded but ${credited} events were processed`);
  if (orders.succeeded_unsent)
    problems.push(`webhooks: ${orders.succeeded_unsent} orders succeeded without an event sent for them`);
  if (orders.other) problems.push(`webhooks: ${orders.other} bench orders neither pending nor succeeded`);
  if (orders.wrong_amount)
    problems.push(`webhooks: ${orders.wrong_amount} succeeded orders credited other than quoted`);
  if (events.events !== credited || events.paid !== credited || events.orders !== credited) {
    problems.push(
      `webhooks: ${events.events} provider events (${events.paid} of succeeded orders) for ${events.orders} orders, expected ${credited}`,
    );
  }
  if (transfers.credits !== credited || transfers.fees !== credited || transfers.orders !== credited) {
    problems.push(
      `webhooks: ${transfers.credits} credit and ${transfers.fees} fee transfers over ${transfers.orders} orders, expected ${credited} each`,
    );
  }
  const unexpected = Object.entries({ ...run.results, ...(run.warmup?.results ?? {}) }).filter(
    ([r]) => r !== 'processed' && !r.startsWith('resent_'),
  );
  const unexpectedCutOff = Object.entries({ ...run.cutOffResults, ...(run.warmup?.cutOffResults ?? {}) }).filter(
    ([r]) => r !== 'processed' && r !== 'duplicate',
  );
  if (unexpected.length || unexpectedCutOff.length || run.errors || run.warmup?.errors) {
    problems.push(
      `webhooks: unexpected answers ${JSON.stringify(Object.fromEntries([...unexpected, ...unexpectedCutOff]))}, ${run.errors + (run.warmup?.errors ?? 0)} errors`,
    );
  }
  if (run.exhausted || run.warmup?.exhausted)
    problems.push(`webhooks: ran out of prepared orders (${run.ordersPrepared}); raise BENCH_WEBHOOK_ORDERS`);
  return {
    problems,
    succeeded: orders.succeeded,
    pending: orders.pending,
    providerEvents: events.events,
    creditTransfers: transfers.credits,
    feeTransfers: transfers.fees,
  };
}

/**
 * The prepared orders no event was sent for are removed (order, timeline, sandbox payment, expiry
 * job) once (c) is checked, so the history page sees only BENCH_ORDERS stored orders plus the
 * ones (c) credited, not tens of thousands of abandoned checkouts of the last minute.
 */
export async function removeUnusedOrders(databaseUrl, run) {
  const sent = new Set(run.sentOrderIds);
  const unused = run.allOrderIds.filter((id) => !sent.has(id));
  return lib.withClient(databaseUrl, async (c) => {
    await c.query('BEGIN');
    await c.query(`DELETE FROM graphile_worker._private_jobs WHERE key = ANY($1::text[])`, [
      unused.map((id) => `expire:${id}`),
    ]);
    await c.query(`DELETE FROM order_timeline WHERE order_id = ANY($1::text[])`, [unused]);
    await c.query(`DELETE FROM sandbox_payments WHERE order_id = ANY($1::text[])`, [unused]);
    const { rowCount } = await c.query(`DELETE FROM orders WHERE id = ANY($1::text[]) AND status = 'pending'`, [
      unused,
    ]);
    await c.query('COMMIT');
    return rowCount;
  });
}

// ================================================================ (d) recharge history page

const HISTORY_DAYS = 365;
const INSERT_BATCH = 50_000;
const SAMPLE_EVERY = 997; // every n-th generated id is kept for deep-page and window parameters

// Orders of one year, mixed as a live system would hold them. Customers are skewed (index =
// floor(n * r²), so the largest has ~1.8 % of all orders and a median one ~0.02 %); methods 60 %
// card, 20 % crypto (USDT at a locked rate), 15 % bank transfer, 5 % product top-up paid from the
// wallet; orders older than their time-to-live are 76 % succeeded, 14 % expired, 5 % failed,
// 4 % cancelled, 1 % processing (under-paid, needs review); a live one is pending or succeeded.
// Every order gets its 'pending' timeline row, and one more for the status it reached.
const HISTORY_INSERT = `
WITH s AS (
  SELECT u.id, u.created_at, u.bank_ref, substr(u.id, 5) AS suffix,
         random() AS r_cust, random() AS r_method, random() AS r_status, random() AS r_amount, random() AS r_bal, random() AS r_t
  FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS u(id, created_at, bank_ref)),
m AS (
  SELECT s.*,
    ($4::text[])[1 + least(cardinality($4::text[]) - 1, floor(cardinality($4::text[]) * r_cust * r_cust)::int)] AS customer_id,
    CASE WHEN r_method < 0.60 THEN 'card' WHEN r_method < 0.80 THEN 'crypto' WHEN r_method < 0.95 THEN 'bank_transfer' ELSE 'balance' END AS method,
    (1000 + floor(r_amount * r_amount * 99000))::bigint AS base_amount
  FROM s),
q AS (
  SELECT m.*,
    CASE method WHEN 'bank_transfer' THEN 'manual' WHEN 'balance' THEN 'internal' ELSE 'sandbox' END AS provider,
    CASE WHEN method = 'crypto' THEN 'wallet'
         WHEN method = 'balance' THEN (CASE WHEN r_bal < 0.6 THEN 'whatsapp' ELSE 'sms' END)
         WHEN r_bal < 0.8 THEN 'wallet' WHEN r_bal < 0.9 THEN 'whatsapp' ELSE 'sms' END AS balance,
    CASE WHEN method = 'crypto' THEN base_amount * 10000 ELSE base_amount END AS amount,
    CASE WHEN method = 'card' THEN ceil(base_amount * 290 / 10000.0)::bigint + 30 ELSE 0 END AS fee,
    CASE WHEN method = 'crypto' THEN 'USDT' ELSE 'USD' END AS pay_currency,
    CASE WHEN method = 'crypto' THEN floor(base_amount * 0.9995)::bigint ELSE base_amount END AS credit,
    CASE WHEN method = 'crypto' THEN (ARRAY['TRC20', 'ERC20', 'BEP20'])[1 + floor(r_bal * 3)::int] END AS network,
    created_at + make_interval(secs => CASE method WHEN 'card' THEN 1800 WHEN 'crypto' THEN 3600 WHEN 'bank_transfer' THEN 259200 ELSE 600 END) AS expires_at,
    CASE method WHEN 'bank_transfer' THEN bank_ref WHEN 'balance' THEN NULL ELSE 'sbxpay_' || suffix END AS payment_id
  FROM m),
st AS (
  SELECT q.*,
    CASE WHEN method = 'balance' THEN 'succeeded'
         WHEN expires_at > now() THEN (CASE WHEN r_status < 0.5 THEN 'pending' ELSE 'succeeded' END)
         WHEN r_status < 0.76 THEN 'succeeded' WHEN r_status < 0.90 THEN 'expired'
         WHEN r_status < 0.95 AND method <> 'bank_transfer' THEN 'failed'
         WHEN r_status < 0.99 THEN 'cancelled' ELSE 'processing' END AS status
  FROM q),
f AS (
  SELECT st.*, amount + fee AS pay,
    CASE status
      WHEN 'succeeded' THEN least(now(), created_at + CASE method
        WHEN 'card' THEN make_interval(secs => 20 + r_t * 280) WHEN 'crypto' THEN make_interval(secs => 300 + r_t * 1500)
        WHEN 'bank_transfer' THEN make_interval(secs => 10800 + r_t * 162000) ELSE interval '40 milliseconds' END)
      WHEN 'expired' THEN expires_at
      WHEN 'pending' THEN NULL
      ELSE least(now(), created_at + make_interval(secs => 30 + r_t * 900)) END AS moved_at
  FROM st),
o AS (
  INSERT INTO orders (id, customer_id, balance, method, provider, status, needs_review, paid_late, amount, fee_amount, pay_amount,
    pay_currency, credit_amount, credit_currency, fx_base, fx_quote, fx_rate, network, received_amount, credited_amount,
    provider_payment_id, next_action, return_url, api_key_id, expires_at, created_at, updated_at, succeeded_at)
  SELECT id, customer_id, balance, method, provider, status, status = 'processing', false, amount, fee, pay,
    pay_currency, credit, 'USD',
    CASE WHEN method = 'crypto' THEN 'USDT' END, CASE WHEN method = 'crypto' THEN 'USD' END, CASE WHEN method = 'crypto' THEN '0.9995' END,
    network,
    CASE status WHEN 'succeeded' THEN pay WHEN 'processing' THEN pay / 2 END,
    CASE WHEN status = 'succeeded' THEN credit END,
    payment_id,
    CASE method
      WHEN 'card' THEN jsonb_build_object('type', 'redirect', 'url', $5::text || '/sandbox/checkout/' || payment_id)
      WHEN 'crypto' THEN jsonb_build_object('type', 'crypto_transfer', 'asset', 'USDT', 'network', network,
        'address', CASE network WHEN 'TRC20' THEN 'T' || left(md5(payment_id) || md5(id), 33) ELSE '0x' || left(md5(payment_id) || md5(id), 40) END,
        'amount', (pay / 1000000.0)::numeric(20, 6)::text, 'expires_at', to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'simulator_url', $5::text || '/sandbox/crypto/' || payment_id)
      WHEN 'bank_transfer' THEN jsonb_build_object('type', 'bank_transfer', 'currency', 'USD', 'amount', pay,
        'amount_decimal', (pay / 100.0)::numeric(20, 2)::text, 'reference', payment_id,
        'account', jsonb_build_object('beneficiary', 'Example Trading Ltd. — SAMPLE', 'bank_name', 'Example Bank N.A.', 'account_number', '000123456789', 'swift', 'EXAMUS33'))
    END,
    NULL, $6::bigint, expires_at, created_at, coalesce(moved_at, created_at), CASE WHEN status = 'succeeded' THEN moved_at END
  FROM f
  RETURNING id, customer_id, method, provider, status, pay_amount, created_at, updated_at)
INSERT INTO order_timeline (order_id, customer_id, at, status, note, actor)
SELECT o.id, o.customer_id, v.at, v.status, v.note, v.actor
FROM o CROSS JOIN LATERAL (VALUES
  (1, o.created_at, 'pending', 'Order created: ' || o.method, 'api'),
  (2, o.updated_at, o.status,
   CASE o.status
     WHEN 'succeeded' THEN CASE o.method WHEN 'balance' THEN 'Paid from the wallet'
                                         WHEN 'bank_transfer' THEN 'Bank transfer confirmed in full: ' || o.pay_amount || ' of ' || o.pay_amount
                                         ELSE 'Paid' END
     WHEN 'expired' THEN 'The order expired before payment arrived'
     WHEN 'failed' THEN 'Payment failed: card_declined'
     WHEN 'cancelled' THEN 'Cancelled'
     ELSE 'Under-payment: ' || (o.pay_amount / 2) || ' of ' || o.pay_amount || ' arrived; it needs review' END,
   CASE WHEN o.status = 'expired' THEN 'system' WHEN o.provider = 'sandbox' AND o.status <> 'cancelled' THEN 'provider:sandbox' ELSE 'api' END)
) AS v(k, at, status, note, actor)
WHERE v.k = 1 OR o.status <> 'pending'
ORDER BY o.id, v.k`;

let bankSeq = 0; // bank references are numbered across insertHistory() calls, so they stay unique
// Crockford check character of manual bank references (src/providers/manual/index.ts).
const BANK_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function bankReference(n) {
  // A bijection of n on 40 bits (odd multiplier), so references are unique and look random.
  let v = (BigInt(n) * 0x9e3779b97fn + 0x5bd1e995n) & 0xffffffffffn;
  let digits = '';
  for (let i = 0; i < 8; i++) {
    digits = BANK_ALPHABET[Number(v & 31n)] + digits;
    v >>= 5n;
  }
  let m = 0n;
  for (const d of digits) m = m * 32n + BigInt(BANK_ALPHABET.indexOf(d));
  return `CF-${digits.slice(0, 4)}-${digits.slice(4)}-${`${BANK_ALPHABET}*~$=U`[Number(m % 37n)]}`;
}

/**
 * Bulk-inserts `count` orders (and their timelines) created over the last HISTORY_DAYS days,
 * oldest first, ids made in Node exactly as newId() makes them for their created_at.
 */
export async function insertHistory({
  databaseUrl,
  customerIds,
  count,
  publicUrl,
  spanMs = HISTORY_DAYS * 86_400_000,
  endMs = Date.now() - 60_000,
}) {
  const started = Date.now();
  const end = endMs;
  const span = spanMs;
  const sampleIds = [];
  let timelineRows = 0;
  let expiryJobs = 0;
  await lib.withClient(databaseUrl, async (c) => {
    const apiKey = await c.query('SELECT min(id)::text AS id FROM api_keys');
    for (let done = 0; done < count; done += INSERT_BATCH) {
      const n = Math.min(INSERT_BATCH, count - done);
      const ids = new Array(n);
      const createdMs = new Array(n);
      const created = new Array(n);
      const refs = new Array(n);
      for (let i = 0; i < n; i++) {
        const k = done + i;
        // increasing times with jitter: ids sort by time, as newId() makes them
        const ms = Math.floor(end - span + ((k + Math.random() * 0.9) * span) / count);
        ids[i] = idAt('ord', ms);
        createdMs[i] = ms;
        created[i] = new Date(ms).toISOString();
        refs[i] = bankReference(bankSeq++);
        if (k % SAMPLE_EVERY === 0) sampleIds.push({ id: ids[i], ms });
      }
      assertIdTimes(ids, createdMs);
      const res = await c.query(HISTORY_INSERT, [ids, created, refs, customerIds, publicUrl, apiKey.rows[0].id]);
      timelineRows += res.rowCount;
      // A pending order has its expiry job, as POST /v1/topups queues it.
      const jobs = await c.query(
        `SELECT count(*)::int AS n FROM (
           SELECT array_agg(ROW('topup_expire', json_build_object('order', id), NULL, expires_at, 25, 'expire:' || id, NULL, NULL)::graphile_worker.job_spec) AS specs
           FROM orders WHERE id = ANY($1::text[]) AND status = 'pending') x,
         LATERAL graphile_worker.add_jobs(x.specs) WHERE x.specs IS NOT NULL`,
        [ids],
      );
      expiryJobs += jobs.rows[0].n;
      if ((done / INSERT_BATCH) % 4 === 3 || done + n >= count) {
        lib.step(
          `history: ${(done + n).toLocaleString('en-US')} of ${count.toLocaleString('en-US')} orders inserted (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
      }
    }
  });
  return {
    seconds: (Date.now() - started) / 1000,
    timelineRows,
    expiryJobs,
    sampleIds,
    firstMs: end - span,
    lastMs: end,
  };
}

// ---------------------------------------------------------------- page latency

/** GET with a keep-alive agent; resolves the status and body once the whole response has arrived. */
export function get(agent, url, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * `concurrency` loops, each sending its next request when the previous answer is complete, for
 * `seconds`. Latency is client-side, request start to last byte, in ms.
 */
export async function measurePage({ baseUrl, headers, nextPath, concurrency, seconds, warmupSeconds }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses = {};
  let bytes = 0;
  const loop = async (until, samples) => {
    while (Date.now() < until) {
      const path = nextPath();
      const t0 = process.hrtime.bigint();
      const res = await get(agent, baseUrl + path, headers);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (samples) {
        samples.push(ms);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        bytes += res.body.length;
      } else if (res.status !== 200) {
        throw new Error(`GET ${path} → ${res.status}: ${res.body.toString().slice(0, 300)}`);
      }
    }
  };
  try {
    if (warmupSeconds > 0) {
      const until = Date.now() + warmupSeconds * 1000;
      await Promise.all(Array.from({ length: concurrency }, () => loop(until, null)));
    }
    const samples = [];
    const cpu0 = lib.cpuSnapshot();
    const started = Date.now();
    const until = started + seconds * 1000;
    await Promise.all(Array.from({ length: concurrency }, () => loop(until, samples)));
    const elapsed = (Date.now() - started) / 1000;
    const cpuCores = lib.cpuCores(cpu0, lib.cpuSnapshot());
    return {
      concurrency,
      ...latencyStats(samples),
      rate: round2(samples.length / elapsed),
      statuses,
      avgBytes: samples.length ? Math.round(bytes / samples.length) : 0,
      cpuCores,
    };
  } finally {
    agent.destroy();
  }
}

const executionMs = (plan) => {
  const m = /Execution Time: ([\d.]+) ms/.exec(plan);
  return m ? Number(m[1]) : null;
};

/**
 * Every statement the page runs for these parameters, found by running the app's own listTopups()
 * (dist/) on a Kysely that logs its queries, then EXPLAINed with the same parameters: ANALYZE for
 * plain SELECTs (inside a rolled-back transaction), a plain EXPLAIN for anything that writes or locks.
 */
async function pageStatements(databaseUrl, params) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const captured = [];
  const db = new Kysely({
    dialect: new PostgresDialect({ pool }),
    log: (e) =>
      captured.push({
        sql: e.query.sql,
        parameters: e.query.parameters,
        clientMs: round2(e.queryDurationMillis),
        error: e.level === 'error' ? String(e.error?.message ?? e.error) : undefined,
      }),
  });
  let error = null;
  try {
    await listTopups(db, filtersOf(params), { limit: 50, startingAfter: params.starting_after });
  } catch (err) {
    error = String(err?.message ?? err);
  } finally {
    await db.destroy();
  }
  const statements = await lib.withClient(databaseUrl, async (c) => {
    const out = [];
    for (const st of captured) {
      const readOnly =
        /^\s*(select|with)\b/i.test(st.sql) && !/\bfor\s+(update|no key update|share|key share)\b/i.test(st.sql);
      let plan;
      try {
        await c.query('BEGIN');
        const { rows } = await c.query(`EXPLAIN ${readOnly ? '(ANALYZE, BUFFERS) ' : ''}${st.sql}`, st.parameters);
        plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      } catch (err) {
        plan = `(EXPLAIN failed: ${err.message})`;
      } finally {
        await c.query('ROLLBACK');
      }
      out.push({
        sql: st.sql,
        parameters: st.parameters.map((v) =>
          v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : v,
        ),
        clientMs: st.clientMs,
        executionMs: executionMs(plan),
        plan,
      });
    }
    return out;
  });
  return { error, statements, executionMs: round2(statements.reduce((a, st) => a + (st.executionMs ?? 0), 0)) };
}

/** The query shapes of the recharge history page (GET /v1/topups?limit=50 …). */
function historyQueries({ bigCustomers, sampleIds, firstMs, lastMs }) {
  const pick = (arr) => arr[Math.floor(Math.random() * arr.length)];
  const older = sampleIds.slice(0, Math.floor(sampleIds.length / 2)); // deep pages: the older half
  const week = 7 * 86_400_000;
  const windowAt = () => {
    const gte = firstMs + Math.floor(Math.random() * (lastMs - firstMs - week));
    return { gte: new Date(gte).toISOString(), lt: new Date(gte + week).toISOString() };
  };
  const qs = (params) => `/v1/topups?${new URLSearchParams({ limit: '50', ...params })}`;
  return [
    { name: 'no filter', sample: () => ({ params: {} }) },
    { name: 'customer= (10 largest)', sample: () => ({ params: { customer: pick(bigCustomers) } }) },
    { name: 'status=succeeded', sample: () => ({ params: { status: 'succeeded' } }) },
    {
      name: 'customer= & status=succeeded',
      sample: () => ({ params: { customer: pick(bigCustomers), status: 'succeeded' } }),
    },
    {
      name: 'customer= & status=failed',
      sample: () => ({ params: { customer: pick(bigCustomers), status: 'failed' } }),
    },
    {
      name: 'created_gte/created_lt (7 days)',
      sample: () => {
        const w = windowAt();
        return { params: { created_gte: w.gte, created_lt: w.lt } };
      },
    },
    { name: 'deep page (starting_after)', sample: () => ({ params: { starting_after: pick(older).id } }) },
  ].map((q) => ({ ...q, path: () => qs(q.sample().params) }));
}

function filtersOf(params) {
  return {
    customer: params.customer,
    status: params.status,
    createdGte: params.created_gte ? new Date(params.created_gte) : undefined,
    createdLt: params.created_lt ? new Date(params.created_lt) : undefined,
  };
}

/**
 * (d): BENCH_ORDERS orders in the database, VACUUM ANALYZE and a checkpoint, then each page query
 * at each concurrency level; EXPLAIN ANALYZE of every query shape is kept with the results.
 */
export async function historyScenario({
  databaseUrl,
  baseUrl,
  apiKey,
  customerIds,
  count,
  burstOrders,
  seconds,
  warmupSeconds,
  concurrencies,
  targetMs,
  publicUrl,
}) {
  lib.step(
    `history: inserting ${count.toLocaleString('en-US')} orders over ${HISTORY_DAYS} days for ${customerIds.length} customers`,
  );
  const inserted = await insertHistory({ databaseUrl, customerIds, count, publicUrl });
  const drained = await drainReceiptJobs(databaseUrl);
  lib.step('history: VACUUM ANALYZE orders, order_timeline; CHECKPOINT');
  const maintenanceStarted = Date.now();
  const facts = await lib.withClient(databaseUrl, async (c) => {
    await c.query('VACUUM (ANALYZE) orders, order_timeline, graphile_worker._private_jobs');
    await c.query('CHECKPOINT');
    const totals = (
      await c.query(`SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM order_timeline)::int AS timeline,
                                          pg_size_pretty(pg_total_relation_size('orders')) AS orders_size,
                                          pg_size_pretty(pg_total_relation_size('order_timeline')) AS timeline_size`)
    ).rows[0];
    const statuses = (await c.query('SELECT status, count(*)::int AS n FROM orders GROUP BY status ORDER BY n DESC'))
      .rows;
    const big = (
      await c.query('SELECT customer_id, count(*)::int AS n FROM orders GROUP BY customer_id ORDER BY n DESC LIMIT 10')
    ).rows;
    const median = (
      await c.query(
        'SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) AS n FROM (SELECT count(*)::int AS n FROM orders GROUP BY customer_id) x',
      )
    ).rows[0].n;
    return { totals, statuses, big, median };
  });
  const maintenanceSeconds = (Date.now() - maintenanceStarted) / 1000;
  const queries = historyQueries({
    bigCustomers: facts.big.map((b) => b.customer_id),
    sampleIds: inserted.sampleIds,
    firstMs: inserted.firstMs,
    lastMs: inserted.lastMs,
  });

  const main = await measureQueries({
    databaseUrl,
    baseUrl,
    apiKey,
    queries,
    concurrencies,
    seconds,
    warmupSeconds,
    targetMs,
    label: 'history',
  });

  // A checkout burst: BURST orders created in the last 10 minutes (about half still pending, none
  // due yet), analyzed as autovacuum eventually would; the same queries again, one at a time.
  let burst = null;
  if (burstOrders > 0) {
    lib.step(`history: checkout burst, ${burstOrders.toLocaleString('en-US')} orders created in the last 10 minutes`);
    const b = await insertHistory({
      databaseUrl,
      customerIds,
      count: burstOrders,
      publicUrl,
      spanMs: 10 * 60_000,
      endMs: Date.now() - 5_000,
    });
    const pending = await lib.withClient(databaseUrl, async (c) => {
      await c.query('ANALYZE orders, order_timeline, graphile_worker._private_jobs');
      return (await c.query(`SELECT count(*)::int AS n FROM orders WHERE status = 'pending'`)).rows[0].n;
    });
    const measured = await measureQueries({
      databaseUrl,
      baseUrl,
      apiKey,
      queries,
      concurrencies: [concurrencies[0]],
      seconds,
      warmupSeconds,
      targetMs,
      label: 'burst',
    });
    burst = {
      orders: burstOrders,
      insertSeconds: Math.round(b.seconds * 10) / 10,
      pendingOrders: pending,
      ...measured,
    };
  }

  return {
    orders: count,
    insertSeconds: Math.round(inserted.seconds * 10) / 10,
    expiryJobs: inserted.expiryJobs,
    maintenanceSeconds: Math.round(maintenanceSeconds * 10) / 10,
    receiptJobsDrain: drained,
    table: facts.totals,
    statuses: facts.statuses,
    largestCustomers: facts.big,
    medianOrdersPerCustomer: facts.median,
    customers: customerIds.length,
    seconds,
    warmupSeconds,
    targetMs,
    pendingOrders: facts.statuses.find((x) => x.status === 'pending')?.n ?? 0,
    ...main,
    burst,
    receiptJobsAfter: await lib.withClient(databaseUrl, receiptJobs),
  };
}

/** Each query at each concurrency, then the plans of every statement of the page (one sample each). */
async function measureQueries({
  databaseUrl,
  baseUrl,
  apiKey,
  queries,
  concurrencies,
  seconds,
  warmupSeconds,
  targetMs,
  label,
}) {
  // Each query must answer 200 before it is timed; how full its page is, is recorded.
  const pageRows = [];
  for (const q of queries) {
    const res = await get(undefined, baseUrl + q.path(), { authorization: `Bearer ${apiKey}` });
    if (res.status !== 200)
      throw new Error(`${label}: ${q.name} → ${res.status}: ${res.body.toString().slice(0, 300)}`);
    pageRows.push(JSON.parse(res.body).data.length);
  }
  const results = [];
  for (const q of queries) {
    const levels = [];
    for (const concurrency of concurrencies) {
      lib.step(`${label}: ${q.name}, ${concurrency} concurrent, ${seconds} s`);
      levels.push(
        await measurePage({
          baseUrl,
          headers: { authorization: `Bearer ${apiKey}` },
          nextPath: q.path,
          concurrency,
          seconds,
          warmupSeconds,
        }),
      );
    }
    results.push({ name: q.name, example: q.path(), rows: pageRows[results.length], levels });
  }
  for (const [i, q] of queries.entries()) {
    const params = q.sample().params;
    results[i].explain = { params, ...(await pageStatements(databaseUrl, params)) };
  }
  const overall = concurrencies.map((concurrency) => {
    const at = results.map((r) => ({ name: r.name, level: r.levels.find((l) => l.concurrency === concurrency) }));
    const worst = at.reduce((a, b) => (b.level.p99 > a.level.p99 ? b : a));
    return { concurrency, worstP99: worst.level.p99, worstQuery: worst.name, ok: worst.level.p99 < targetMs };
  });
  const misses = [];
  for (const r of results) {
    for (const l of r.levels) {
      const bad = Object.keys(l.statuses).filter((st) => st !== '200');
      if (l.p99 >= targetMs || bad.length)
        misses.push({ query: r.name, concurrency: l.concurrency, p99: l.p99, statuses: l.statuses });
    }
  }
  return { concurrencies, queries: results, overall, misses, ok: misses.length === 0 };
}
