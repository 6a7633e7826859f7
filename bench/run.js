// `npm run bench`: measures Coffer's charge path against pgbench baselines on the same PostgreSQL
// (DESIGN.md §9) and checks the ledger afterwards. Env: BENCH_SECONDS (default 15),
// BENCH_WARMUP_SECONDS (2), BENCH_CUSTOMERS (10000), DATABASE_URL (else an embedded PostgreSQL).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import * as lib from './lib.js';
import { checkLedger, printReport } from './report.js';

const intEnv = (name, fallback) => (process.env[name] ? Number.parseInt(process.env[name], 10) : fallback);
const SECONDS = intEnv('BENCH_SECONDS', 15);
const WARMUP_SECONDS = intEnv('BENCH_WARMUP_SECONDS', 2);
const CUSTOMERS = intEnv('BENCH_CUSTOMERS', 10_000);
const CONNECTIONS = 64;
const SEED_CONCURRENCY = 32;
const HOT_GRANT = 1_000_000_000_000; // minor units; far more than any run can charge
const SPREAD_GRANT = 1_000_000;
// Non-2xx statuses acceptable under load: none. Every charge is covered by its grant, so a 402,
// a 409 or a 503 (charge queue full) is a finding, not noise.
const EXPECTED_NON_2XX = new Set();
const RESULTS_FILE = path.join(lib.ROOT, 'bench', 'results', 'latest.json');

const cleanups = [];
async function runCleanups() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup failed: ${lib.redact(err?.message ?? err)}`);
    }
  }
}

async function measurePgbench(adminUrl, pgbenchDb, initialise) {
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
  lib.step(`pgbench: single-row UPDATE, ${common.join(' ')}`);
  const singleRow = await lib.pgbench(bin, env, [...common, '-f', scriptFile]);
  lib.step(`pgbench: TPC-B-like, ${common.join(' ')}`);
  const tpcb = await lib.pgbench(bin, env, common);
  return { binary: bin, singleRow, tpcb };
}

/** One customer with a wallet grant, created through the HTTP API. */
async function createFundedCustomer(api, label, grant) {
  const c = await api.post('/v1/customers', { external_id: `bench-${label}`, email: `${label}@bench.example` }, `seed-c-${label}`);
  if (c.status !== 201) throw new Error(`POST /v1/customers → ${c.status}: ${JSON.stringify(c.body)}`);
  const body = { customer: c.body.id, balance: 'wallet', amount: grant, currency: c.body.currency, reason: 'bench funds' };
  const g = await api.post('/v1/grants', body, `seed-g-${label}`);
  if (g.status !== 201) throw new Error(`POST /v1/grants → ${g.status}: ${JSON.stringify(g.body)}`);
  return { id: c.body.id, currency: c.body.currency };
}

async function seed(api) {
  lib.step('seeding the hot customer');
  const hot = await createFundedCustomer(api, 'hot', HOT_GRANT);
  lib.step(`seeding ${CUSTOMERS} customers (concurrency ${SEED_CONCURRENCY})`);
  const started = Date.now();
  const indexes = Array.from({ length: CUSTOMERS }, (_, i) => i);
  const spread = await lib.mapConcurrent(indexes, SEED_CONCURRENCY, (i) => createFundedCustomer(api, `c${i}`, SPREAD_GRANT));
  lib.step(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { hot, spread };
}

/**
 * One autocannon run of POST /v1/charges; every request carries its own Idempotency-Key.
 * Requests sent but never answered (cut off when the run stops) are replayed afterwards with the
 * same key and body, so the success count covers every charge the server may have committed.
 */
async function runCharges(api, name, seconds, nextBody) {
  const outstanding = new Map(); // key → body, sent and not answered yet
  const statuses = {};
  let counter = 0;
  let successes = 0;
  const result = await autocannon({
    url: api.baseUrl,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/v1/charges',
        setupRequest(req, context) {
          const key = `b-${name}-${++counter}`;
          const body = JSON.stringify(nextBody());
          outstanding.set(key, body);
          context.key = key;
          return { ...req, headers: { ...req.headers, 'idempotency-key': key }, body };
        },
        onResponse(status, _body, context) {
          outstanding.delete(context.key);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) successes++;
        },
      },
    ],
  });
  const replayed = await replayOutstanding(api, outstanding);
  const unexpected = Object.entries(statuses).filter(([s]) => !s.startsWith('2') && !EXPECTED_NON_2XX.has(Number(s)));
  if (unexpected.length || result.errors > 0) {
    throw new Error(`${name}: unexpected responses ${JSON.stringify(Object.fromEntries(unexpected))}, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    name,
    seconds: result.duration,
    requests: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    rate: result['2xx'] / result.duration,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, avg: result.latency.average, max: result.latency.max },
    cutOffReplayed: replayed,
    successes: successes + replayed,
  };
}

/** Re-sends cut-off requests with their original key; waits while the server still has one in flight (409). */
async function replayOutstanding(api, outstanding) {
  const results = await lib.mapConcurrent([...outstanding], 8, async ([key, body]) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const res = await api.post('/v1/charges', body, key);
      if (res.status >= 200 && res.status < 300) return 1;
      if (res.status !== 409) throw new Error(`replay of ${key} → ${res.status}: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`replay of ${key}: still 409 after 10 s`);
  });
  return results.reduce((a, b) => a + b, 0);
}

async function scenario(api, name, nextBody) {
  if (WARMUP_SECONDS > 0) lib.step(`${name}: warm-up ${WARMUP_SECONDS} s`);
  const warm = WARMUP_SECONDS > 0 ? await runCharges(api, `${name}-warm`, WARMUP_SECONDS, nextBody) : { successes: 0 };
  lib.step(`${name}: measuring ${SECONDS} s, ${CONNECTIONS} connections`);
  const measured = await runCharges(api, name, SECONDS, nextBody);
  return { ...measured, warmupSuccesses: warm.successes, totalSuccesses: warm.successes + measured.successes };
}

async function main() {
  const startedAt = new Date().toISOString();
  const suffix = lib.randomSuffix();
  const cofferDb = `coffer_bench_${suffix}`;
  const pgbenchDb = `pgbench_${suffix}`;

  lib.step(process.env.DATABASE_URL ? 'using the PostgreSQL server of DATABASE_URL' : 'starting an embedded PostgreSQL');
  const server = await lib.startPostgres();
  cleanups.push(server.stop);
  for (const db of [cofferDb, pgbenchDb]) {
    await lib.createDatabase(server.adminUrl, db);
    cleanups.push(() => lib.dropDatabase(server.adminUrl, db));
  }
  const cofferUrl = lib.withDatabase(server.adminUrl, cofferDb);
  const machine = await lib.machineInfo(cofferUrl);

  const pgbenchBefore = await measurePgbench(server.adminUrl, pgbenchDb, true);

  lib.step('starting coffer serve');
  const coffer = await lib.startCoffer(cofferUrl);
  cleanups.push(coffer.stop);
  const apiKey = await lib.createApiKey(cofferUrl);
  const api = { baseUrl: coffer.baseUrl, apiKey, post: (p, body, key) => lib.postJson(coffer.baseUrl, apiKey, p, body, key) };
  const { hot, spread } = await seed(api);

  const hotRun = await scenario(api, 'hot', () => ({ customer: hot.id, balance: 'wallet', amount: 1, currency: hot.currency }));
  const spreadRun = await scenario(api, 'spread', () => {
    const c = spread[Math.floor(Math.random() * spread.length)];
    return { customer: c.id, balance: 'wallet', amount: 1, currency: c.currency };
  });
  await coffer.stop();

  // The baseline is measured before and after Coffer and averaged: this VM's speed drifts by tens
  // of percent within minutes, and the ratio should compare like with like.
  const pgbenchAfter = await measurePgbench(server.adminUrl, pgbenchDb, false);
  const mean = (k) => {
    const tps = (pgbenchBefore[k].tps + pgbenchAfter[k].tps) / 2;
    const latencyAvgMs = (pgbenchBefore[k].latencyAvgMs + pgbenchAfter[k].latencyAvgMs) / 2;
    return { tps, latencyAvgMs, before: pgbenchBefore[k].tps, after: pgbenchAfter[k].tps };
  };
  const pgbench = { binary: pgbenchBefore.binary, singleRow: mean('singleRow'), tpcb: mean('tpcb') };

  lib.step('checking the ledger');
  const ledger = await checkLedger(cofferUrl, {
    hot: { id: hot.id, grant: HOT_GRANT, successes: hotRun.totalSuccesses },
    spread: { ids: spread.map((c) => c.id), grant: SPREAD_GRANT, successes: spreadRun.totalSuccesses },
  });

  const results = {
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, customers: CUSTOMERS, postgres: server.kind },
    machine,
    pgbench,
    charges: { hot: hotRun, spread: spreadRun },
    ratios: {
      hotVsSingleRow: { value: hotRun.rate / pgbench.singleRow.tps, target: 4 },
      spreadVsTpcb: { value: spreadRun.rate / pgbench.tpcb.tps, target: 1 },
    },
    ledger,
  };
  printReport(results);
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + '\n');
  console.log(`results written to ${path.relative(lib.ROOT, RESULTS_FILE)}`);
  return ledger.ok ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`${signal}: cleaning up`);
    runCleanups().finally(() => process.exit(130));
  });
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (err) {
  console.error(`bench failed: ${lib.redact(err?.stack ?? err)}`);
  exitCode = 1;
} finally {
  await runCleanups();
}
process.exit(exitCode);
