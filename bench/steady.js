// `npm run bench:steady`: "speed must not depend on luck". 64 connections charge ONE hot balance
// (POST /v1/charges, each request with its own Idempotency-Key, as bench/run.js's hot scenario),
// starting from a freshly migrated database on which no manual ANALYZE or VACUUM ever ran, in
// consecutive rounds (one autocannon run each). After the last round the database is ANALYZEd and
// one more round gives the reference rate. Criterion: every round after the first reaches at least
// 0.8 × the reference rate. Two variants, each on a fresh database of its own:
//   on  — the stock cluster (autovacuum on), BENCH_STEADY_SECONDS (default 180) of rounds;
//   off — every table's autovacuum disabled right after `coffer migrate` (as on a cluster with
//         autovacuum off), BENCH_STEADY_OFF_SECONDS (default 120) of rounds.
// Per round it also records when autovacuum/autoanalyze ran on the hot tables, checkpoints and WAL
// bytes. Afterwards `coffer ledger verify` must pass and the hot balance must match the charges.
// Env: BENCH_STEADY_ROUND_SECONDS (10), BENCH_STEADY_VARIANTS ("on,off"), DATABASE_URL (else an
// embedded PostgreSQL). Results: bench/results/steady-latest.json. Exit 1 on FAIL or any error.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { CONNECTIONS, createFundedCustomer, runCharges } from './charges.js';
import * as lib from './lib.js';
import { checkLedger } from './report.js';

const intEnv = (name, fallback) => (process.env[name] ? Number.parseInt(process.env[name], 10) : fallback);

const HOT_GRANT = 1_000_000_000_000; // minor units; far more than any run can charge
const THRESHOLD = 0.8; // every round after the first must reach this share of the reference rate
const WATCHED_TABLES = ['accounts', 'idempotency_keys', 'transfers', 'entries'];
const SCHEMAS = ['public', 'graphile_worker'];
const RESULTS_FILE = path.join(lib.ROOT, 'bench', 'results', 'steady-latest.json');

/** Settings from the environment. */
export function steadyOptionsFromEnv() {
  return {
    roundSeconds: intEnv('BENCH_STEADY_ROUND_SECONDS', 10),
    onSeconds: intEnv('BENCH_STEADY_SECONDS', 180),
    offSeconds: intEnv('BENCH_STEADY_OFF_SECONDS', 120),
    variants: (process.env.BENCH_STEADY_VARIANTS || 'on,off')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  };
}

// ---------------------------------------------------------------- cleanups

const cleanups = [];
const runCleanups = (downTo = 0) => lib.runCleanups(cleanups, downTo);

// ---------------------------------------------------------------- database statistics

/**
 * What the server says now: its clock, the WAL position, the checkpoint count (PostgreSQL 17 moved
 * it from pg_stat_bgwriter to pg_stat_checkpointer) and the vacuum/analyze history of the watched
 * tables. WAL and checkpoints are cluster-wide: anything else on the server counts too.
 */
async function statsSnapshot(client) {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const {
    rows: [base],
  } = await client.query(`SELECT now() AS now, pg_current_wal_lsn()::text AS lsn,
      to_regclass('pg_catalog.pg_stat_checkpointer') IS NOT NULL AS has_checkpointer`);
  const {
    rows: [cp],
  } = await client.query(
    base.has_checkpointer
      ? 'SELECT (num_timed + num_requested)::bigint::text AS n FROM pg_stat_checkpointer'
      : 'SELECT (checkpoints_timed + checkpoints_req)::bigint::text AS n FROM pg_stat_bgwriter',
  );
  const { rows } = await client.query(
    `SELECT relname, last_autovacuum, last_autoanalyze, last_vacuum, last_analyze,
            autovacuum_count::int, autoanalyze_count::int, vacuum_count::int, analyze_count::int,
            n_live_tup::bigint::text AS n_live_tup, n_dead_tup::bigint::text AS n_dead_tup
       FROM pg_stat_user_tables WHERE schemaname = 'public' AND relname = ANY($1::text[])`,
    [WATCHED_TABLES],
  );
  return {
    at: new Date(base.now),
    lsn: base.lsn,
    checkpoints: BigInt(cp.n),
    tables: Object.fromEntries(rows.map((r) => [r.relname, r])),
  };
}

/** What happened between two snapshots: WAL bytes, checkpoints, autovacuum/autoanalyze runs. */
async function statsDelta(client, a, b) {
  const {
    rows: [w],
  } = await client.query('SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint::text AS bytes', [b.lsn, a.lsn]);
  const offset = (t) => Math.round((new Date(t) - a.at) / 100) / 10; // seconds into the round
  const inside = (t) => t && new Date(t) > a.at && new Date(t) <= b.at;
  const events = [];
  const tables = {};
  for (const name of WATCHED_TABLES) {
    const before = a.tables[name];
    const after = b.tables[name];
    if (!after) continue;
    const d = (k) => after[k] - (before?.[k] ?? 0);
    tables[name] = {
      autovacuums: d('autovacuum_count'),
      autoanalyzes: d('autoanalyze_count'),
      vacuums: d('vacuum_count'),
      analyzes: d('analyze_count'),
      lastAutovacuumAtSecond: inside(after.last_autovacuum) ? offset(after.last_autovacuum) : null,
      lastAutoanalyzeAtSecond: inside(after.last_autoanalyze) ? offset(after.last_autoanalyze) : null,
      liveTuples: Number(after.n_live_tup),
      deadTuples: Number(after.n_dead_tup),
    };
    const t = tables[name];
    if (t.autovacuums > 0 || t.lastAutovacuumAtSecond !== null)
      events.push({ table: name, kind: 'autovacuum', count: t.autovacuums, lastAtSecond: t.lastAutovacuumAtSecond });
    if (t.autoanalyzes > 0 || t.lastAutoanalyzeAtSecond !== null)
      events.push({ table: name, kind: 'autoanalyze', count: t.autoanalyzes, lastAtSecond: t.lastAutoanalyzeAtSecond });
  }
  return {
    seconds: (b.at - a.at) / 1000,
    walBytes: Number(w.bytes),
    checkpoints: Number(b.checkpoints - a.checkpoints),
    events,
    tables,
  };
}

// ---------------------------------------------------------------- the scenario

/** Disables autovacuum (and the toast table's, where there is one) on every table of the database. */
async function disableAutovacuum(url) {
  return lib.withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT n.nspname, c.relname, c.reltoastrelid <> 0 AS has_toast
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND n.nspname = ANY($1::text[])
        ORDER BY 1, 2`,
      [SCHEMAS],
    );
    const altered = [];
    const skipped = [];
    for (const r of rows) {
      const name = `${c.escapeIdentifier(r.nspname)}.${c.escapeIdentifier(r.relname)}`;
      const options = r.has_toast
        ? 'autovacuum_enabled = false, toast.autovacuum_enabled = false'
        : 'autovacuum_enabled = false';
      try {
        await c.query(`ALTER TABLE ${name} SET (${options})`);
        altered.push(`${r.nspname}.${r.relname}`);
      } catch (err) {
        skipped.push({ table: `${r.nspname}.${r.relname}`, error: lib.redact(err?.message ?? err) });
      }
    }
    return { altered, skipped };
  });
}

/** One variant on a fresh database of its own; never throws: an error is part of the result. */
async function runVariant(adminUrl, variant, { roundSeconds, seconds, suffix, onRound }) {
  const mark = cleanups.length;
  const database = `coffer_steady_${variant}_${suffix}`;
  const out = {
    variant,
    autovacuum: variant === 'off' ? 'disabled per table after migrate' : 'cluster default',
    database,
    roundSeconds,
    plannedRounds: Math.max(1, Math.round(seconds / roundSeconds)),
    clusterAutovacuum: null,
    autovacuumDisabled: null,
    rounds: [],
    reference: null,
    totalSuccesses: 0,
    worstRatio: null,
    worstRound: null,
    pass: false,
    ledger: null,
    error: null,
  };
  try {
    lib.step(`[${variant}] creating database ${database}`);
    await lib.createDatabase(adminUrl, database);
    cleanups.push(() => lib.dropDatabase(adminUrl, database));
    const url = lib.withDatabase(adminUrl, database);
    lib.step(`[${variant}] coffer migrate`);
    await lib.cofferCli(url, ['migrate']);
    if (variant === 'off') {
      out.autovacuumDisabled = await disableAutovacuum(url);
      lib.step(
        `[${variant}] autovacuum disabled on ${out.autovacuumDisabled.altered.length} tables (${out.autovacuumDisabled.skipped.length} skipped)`,
      );
    }

    lib.step(`[${variant}] starting coffer serve`);
    const coffer = await lib.startCoffer(url);
    cleanups.push(coffer.stop);
    const apiKey = await lib.createApiKey(url);
    const api = {
      baseUrl: coffer.baseUrl,
      apiKey,
      post: (p, body, key) => lib.postJson(coffer.baseUrl, apiKey, p, body, key),
    };
    lib.step(`[${variant}] seeding the hot customer (grant ${HOT_GRANT})`);
    const hot = await createFundedCustomer(api, `hot-${variant}`, HOT_GRANT);
    const nextBody = () => ({ customer: hot.id, balance: 'wallet', amount: 1, currency: hot.currency });

    // One connection of the bench's own for the statistics (and the ANALYZE before the reference round).
    const stats = await openStatsClient(url);
    let statsOpen = true;
    const closeStats = async () => {
      if (!statsOpen) return;
      statsOpen = false;
      await stats.end();
    };
    cleanups.push(closeStats);
    out.clusterAutovacuum = (await stats.query('SHOW autovacuum')).rows[0].autovacuum;
    if (variant === 'on' && out.clusterAutovacuum !== 'on')
      console.warn(`[on] warning: this server runs with autovacuum = ${out.clusterAutovacuum}`);

    const round = async (label, index) => {
      const before = await statsSnapshot(stats);
      const run = await runCharges(api, `${variant}-${label}`, roundSeconds, nextBody, 's');
      const after = await statsSnapshot(stats);
      const delta = await statsDelta(stats, before, after);
      out.totalSuccesses += run.successes;
      const r = {
        round: index,
        label,
        rate: run.rate,
        requests: run.requests,
        ok2xx: run.ok2xx,
        cutOffReplayed: run.cutOffReplayed,
        successes: run.successes,
        latencyMs: run.latencyMs,
        walBytes: delta.walBytes,
        walBytesPerCharge: run.successes ? delta.walBytes / run.successes : null,
        checkpoints: delta.checkpoints,
        events: delta.events,
        tables: delta.tables,
        statsSeconds: delta.seconds,
      };
      onRound?.(variant, r);
      return r;
    };

    lib.step(
      `[${variant}] ${out.plannedRounds} rounds of ${roundSeconds} s, ${CONNECTIONS} connections, one hot balance`,
    );
    for (let i = 1; i <= out.plannedRounds; i++) out.rounds.push(await round(String(i), i));
    lib.step(`[${variant}] ANALYZE`);
    await stats.query('ANALYZE');
    out.reference = await round('ref', out.plannedRounds + 1);

    const later = out.rounds.slice(1);
    for (const r of later) {
      r.ratio = r.rate / out.reference.rate;
      if (out.worstRatio === null || r.ratio < out.worstRatio) {
        out.worstRatio = r.ratio;
        out.worstRound = r.round;
      }
    }
    if (out.rounds[0]) out.rounds[0].ratio = out.rounds[0].rate / out.reference.rate;
    out.pass = later.every((r) => r.ratio >= THRESHOLD);

    await closeStats();
    await coffer.stop();
    lib.step(`[${variant}] checking the ledger (coffer ledger verify)`);
    out.ledger = await checkLedger(url, { hot: { id: hot.id, grant: HOT_GRANT, successes: out.totalSuccesses } });
    if (!out.ledger.ok) throw new Error(`ledger check failed: ${out.ledger.problems.join('; ')}`);
  } catch (err) {
    out.pass = false;
    out.error = lib.redact(err?.stack ?? err);
    console.error(`[${variant}] failed: ${out.error}`);
  } finally {
    await runCleanups(mark);
  }
  return out;
}

async function openStatsClient(url) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Runs the steady-state scenario on the PostgreSQL server of `adminUrl` (one fresh database per
 * variant, dropped afterwards) and returns the result object; `ok` is false when a variant failed
 * the criterion or errored. options: variants (['on','off']), roundSeconds, onSeconds, offSeconds,
 * onRound(variant, round) (called after every round).
 */
export async function steadyScenario(adminUrl, options = {}) {
  const o = { ...steadyOptionsFromEnv(), ...options };
  const suffix = lib.randomSuffix();
  const startedAt = new Date().toISOString();
  const variants = [];
  for (const v of o.variants) {
    if (v !== 'on' && v !== 'off') {
      variants.push({ variant: v, error: `unknown variant "${v}" (expected on or off)`, pass: false, rounds: [] });
      continue;
    }
    const seconds = v === 'on' ? o.onSeconds : o.offSeconds;
    variants.push(await runVariant(adminUrl, v, { roundSeconds: o.roundSeconds, seconds, suffix, onRound: o.onRound }));
  }
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    settings: {
      connections: CONNECTIONS,
      roundSeconds: o.roundSeconds,
      onSeconds: o.onSeconds,
      offSeconds: o.offSeconds,
      variants: o.variants,
      threshold: THRESHOLD,
      hotGrant: HOT_GRANT,
    },
    variants,
    ok: variants.length > 0 && variants.every((v) => v.pass && !v.error),
  };
}

// ---------------------------------------------------------------- output

const fmt = (n, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n)
    ? '-'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function eventsText(events) {
  if (!events.length) return '';
  const short = { autovacuum: 'V', autoanalyze: 'A' };
  return events
    .map(
      (e) =>
        `${short[e.kind]}${e.count > 1 ? `×${e.count}` : ''} ${e.table}${e.lastAtSecond !== null ? ` @${e.lastAtSecond}s` : ''}`,
    )
    .join(', ');
}

function roundLine(r) {
  return [
    String(r.label).padStart(5),
    fmt(r.rate, 0).padStart(10),
    fmt(r.latencyMs.p50, 0).padStart(7),
    fmt(r.latencyMs.p99, 0).padStart(7),
    fmt(r.walBytesPerCharge, 0).padStart(9),
    String(r.checkpoints).padStart(4),
    r.ratio !== undefined ? fmt(r.ratio, 2).padStart(6) : '     -',
    ' ' + eventsText(r.events),
  ].join(' ');
}

export function printSteady(results) {
  const s = results.settings;
  console.log('');
  console.log(
    `steady hot balance: ${s.connections} connections, rounds of ${s.roundSeconds} s; criterion: every round after the first ≥ ${s.threshold} × the rate after ANALYZE`,
  );
  console.log(
    '  (V = autovacuum, A = autoanalyze of that table in the round, @ = seconds into the round of the last one; WAL and checkpoints are cluster-wide)',
  );
  for (const v of results.variants) {
    console.log('');
    console.log(
      `== autovacuum ${v.variant}${v.database ? ` (${v.autovacuum}; database ${v.database}; cluster autovacuum = ${v.clusterAutovacuum ?? '?'})` : ''}`,
    );
    if (v.rounds?.length || v.reference) {
      console.log(
        `${'round'.padStart(5)} ${'charges/s'.padStart(10)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'WAL B/ch'.padStart(9)} ${'ckpt'.padStart(4)} ${'ratio'.padStart(6)}  autovacuum/analyze`,
      );
      for (const r of v.rounds ?? []) console.log(roundLine(r));
      if (v.reference) console.log(roundLine({ ...v.reference, label: 'ref' }));
    }
    if (v.reference) {
      console.log(
        `reference after ANALYZE: ${fmt(v.reference.rate, 0)} charges/s (p50 ${fmt(v.reference.latencyMs.p50)} ms, p99 ${fmt(v.reference.latencyMs.p99)} ms)`,
      );
      const worst =
        v.worstRatio === null
          ? 'no round after the first'
          : `worst round ${v.worstRound}: ${fmt(v.worstRatio, 2)} × reference`;
      console.log(`${v.pass && !v.error ? 'PASS' : 'FAIL'} — ${worst} (needs ≥ ${s.threshold})`);
    } else {
      console.log('FAIL — no reference round');
    }
    if (v.ledger)
      console.log(
        `ledger: ${v.ledger.ok ? 'OK' : 'FAILED'} — ${v.ledger.verify.output.split('\n').pop()}; ${fmt(v.totalSuccesses)} successful charges`,
      );
    if (v.autovacuumDisabled?.skipped?.length)
      console.log(`  autovacuum not disabled on: ${v.autovacuumDisabled.skipped.map((x) => x.table).join(', ')}`);
    if (v.error) console.log(`ERROR: ${v.error.split('\n')[0]}`);
  }
  console.log('');
  console.log(`overall: ${results.ok ? 'PASS' : 'FAIL'}`);
}

// ---------------------------------------------------------------- main

async function main() {
  const started = Date.now();
  const options = steadyOptionsFromEnv();
  lib.step(
    process.env.DATABASE_URL ? 'using the PostgreSQL server of DATABASE_URL' : 'starting an embedded PostgreSQL',
  );
  const server = await lib.startPostgres();
  cleanups.push(server.stop);
  const machine = await lib.machineInfo(server.adminUrl);
  const results = await steadyScenario(server.adminUrl, {
    ...options,
    onRound: (variant, r) =>
      lib.step(
        `[${variant}] round ${r.label}: ${fmt(r.rate)} charges/s, p50 ${fmt(r.latencyMs.p50)} ms, p99 ${fmt(r.latencyMs.p99)} ms, ${fmt(r.walBytesPerCharge)} WAL B/charge, ${r.checkpoints} checkpoints${r.events.length ? `; ${eventsText(r.events)}` : ''}`,
      ),
  });
  const full = {
    ...results,
    postgres: server.kind,
    machine,
    source: lib.sourceDigest(),
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
  printSteady(full);
  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(RESULTS_FILE, JSON.stringify(full, null, 2) + '\n');
  console.log(`results written to ${path.relative(lib.ROOT, RESULTS_FILE)}`);
  return results.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  await lib.runMain('bench:steady', main, runCleanups);
}
