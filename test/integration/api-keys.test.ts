import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { setupHarness, startServer, waitFor } from './harness.js';

const run = promisify(execFile);
const bin = path.resolve('bin/coffer.js');
const h = await setupHarness();
const CACHE_MS = 3_000;

async function coffer(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, DATABASE_URL: h.url, API_KEY_CACHE_MS: String(CACHE_MS) },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const listRow = async (id: string) => {
  const list = await coffer(['api-keys', 'list']);
  expect(list.code).toBe(0);
  expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+PREFIX\s+CREATED\s+LAST WRITE\s+REVOKED$/);
  return list.stdout
    .split('\n')
    .find((l) => l.startsWith(`${id} `))!
    .trim()
    .split(/\s+/);
};

describe('coffer api-keys list | revoke', () => {
  it('lists keys without secrets, and a revoked key is refused by every server within API_KEY_CACHE_MS', async () => {
    const created = await coffer(['api-keys', 'create', '--name', 'partner']);
    const id = /\(id (\d+)\)/.exec(created.stdout)![1];
    const secret = created.stdout.trim().split('\n').at(-1)!;

    const a = await startServer(h.url, { API_KEY_CACHE_MS: String(CACHE_MS), LOG_LEVEL: 'warn' });
    const b = await startServer(h.url, { API_KEY_CACHE_MS: String(CACHE_MS), LOG_LEVEL: 'warn' });
    try {
      const get = (base: string) =>
        fetch(`${base}/v1/customers?limit=1`, { headers: { authorization: `Bearer ${secret}` } });
      // Both processes have the key cached as valid.
      expect((await get(a.baseUrl)).status).toBe(200);
      expect((await get(b.baseUrl)).status).toBe(200);
      const write = await fetch(`${a.baseUrl}/v1/customers`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${secret}`,
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify({ external_id: `k-${crypto.randomUUID()}`, email: 'k@example.com' }),
      });
      expect(write.status).toBe(201);

      const before = await listRow(id);
      expect(before[1]).toBe('partner');
      expect(before[2]).toBe(secret.slice(0, 7));
      expect(before[3]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(before[4]).toMatch(/^\d{4}-\d\d-\d\dT/); // the write above
      expect(before[5]).toBe('-');
      const list = await coffer(['api-keys', 'list']);
      expect(list.stdout).not.toContain(secret);

      // Both caches hold the key as valid right before the revocation.
      expect((await get(a.baseUrl)).status).toBe(200);
      expect((await get(b.baseUrl)).status).toBe(200);
      const at = Date.now();
      const revoked = await coffer(['api-keys', 'revoke', id]);
      expect(revoked.code).toBe(0);
      expect(revoked.stdout).toContain(`API key ${id} revoked`);
      for (const s of [a, b]) {
        await waitFor(
          'the revoked key to be refused',
          CACHE_MS + 2_000,
          async () => (await get(s.baseUrl)).status === 401,
        );
        // Within the cache time of the revocation (plus the poll's own latency), in each process.
        expect(Date.now() - at).toBeLessThan(CACHE_MS + 1_000);
        const res = await get(s.baseUrl);
        expect((await res.json()).error.code).toBe('unauthenticated');
      }
      expect((await listRow(id))[5]).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect((await coffer(['api-keys', 'revoke', id])).stdout).toContain('already revoked');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('revoke of an unknown id fails with one line; a malformed id is a usage error', async () => {
    const unknown = await coffer(['api-keys', 'revoke', '987654321']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('coffer: no API key with id 987654321');
    const bad = await coffer(['api-keys', 'revoke', 'sk_abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
