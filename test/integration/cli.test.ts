import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import crypto from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, inject, it } from 'vitest';
import { setupHarness, startServer } from './harness.js';
import { withDatabase } from './global-setup.js';

const run = promisify(execFile);
const bin = path.resolve('bin/coffer.js');
const h = await setupHarness();

async function coffer(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: h.url, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('coffer CLI', () => {
  it('fx import adds every rate of a valid file and fx list shows the newest per pair', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-fx-')), 'rates.csv');
    fs.writeFileSync(file, 'base,quote,rate,source\nUSD,CNY,7.10,bank\nUSD,EUR,0.92\nUSD,CNY,7.20,bank\n');
    const res = await coffer(['fx', 'import', file]);
    expect(res.stdout).toBe(`imported 3 FX rate(s) from ${file}\n`);
    const list = await coffer(['fx', 'list']);
    expect(list.stdout).toContain('1 USD = 7.20 CNY  (bank,');
    expect(list.stdout).toContain('1 USD = 0.92 EUR  (import:rates.csv,');
    expect(list.stdout).not.toContain('7.10');
  });

  it('fx import refuses a file with one bad line and stores nothing from it', async () => {
    const before = await h.handle.db
      .selectFrom('fx_rates')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .executeTakeFirstOrThrow();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-fx-')), 'bad.csv');
    fs.writeFileSync(file, 'USD,JPY,150\nUSD,XXX,1.5\n');
    const res = await coffer(['fx', 'import', file]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('bad.csv:2');
    const after = await h.handle.db
      .selectFrom('fx_rates')
      .select((eb) => eb.fn.countAll<bigint>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('api-keys create prints the secret as the last line, and the secret works', async () => {
    const res = await coffer(['api-keys', 'create', '--name', 'ci']);
    expect(res.code).toBe(0);
    const secret = res.stdout.trim().split('\n').at(-1)!;
    expect(secret).toMatch(/^sk_[A-Za-z0-9_-]{32}$/);
    const row = await h.handle.db
      .selectFrom('api_keys')
      .select('secret_hash')
      .where('name', '=', 'ci')
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).not.toContain(secret);
    expect(row.secret_hash).toBe(crypto.createHash('sha256').update(secret).digest('hex'));
  });

  it('api-keys create without --name fails with one clear line', async () => {
    const res = await coffer(['api-keys', 'create']);
    expect(res.code).not.toBe(0);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('--name');
  });

  it('a bad configuration value stops with a message naming the variable', async () => {
    const res = await coffer(['migrate'], { PORT: 'eighty' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe('coffer: PORT: must be a whole number, got "eighty"');
  });

  it('serve refuses to run the sandbox (test mode) in production unless explicitly allowed', async () => {
    const prod = { NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), PORT: '0' };
    const res = await coffer(['serve'], prod);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(
      /^coffer: SANDBOX_ALLOW_PRODUCTION: the sandbox provider \(test mode\) backs card, crypto/,
    );
    const allowed = await startServer(h.url, { ...prod, SANDBOX_ALLOW_PRODUCTION: 'true' });
    try {
      expect((await fetch(`${allowed.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      await allowed.stop();
    }
  });

  it('serve ignores a file named crontab in its working directory (the job queue has no cron)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-cwd-'));
    fs.writeFileSync(path.join(dir, 'crontab'), 'this is not a crontab line\n* * * * * drop_everything\n');
    const server = await startServer(h.url, {}, dir);
    try {
      expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
      expect(server.output()).not.toContain('crontab');
    } finally {
      await server.stop();
    }
  });

  it('serve stops when a payment method names a provider that is not configured, or one is half-configured', async () => {
    await sql`UPDATE payment_methods SET provider = 'paypal' WHERE method = 'bank_transfer'`.execute(h.handle.db);
    try {
      const res = await coffer(['serve'], { PORT: '0' });
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(
        'coffer: payment_methods: method bank_transfer names provider "paypal", which is not configured',
      );
    } finally {
      await sql`UPDATE payment_methods SET provider = 'manual' WHERE method = 'bank_transfer'`.execute(h.handle.db);
    }
    const half = await coffer(['serve'], { PORT: '0', STRIPE_SECRET_KEY: 'sk_test_x' });
    expect(half.code).toBe(1);
    expect(half.stderr.trim()).toBe('coffer: STRIPE_WEBHOOK_SECRET: must be set together with STRIPE_SECRET_KEY');
  });

  it('an unreachable database is one line and a non-zero exit', async () => {
    const res = await coffer(['migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('migrate is safe twice and from two processes at once', async () => {
    const name = `coffer_mig_${crypto.randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: inject('adminUrl') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = withDatabase(inject('adminUrl'), name);
      const [a, b] = await Promise.all([
        coffer(['migrate'], { DATABASE_URL: url }),
        coffer(['migrate'], { DATABASE_URL: url }),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect([a.stdout, b.stdout].sort()).toEqual([
        'applied: 0001_ledger, 0002_topups, 0003_reversals, 0004_payment_proofs, 0005_history_indexes, 0006_fast_credit, 0007_events, 0008_credit_calls, 0009_open_status_index, 0010_charge_writes, 0011_portal, 0012_customer_status_events, 0013_isolated_charge_groups, 0014_steady_charges, 0015_routines\n',
        'database is up to date\n',
      ]);
      const again = await coffer(['migrate'], { DATABASE_URL: url });
      expect(again.stdout).toBe('database is up to date\n');
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('ledger verify passes on a consistent ledger and fails, naming the account, on a tampered one', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    await h.post('/v1/charges', { customer, balance: 'wallet', amount: 250, currency: 'USD' });
    const ok = await coffer(['ledger', 'verify']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ledger OK/);
    await sql`UPDATE accounts SET posted = posted + 1 WHERE customer_id = ${customer} AND code = 'wallet'`.execute(
      h.handle.db,
    );
    const bad = await coffer(['ledger', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(customer);
    await sql`UPDATE accounts SET posted = posted - 1 WHERE customer_id = ${customer} AND code = 'wallet'`.execute(
      h.handle.db,
    );
  });

  it('demo seeds a customer with balances and prints an API key that works', async () => {
    const dir = `/tmp/coffer-demo-${crypto.randomBytes(4).toString('hex')}`;
    const res = await coffer(['demo'], { COFFER_DATA_DIR: dir });
    expect(res.code).toBe(0);
    const key = /Demo API key: (\S+)/.exec(res.stdout)![1];
    const again = await coffer(['demo'], { COFFER_DATA_DIR: dir });
    expect(again.stdout).toContain(key);
    const customer = await h.handle.db
      .selectFrom('customers')
      .select('id')
      .where('external_id', '=', 'demo')
      .executeTakeFirstOrThrow();
    const wallet = await h.handle.db
      .selectFrom('accounts')
      .select('posted')
      .where('customer_id', '=', customer.id)
      .where('code', '=', 'wallet')
      .executeTakeFirstOrThrow();
    expect(wallet.posted).toBe(10_000n);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
