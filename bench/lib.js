// Helpers for bench/run.js: PostgreSQL (embedded or DATABASE_URL), pgbench, the `coffer` process
// and CLI, bounded concurrency, machine information. Plain ESM JavaScript; no build step.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COFFER_BIN = path.join(ROOT, 'bin', 'coffer.js');
const FLOOR_BIN = path.join(ROOT, 'bench', 'floor-server.js');

/** Secrets that must never reach the output; every error text shown passes through redact(). */
const secrets = new Set();
export function redact(text) {
  let out = String(text);
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

/** Registers one more secret to keep out of any output. */
export function addSecret(secret) {
  secrets.add(secret);
}

export function step(message) {
  console.log(`· ${message}`);
}

// ---------------------------------------------------------------- PostgreSQL

export function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** PG* variables for libpq tools (pgbench) from a connection URL; the password never goes on a command line. */
export function pgEnv(url, database) {
  const u = new URL(url);
  return {
    PGHOST: u.hostname || '127.0.0.1',
    PGPORT: u.port || '5432',
    PGUSER: decodeURIComponent(u.username || 'postgres'),
    PGPASSWORD: decodeURIComponent(u.password || ''),
    PGDATABASE: database,
  };
}

/**
 * The PostgreSQL server to benchmark: DATABASE_URL's server, or an embedded one started in a
 * fresh temporary directory (removed again by stop()).
 */
export async function startPostgres() {
  if (process.env.DATABASE_URL) {
    const adminUrl = process.env.DATABASE_URL;
    secrets.add(decodeURIComponent(new URL(adminUrl).password));
    secrets.add(new URL(adminUrl).password);
    return { adminUrl, kind: 'DATABASE_URL', stop: async () => undefined };
  }
  const { startEmbeddedPostgres } = await import('../dist/db/embedded.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bench-'));
  fs.chmodSync(dir, 0o711); // as root the server runs as `postgres`, who must traverse it
  let embedded;
  try {
    embedded = await startEmbeddedPostgres(dir, () => undefined);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  secrets.add(decodeURIComponent(new URL(embedded.url).password));
  secrets.add(new URL(embedded.url).password);
  return {
    adminUrl: embedded.url,
    kind: 'embedded',
    stop: async () => {
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const createDatabase = (adminUrl, name) => withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
export const dropDatabase = (adminUrl, name) =>
  withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));

export const randomSuffix = () => crypto.randomBytes(5).toString('hex');

// ---------------------------------------------------------------- child processes

/** Runs a command to completion; rejects (with redacted output) on a non-zero exit. */
export function runProcess(command, args, { env = {}, allowFailure = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0 || allowFailure) return resolve({ code, stdout, stderr });
      const tail = redact((stderr || stdout).trim().split('\n').slice(-15).join('\n'));
      reject(new Error(`${path.basename(command)} ${args.join(' ')} exited with ${code}:\n${tail}`));
    });
  });
}

// ---------------------------------------------------------------- pgbench

/** pgbench from `pg_config --bindir`, else the highest /usr/lib/postgresql/<version>/bin/pgbench. */
export function findPgbench() {
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const candidate = path.join(bindir, 'pgbench');
    if (fs.existsSync(candidate)) return candidate;
  } catch {
    // no pg_config on PATH
  }
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'pgbench')))
    : [];
  versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (!versions.length)
    throw new Error(
      'pgbench not found (tried `pg_config --bindir` and /usr/lib/postgresql/*/bin); install postgresql-contrib or the PostgreSQL client',
    );
  return path.join(base, versions[0], 'bin', 'pgbench');
}

export function parsePgbench(output) {
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output) ?? /tps = ([\d.]+)/.exec(output);
  const latency = /latency average = ([\d.]+) ms/.exec(output);
  if (!tps || !latency) throw new Error(`could not parse pgbench output:\n${redact(output)}`);
  return { tps: Number(tps[1]), latencyAvgMs: Number(latency[1]) };
}

/** Runs pgbench with `args`; resolves with tps and average latency. */
export async function pgbench(bin, env, args) {
  const cpu0 = cpuSnapshot();
  const { stdout, stderr } = await runProcess(bin, args, { env });
  return { ...parsePgbench(stdout + stderr), cpuCores: cpuCores(cpu0, cpuSnapshot()) };
}

// ---------------------------------------------------------------- Coffer

/** A free loopback TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `coffer serve` on the given database and waits until /readyz answers. The port is picked
 * here: with LOG_LEVEL=warn the "Coffer listening on …" line (logged at info) is not printed.
 */
export function startCoffer(databaseUrl, env = {}) {
  // BENCH_NODE_ARGS: extra Node flags for the server (e.g. --cpu-prof when looking for where the time goes)
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return startServer('coffer serve', [...nodeArgs, COFFER_BIN, 'serve'], {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    HOLD_SWEEP_INTERVAL_MS: '0',
    ...env,
  });
}

/** Starts bench/floor-server.js (the floor of the hot-balance scenario) on a database of its own. */
export const startFloorServer = (databaseUrl, secret, grant) =>
  startServer('the floor server', [FLOOR_BIN], {
    DATABASE_URL: databaseUrl,
    FLOOR_SECRET: secret,
    FLOOR_GRANT: String(grant),
  });

/** Spawns a Node server on a free port and waits until its /readyz answers; its CPU counts as the server's. */
async function startServer(label, args, env) {
  const port = await freePort();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c) => (output = (output + c).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  cofferPids.add(child.pid);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode)
      throw new Error(`${label} exited with ${child.exitCode ?? child.signalCode}:\n${redact(output)}`);
    const ready = await fetch(`${baseUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${label} did not become ready within 60 s:\n${redact(output)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    pid: child.pid,
    output: () => redact(output),
    async stop() {
      if (child.exitCode !== null || child.signalCode) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a `coffer` CLI command against a database. */
export const cofferCli = (databaseUrl, args, opts = {}) =>
  runProcess(process.execPath, [COFFER_BIN, ...args], {
    env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    ...opts,
  });

export async function createApiKey(databaseUrl) {
  const { stdout } = await cofferCli(databaseUrl, ['api-keys', 'create', '--name', 'bench']);
  const secret = stdout.trim().split('\n').pop().trim();
  if (!secret) throw new Error('coffer api-keys create printed no secret');
  secrets.add(secret);
  return secret;
}

/** POST JSON with the API key and an Idempotency-Key; resolves { status, body }. */
export async function postJson(baseUrl, apiKey, urlPath, body, idempotencyKey) {
  const res = await fetch(baseUrl + urlPath, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed };
}

// ---------------------------------------------------------------- CPU accounting

const CLK_TCK = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux
const cofferPids = new Set();

/**
 * CPU time used so far on this machine, split into Coffer, PostgreSQL, the load generators (this
 * process — autocannon runs in it — and pgbench) and everything else (other work, the kernel,
 * processes that came and went); and, for the same parties, the time their main threads spent
 * runnable but waiting for a CPU (/proc/<pid>/schedstat: on this VM it is large even while a core
 * is idle). Linux only; null elsewhere. See cpuCores().
 */
export function cpuSnapshot() {
  try {
    const total = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = total[3] + total[4]; // idle + iowait
    const busy = total.reduce((a, b) => a + b, 0) - idle;
    const ticks = { coffer: 0, postgres: 0, loadgen: 0 };
    const waits = { coffer: 0, postgres: 0, loadgen: 0 }; // nanoseconds
    for (const pid of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat;
      try {
        stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const used = Number(fields[11]) + Number(fields[12]); // utime + stime
      // + cutime + cstime: children that exited and were reaped (PostgreSQL backends of pgbench's
      // connections by the postmaster; pgbench and CLI runs by this process)
      const reaped = Number(fields[13]) + Number(fields[14]);
      const party = cofferPids.has(Number(pid))
        ? 'coffer'
        : comm === 'postgres'
          ? 'postgres'
          : Number(pid) === process.pid || comm === 'pgbench'
            ? 'loadgen'
            : null;
      if (party === null) continue;
      ticks[party] += party === 'coffer' || comm === 'pgbench' ? used : used + reaped;
      waits[party] += runQueueWait(pid);
    }
    return { at: Date.now(), busy, idle, ticks, waits };
  } catch {
    return null;
  }
}

/** Cores used between two snapshots, by whom; `other` is all busy time not ours, `idle` the rest. */
export function cpuCores(a, b) {
  if (!a || !b) return null;
  const seconds = (b.at - a.at) / 1000;
  const cores = (ticks) => Math.round((ticks / CLK_TCK / seconds) * 100) / 100;
  const ours = Object.keys(a.ticks).reduce((sum, k) => sum + Math.max(0, b.ticks[k] - a.ticks[k]), 0);
  const out = {};
  for (const k of Object.keys(a.ticks)) out[k] = cores(Math.max(0, b.ticks[k] - a.ticks[k]));
  out.other = cores(Math.max(0, b.busy - a.busy - ours));
  out.idle = cores(b.idle - a.idle);
  // Processes that exited between the snapshots (pgbench's backends) take their waits with them.
  out.waiting = Object.fromEntries(
    Object.keys(a.waits).map((k) => [
      k,
      Math.round((Math.max(0, b.waits[k] - a.waits[k]) / 1e9 / seconds) * 100) / 100,
    ]),
  );
  return out;
}

/** Nanoseconds the process's main thread has waited on a run queue (0 when unreadable). */
function runQueueWait(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------- misc

/** A digest of src/ (paths and contents) and when it was last changed: which code a result belongs to. */
export function sourceDigest() {
  const hash = crypto.createHash('sha256');
  let newest = 0;
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      const st = fs.statSync(file);
      if (st.isDirectory()) walk(file);
      else {
        hash.update(path.relative(ROOT, file)).update('\0').update(fs.readFileSync(file)).update('\0');
        newest = Math.max(newest, st.mtimeMs);
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return { sha256: hash.digest('hex').slice(0, 16), newestChange: new Date(newest).toISOString() };
}

/** Calls fn(item, index) for every item with at most `concurrency` calls in flight. */
export async function mapConcurrent(items, concurrency, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export async function machineInfo(databaseUrl) {
  const settings = await withClient(databaseUrl, async (c) => {
    const get = async (name) => (await c.query(`SHOW ${name}`)).rows[0][name];
    return {
      version: await get('server_version'),
      fsync: await get('fsync'),
      synchronousCommit: await get('synchronous_commit'),
      sharedBuffers: await get('shared_buffers'),
    };
  });
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    postgres: settings,
  };
}

/** The fields every autocannon scenario reports, named as the report prints them. */
export function autocannonSummary(name, result, statuses) {
  return {
    name,
    seconds: result.duration,
    requests: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    latencyMs: {
      p50: result.latency.p50,
      p99: result.latency.p99,
      avg: result.latency.average,
      max: result.latency.max,
    },
  };
}

/** Runs (and removes) the cleanups registered after position `downTo`, newest first; a failing one is reported, not thrown. */
export async function runCleanups(cleanups, downTo = 0) {
  while (cleanups.length > downTo) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      console.error(`cleanup failed: ${redact(err?.message ?? err)}`);
    }
  }
}

/**
 * Runs a bench's `main` as the process: cleans up on SIGINT/SIGTERM (exit 130) and after `main`,
 * however it ends, then exits with its code (1 if it threw).
 */
export async function runMain(name, main, cleanup) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`${signal}: cleaning up`);
      cleanup().finally(() => process.exit(130));
    });
  }
  let exitCode = 1;
  try {
    exitCode = await main();
  } catch (err) {
    console.error(`${name} failed: ${redact(err?.stack ?? err)}`);
    exitCode = 1;
  } finally {
    await cleanup();
  }
  process.exit(exitCode);
}
