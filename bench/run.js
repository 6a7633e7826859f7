// `npm run bench`: measures Coffer's charge and top-up paths against pgbench baselines on the same
// PostgreSQL (docs/design.md §9) and checks the ledger afterwards. Env: BENCH_SECONDS (default 15),
// BENCH_WARMUP_SECONDS (2), BENCH_CUSTOMERS (10000), BENCH_ORDERS (1000000, orders stored for the
// history page and the portal's data calls), BENCH_WEBHOOK_ORDERS (5000 per second of webhook load), BENCH_PAGE_SECONDS (5 per
// history query and concurrency), BENCH_BURST_ORDERS (50000 recent orders for a second history pass;
// 0 skips it), BENCH_PAGE_CONCURRENCY ("1,4,16"), BENCH_SKIP_CHARGES=1 (only the
// top-up scenarios), BENCH_STEADY=0 (skips the steady-rate scenario of bench/steady.js, which reads
// its own BENCH_STEADY_* settings), BENCH_FLOOR=0 (skips the floor of the hot balance, bench/floor-server.js),
// DATABASE_URL (else an embedded PostgreSQL).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONNECTIONS, createFundedCustomer, runCharges } from './charges.js';
import * as lib from './lib.js';
import { checkLedger, printReport } from './report.js';
import { portalScenario } from './portal.js';
import { printSteady, steadyOptionsFromEnv, steadyScenario } from './steady.js';
import {
  drainReceiptJobs,
  historyScenario,
  prepareWebhookOrders,
  removeUnusedOrders,
  webhookScenario,
} from './topups.js';

const intEnv = (name, fallback) => (process.env[name] ? Number.parseInt(process.env[name], 10) : fallback);
const SECONDS = intEnv('BENCH_SECONDS', 15);
const WARMUP_SECONDS = intEnv('BENCH_WARMUP_SECONDS', 2);
const CUSTOMERS = intEnv('BENCH_CUSTOMERS', 10_000);
const SKIP_CHARGES = process.env.BENCH_SKIP_CHARGES === '1';
const FLOOR = !SKIP_CHARGES && process.env.BENCH_FLOOR !== '0';
const ORDERS = intEnv('BENCH_ORDERS', 1_000_000);
// Webhooks use one prepared order each: 5,000 per second of load is about twice the rate measured
// here (~2,400/s; running out is reported as a problem, never silently).
const WEBHOOK_ORDERS = intEnv('BENCH_WEBHOOK_ORDERS', 5_000 * (SECONDS + WARMUP_SECONDS));
const PAGE_SECONDS = intEnv('BENCH_PAGE_SECONDS', 5);
const BURST_ORDERS = intEnv('BENCH_BURST_ORDERS', 50_000); // recent orders added for the "checkout burst" pass of (d); 0 skips it
const PAGE_CONCURRENCY = (process.env.BENCH_PAGE_CONCURRENCY || '1,4,16').split(',').map((n) => Number.parseInt(n, 10));
const HISTORY_CUSTOMERS = 3_000; // "a few thousand" customers own the stored orders
const HISTORY_TARGET_MS = 20;
const SEED_CONCURRENCY = 32;
const HOT_GRANT = 1_000_000_000_000; // minor units; far more than any run can charge
const SPREAD_GRANT = 1_000_000;
const RESULTS_FILE = path.join(lib.ROOT, 'bench', 'results', 'latest.json');

const cleanups = [];
const runCleanups = () => lib.runCleanups(cleanups);

/**
 * Before each Coffer scenario, as pgbench vacuums its tables before each of its runs: VACUUM
 * ANALYZE and a checkpoint, so that a scenario does not pay for the autovacuum of the rows the one
 * before it wrote (after the charge scenarios that was ~0.3 core of the webhook measurement).
 */
async function settleDatabase(url) {
  lib.step('VACUUM ANALYZE; CHECKPOINT');
  await lib.withClient(url, async (c) => {
    await c.query('VACUUM ANALYZE');
    await c.query('CHECKPOINT');
  });
}

async function measurePgbench(adminUrl, pgbenchDb, initialise, { singleRow: withSingleRow = true } = {}) {
  const bin = lib.findPgbench();
  const env = lib.pgEnv(adminUrl, pgbenchDb);
  if (initialise) {
    lib.step(`pgbench: ${bin}; initialising scale 10`);
    await lib.runProcess(bin, ['-i', '-s', '10', '-q'], { env });
  }
  const scriptFile = path.join(os.tmpdir(), `coffer-bench-single-row-${process.pid}.sql`);
  fs.writeFileSync(scriptFile, 'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1;\n');
  cleanups.push(async () => fs.rmSync(scriptFile, { force: true }));
  const common = ['-c', '8', '-j', '2', '-T', String(SECONDS)];
  let singleRow = null;
  if (withSingleRow) {
    lib.step(`pgbench: single-row UPDATE, ${common.join(' ')}`);
    singleRow = await lib.pgbench(bin, env, [...common, '-f', scriptFile]);
  }
  lib.step(`pgbench: TPC-B-like, ${common.join(' ')}`);
  const tpcb = await lib.pgbench(bin, env, common);
  return { binary: bin, singleRow, tpcb };
}

/** A customer without funds (BENCH_SKIP_CHARGES: the top-up scenarios need customers, not grants). */
async function createCustomer(api, label) {
  const c = await api.post(
    '/v1/customers',
    { external_id: `bench-${label}`, email: `${label}@bench.example` },
    `seed-c-${label}`,
  );
  if (c.status !== 201) throw new Error(`POST /v1/customers → ${c.status}: ${JSON.stringify(c.body)}`);
  return { id: c.body.id, currency: c.body.currency };
}

async function seed(api) {
  if (SKIP_CHARGES) {
    lib.step(`seeding ${CUSTOMERS} customers without funds (concurrency ${SEED_CONCURRENCY})`);
    const started = Date.now();
    const spread = await lib.mapConcurrent(
      Array.from({ length: CUSTOMERS }, (_, i) => i),
      SEED_CONCURRENCY,
      (i) => createCustomer(api, `c${i}`),
    );
    lib.step(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { hot: null, spread };
  }
  lib.step('seeding the hot customer');
  const hot = await createFundedCustomer(api, 'hot', HOT_GRANT);
  lib.step(`seeding ${CUSTOMERS} customers (concurrency ${SEED_CONCURRENCY})`);
  const started = Date.now();
  const indexes = Array.from({ length: CUSTOMERS }, (_, i) => i);
  const spread = await lib.mapConcurrent(indexes, SEED_CONCURRENCY, (i) =>
    createFundedCustomer(api, `c${i}`, SPREAD_GRANT),
  );
  lib.step(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { hot, spread };
}

async function scenario(api, name, nextBody) {
  if (WARMUP_SECONDS > 0) lib.step(`${name}: warm-up ${WARMUP_SECONDS} s`);
  const warm = WARMUP_SECONDS > 0 ? await runCharges(api, `${name}-warm`, WARMUP_SECONDS, nextBody) : { successes: 0 };
  lib.step(`${name}: measuring ${SECONDS} s, ${CONNECTIONS} connections`);
  const cpu0 = lib.cpuSnapshot();
  const measured = await runCharges(api, name, SECONDS, nextBody);
  const cpuCores = lib.cpuCores(cpu0, lib.cpuSnapshot());
  return {
    ...measured,
    cpuCores,
    warmupSuccesses: warm.successes,
    totalSuccesses: warm.successes + measured.successes,
  };
}

/**
 * The same load as the hot balance, on bench/floor-server.js: the least a durable, idempotent
 * charge costs on this machine, so the report can tell the machine's limits from Coffer's own work.
 * It runs on a database of its own; afterwards its balance must have moved by exactly its rows.
 */
async function floorScenario(adminUrl, suffix) {
  const db = `floor_${suffix}`;
  await lib.createDatabase(adminUrl, db);
  cleanups.push(() => lib.dropDatabase(adminUrl, db));
  const url = lib.withDatabase(adminUrl, db);
  const secret = `floor_${lib.randomSuffix()}${lib.randomSuffix()}`;
  lib.addSecret(secret);
  lib.step('starting the floor server (bench/floor-server.js)');
  const floor = await lib.startFloorServer(url, secret, HOT_GRANT);
  cleanups.push(floor.stop);
  const api = {
    baseUrl: floor.baseUrl,
    apiKey: secret,
    post: (p, body, key) => lib.postJson(floor.baseUrl, secret, p, body, key),
  };
  const run = await scenario(api, 'floor', () => ({ amount: 1 }));
  await floor.stop();
  const check = await lib.withClient(url, async (c) => {
    const { rows } = await c.query(
      'SELECT (SELECT posted FROM floor_balance WHERE id = 1)::text AS posted, (SELECT count(*) FROM floor_charges)::int AS charges',
    );
    return rows[0];
  });
  const ok = check.charges === run.totalSuccesses && BigInt(check.posted) === BigInt(HOT_GRANT) - BigInt(check.charges);
  if (!ok)
    throw new Error(
      `floor: ${check.charges} rows and balance ${check.posted} after ${run.totalSuccesses} successful charges`,
    );
  return run;
}

async function main() {
  const startedAt = new Date().toISOString();
  const started = Date.now();
  const source = lib.sourceDigest();
  const suffix = lib.randomSuffix();
  const cofferDb = `coffer_bench_${suffix}`;
  const pgbenchDb = `pgbench_${suffix}`;
  const phases = {};
  const phase = (name, since) => (phases[name] = Math.round((Date.now() - since) / 100) / 10);

  lib.step(
    process.env.DATABASE_URL ? 'using the PostgreSQL server of DATABASE_URL' : 'starting an embedded PostgreSQL',
  );
  const server = await lib.startPostgres();
  cleanups.push(server.stop);
  for (const db of [cofferDb, pgbenchDb]) {
    await lib.createDatabase(server.adminUrl, db);
    cleanups.push(() => lib.dropDatabase(server.adminUrl, db));
  }
  const cofferUrl = lib.withDatabase(server.adminUrl, cofferDb);
  const machine = await lib.machineInfo(cofferUrl);

  let t = Date.now();
  const pgbenchBefore = await measurePgbench(server.adminUrl, pgbenchDb, true, { singleRow: !SKIP_CHARGES });
  phase('pgbenchBefore', t);

  // The sandbox's webhook secret is the bench's own, so the bench can sign what it delivers.
  const webhookSecret = `whsec_bench_${lib.randomSuffix()}${lib.randomSuffix()}`;
  lib.addSecret(webhookSecret);
  const cofferEnv = { SANDBOX_WEBHOOK_SECRET: webhookSecret };
  lib.step('starting coffer serve');
  const coffer = await lib.startCoffer(cofferUrl, cofferEnv);
  cleanups.push(coffer.stop);
  const apiKey = await lib.createApiKey(cofferUrl);
  const api = {
    baseUrl: coffer.baseUrl,
    apiKey,
    post: (p, body, key) => lib.postJson(coffer.baseUrl, apiKey, p, body, key),
  };
  t = Date.now();
  const { hot, spread } = await seed(api);
  phase('seed', t);

  let hotRun = null;
  let spreadRun = null;
  let floorRun = null;
  if (!SKIP_CHARGES) {
    t = Date.now();
    await settleDatabase(cofferUrl);
    hotRun = await scenario(api, 'hot', () => ({
      customer: hot.id,
      balance: 'wallet',
      amount: 1,
      currency: hot.currency,
    }));
    if (FLOOR) floorRun = await floorScenario(server.adminUrl, suffix);
    await settleDatabase(cofferUrl);
    spreadRun = await scenario(api, 'spread', () => {
      const c = spread[Math.floor(Math.random() * spread.length)];
      return { customer: c.id, balance: 'wallet', amount: 1, currency: c.currency };
    });
    phase('charges', t);
  }

  t = Date.now();
  const prepared = await prepareWebhookOrders({
    databaseUrl: cofferUrl,
    api,
    customers: spread,
    count: WEBHOOK_ORDERS,
    runTag: suffix,
  });
  await settleDatabase(cofferUrl);
  phase('webhookSetup', t);
  t = Date.now();
  const webhooks = await webhookScenario({
    baseUrl: coffer.baseUrl,
    secret: webhookSecret,
    connections: CONNECTIONS,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    prepared,
  });
  phase('webhooks', t);
  // Every credited order queued a receipt in the mail outbox; its sender may run behind under load. The backlog
  // and how long it takes to clear tell whether the credited rate is sustainable.
  t = Date.now();
  webhooks.receiptBacklog = await drainReceiptJobs(cofferUrl, 180_000);
  phase('receiptDrain', t);
  await coffer.stop();

  // The baseline is measured before and after Coffer and averaged: this VM's speed drifts by tens
  // of percent within minutes, and the ratio should compare like with like.
  t = Date.now();
  const pgbenchAfter = await measurePgbench(server.adminUrl, pgbenchDb, false, { singleRow: !SKIP_CHARGES });
  phase('pgbenchAfter', t);
  const mean = (k) => {
    if (!pgbenchBefore[k] || !pgbenchAfter[k]) return null;
    const tps = (pgbenchBefore[k].tps + pgbenchAfter[k].tps) / 2;
    const latencyAvgMs = (pgbenchBefore[k].latencyAvgMs + pgbenchAfter[k].latencyAvgMs) / 2;
    return {
      tps,
      latencyAvgMs,
      before: pgbenchBefore[k].tps,
      after: pgbenchAfter[k].tps,
      cpuCoresBefore: pgbenchBefore[k].cpuCores,
      cpuCoresAfter: pgbenchAfter[k].cpuCores,
    };
  };
  const pgbench = { binary: pgbenchBefore.binary, singleRow: mean('singleRow'), tpcb: mean('tpcb') };

  // Checked before the history rows go in: those are bulk-inserted orders without ledger
  // transfers (their succeeded ones would fail verify's "one credit per succeeded order").
  t = Date.now();
  lib.step('checking the ledger');
  const ledger = await checkLedger(cofferUrl, {
    hot: hotRun && { id: hot.id, grant: HOT_GRANT, successes: hotRun.totalSuccesses },
    spread: spreadRun && { ids: spread.map((c) => c.id), grant: SPREAD_GRANT, successes: spreadRun.totalSuccesses },
    webhooks,
  });
  phase('ledgerCheck', t);
  const removedOrders = await removeUnusedOrders(cofferUrl, webhooks);
  webhooks.unusedOrdersRemoved = removedOrders;

  t = Date.now();
  lib.step('starting coffer serve for the history page');
  const coffer2 = await lib.startCoffer(cofferUrl, cofferEnv);
  cleanups.push(coffer2.stop);
  // A failure here still reports everything measured before it.
  const history = await historyScenario({
    databaseUrl: cofferUrl,
    baseUrl: coffer2.baseUrl,
    apiKey,
    customerIds: spread.slice(0, HISTORY_CUSTOMERS).map((c) => c.id),
    count: ORDERS,
    burstOrders: BURST_ORDERS,
    seconds: PAGE_SECONDS,
    warmupSeconds: 1,
    concurrencies: PAGE_CONCURRENCY,
    targetMs: HISTORY_TARGET_MS,
    publicUrl: coffer2.baseUrl.replace('127.0.0.1', 'localhost'),
  }).catch((err) => ({ error: lib.redact(err?.stack ?? err) }));
  phase('history', t);
  t = Date.now();
  const largest = history.largestCustomers?.map((c) => c.customer_id) ?? spread.slice(0, 10).map((c) => c.id);
  const portal = await portalScenario({
    baseUrl: coffer2.baseUrl,
    apiKey,
    customers: largest.slice(0, 3),
    seconds: PAGE_SECONDS,
    warmupSeconds: 1,
    concurrencies: PAGE_CONCURRENCY,
    targetMs: HISTORY_TARGET_MS,
  })
    .then((p) => ({ ...p, customers: largest.length }))
    .catch((err) => ({ error: lib.redact(err?.stack ?? err) }));
  await coffer2.stop();
  phase('portal', t);
  // Last, on databases of its own: the hot balance from a freshly migrated database, no ANALYZE.
  let steady = null;
  if (!SKIP_CHARGES && process.env.BENCH_STEADY !== '0') {
    t = Date.now();
    steady = await steadyScenario(server.adminUrl, steadyOptionsFromEnv()).catch((err) => ({
      ok: false,
      error: lib.redact(err?.stack ?? err),
    }));
    phase('steady', t);
  }
  phases.total = Math.round((Date.now() - started) / 100) / 10;

  const { sentOrderIds: _sent, allOrderIds: _all, ...webhookSummary } = webhooks;
  const results = {
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: {
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      connections: CONNECTIONS,
      customers: CUSTOMERS,
      postgres: server.kind,
      skipCharges: SKIP_CHARGES,
      orders: ORDERS,
      burstOrders: BURST_ORDERS,
      webhookOrders: WEBHOOK_ORDERS,
      pageSeconds: PAGE_SECONDS,
      pageConcurrency: PAGE_CONCURRENCY,
    },
    source,
    sourceAtEnd: lib.sourceDigest(),
    machine,
    pgbench,
    charges: hotRun ? { hot: hotRun, spread: spreadRun, floor: floorRun } : null,
    topups: { webhooks: webhookSummary, history, portal },
    steady,
    ratios: {
      ...(hotRun
        ? {
            hotVsSingleRow: { value: hotRun.rate / pgbench.singleRow.tps, target: 4 },
            spreadVsTpcb: { value: spreadRun.rate / pgbench.tpcb.tps, target: 1 },
            ...(floorRun
              ? {
                  floorVsSingleRow: { value: floorRun.rate / pgbench.singleRow.tps },
                  hotVsFloor: { value: hotRun.rate / floorRun.rate },
                }
              : {}),
          }
        : {}),
      webhooksVsTpcb: { value: webhooks.rate / pgbench.tpcb.tps, target: 0.5 },
    },
    ledger,
    phasesSeconds: phases,
  };
  printReport(results);
  if (steady?.variants) printSteady(steady);
  else if (steady?.error) console.log(`steady-rate scenario failed: ${steady.error}`);
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');
  console.log(`results written to ${path.relative(lib.ROOT, RESULTS_FILE)}`);
  const historyFailed =
    Boolean(history.error) ||
    Boolean(portal.error) ||
    Boolean(portal.misses?.some((m) => Object.keys(m.statuses).some((st) => st !== '200'))) ||
    [history, history.burst].some((part) =>
      part?.misses?.some((m) => Object.keys(m.statuses).some((st) => st !== '200')),
    );
  return ledger.ok && !historyFailed && (steady === null || steady.ok) ? 0 : 1;
}

await lib.runMain('bench', main, runCleanups);
