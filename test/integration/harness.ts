import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, expect, inject } from 'vitest';
import { createApiKey } from '../../src/apikeys/index.js';
import { loadConfig, type Config } from '../../src/config.js';
import { seedProducts } from '../../src/customers/index.js';
import { openDatabase, type DbHandle } from '../../src/db/pool.js';
import { buildApp } from '../../src/http/app.js';
import { resetSystemAccountCache, verifyLedger } from '../../src/ledger/index.js';
import { createContext } from '../../src/services.js';
import { withDatabase } from './global-setup.js';

export interface Harness {
  app: FastifyInstance;
  handle: DbHandle;
  config: Config;
  url: string;
  apiKey: string;
  /** the sandbox provider's webhook key (to sign webhooks as the sandbox would) */
  sandboxSecret: string;
  /** inject with the API key and JSON body */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  post(url: string, body: unknown, idempotencyKey?: string): Promise<Res>;
  newCustomer(opts?: { currency?: string; wallet?: number; products?: Record<string, number> }): Promise<string>;
  balance(customer: string, balance: string): Promise<{ posted: number; held: number; available: number }>;
}

export interface Res {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/** A fresh database cloned from the migrated template, an app on it, an API key, and ledger verify at the end. */
export async function setupHarness(env: Record<string, string> = {}): Promise<Harness> {
  const dbName = `coffer_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName} TEMPLATE ${inject('templateDb')}`);
  await admin.end();
  const url = withDatabase(inject('adminUrl'), dbName);
  const config = loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn', ...env });
  resetSystemAccountCache();
  const handle = openDatabase(url, 20);
  await seedProducts(handle.db, config.products);
  const { ctx, sandboxSecret } = await createContext(handle, config, () => false);
  const app = await buildApp(ctx, { logger: false });
  const { secret } = await createApiKey(handle.db, 'test');
  let seq = 0;

  const call: Harness['call'] = async (method, u, body, headers = {}) => {
    const res = await app.inject({
      method: method as 'GET',
      url: u,
      headers: {
        authorization: `Bearer ${secret}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    let parsed: unknown = null;
    try {
      parsed = res.body ? JSON.parse(res.body) : null;
    } catch {
      parsed = res.body;
    }
    return { status: res.statusCode, body: parsed, headers: res.headers };
  };
  const post: Harness['post'] = (u, body, key) =>
    call('POST', u, body, { 'idempotency-key': key ?? `k-${++seq}-${crypto.randomUUID()}` });

  const h: Harness = {
    app,
    handle,
    config,
    url,
    apiKey: secret,
    sandboxSecret,
    call,
    post,
    async newCustomer(opts = {}) {
      const res = await post('/v1/customers', {
        external_id: `ext-${crypto.randomUUID()}`,
        email: 'c@example.com',
        currency: opts.currency,
      });
      expect(res.status).toBe(201);
      const id = res.body.id as string;
      const currency = res.body.currency as string;
      const grants = { ...(opts.wallet ? { wallet: opts.wallet } : {}), ...(opts.products ?? {}) };
      for (const [balance, amount] of Object.entries(grants)) {
        const g = await post('/v1/grants', { customer: id, balance, amount, currency, reason: 'test funds' });
        expect(g.status).toBe(201);
      }
      return id;
    },
    async balance(customer, balance) {
      const res = await call('GET', `/v1/customers/${customer}/balances`);
      expect(res.status).toBe(200);
      const b = res.body.data.find((x: { balance: string }) => x.balance === balance);
      return { posted: b.posted, held: b.held, available: b.available };
    },
  };

  afterAll(async () => {
    const report = await verifyLedger(handle.db);
    expect(report.problems).toEqual([]);
    await app.close();
    await handle.close();
    const a = new pg.Client({ connectionString: inject('adminUrl') });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await a.end();
  });
  return h;
}

/** A real `coffer serve` process on the given database; resolves once it listens. */
export async function startServer(
  databaseUrl: string,
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ baseUrl: string; proc: ChildProcess; output(): string; stop(): Promise<void> }> {
  const bin = path.resolve('bin/coffer.js');
  const proc = spawn(process.execPath, [bin, 'serve'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
  });
  let out = ''; // everything the process printed, stdout and stderr
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coffer serve did not start:\n${out}`)), 30_000);
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Coffer listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`coffer serve exited with ${code}:\n${out}`));
    });
  });
  return {
    baseUrl,
    proc,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** fetch with the API key and JSON. */
export async function httpCall(
  baseUrl: string,
  apiKey: string,
  method: string,
  u: string,
  body?: unknown,
  key?: string,
): Promise<Res> {
  const res = await fetch(baseUrl + u, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: Object.fromEntries(res.headers) };
}

/** Polls `probe` until it returns something truthy; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null | undefined | false>,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
