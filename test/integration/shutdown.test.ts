import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = path.resolve('bin/coffer.js');
// Not mkdtemp (0700): as root the embedded server runs as "postgres", who must traverse the directory.
const dataDir = `/tmp/coffer-shutdown-${crypto.randomBytes(4).toString('hex')}`;

interface Started {
  proc: ChildProcess;
  baseUrl: string;
  output(): string;
  exited: Promise<number | null>;
}

/** `coffer serve --demo` on the embedded database, in a process group of its own as a terminal would run it. */
async function startDetached(): Promise<Started> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    COFFER_DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'info',
  };
  delete env.DATABASE_URL;
  const proc = spawn(process.execPath, [bin, 'serve', '--demo'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  started.push({ proc, baseUrl: '', output: () => out, exited });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /Coffer listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]);
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`coffer serve exited with ${code}:\n${out}`));
    });
  });
  return { proc, baseUrl, output: () => out, exited };
}

/** Ctrl-C in a terminal: SIGINT to every process of the foreground group. */
async function ctrlC(s: Started): Promise<number | null> {
  process.kill(-s.proc.pid!, 'SIGINT');
  return Promise.race([
    s.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no exit after SIGINT:\n${s.output()}`)), 30_000),
    ),
  ]);
}

const errorLines = (out: string) => out.split('\n').filter((l) => /"level":(50|60)/.test(l));
const started: Started[] = [];

// If an assertion failed midway, stop what is still running before removing its files: the
// server's process group, then the embedded PostgreSQL (it has a session of its own).
afterAll(async () => {
  for (const s of started) {
    if (s.proc.exitCode === null && s.proc.signalCode === null) {
      process.kill(-s.proc.pid!, 'SIGKILL');
      await s.exited;
    }
  }
  const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 'SIGINT');
      for (let i = 0; i < 100 && fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    } catch {
      // already gone
    }
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('stopping coffer serve with Ctrl-C (embedded PostgreSQL)', () => {
  it('exits 0 with no error logged, stops its embedded server, and starts again with a banner telling the current balance and rates', async () => {
    const first = await startDetached();
    expect((await fetch(`${first.baseUrl}/healthz`)).status).toBe(200);
    expect(first.output()).toContain('available: wallet 100.00 USD');
    expect(first.output()).toContain('1 USD = 7.20 CNY');
    // Spend some demo money and change a rate: the next banner must say so.
    const key = /Demo API key: (\S+)/.exec(first.output())![1];
    const customer = /Demo customer (\S+)/.exec(first.output())![1];
    const post = (url: string, body: unknown) =>
      fetch(first.baseUrl + url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify(body),
      });
    expect((await post('/v1/charges', { customer, balance: 'wallet', amount: 1250, currency: 'USD' })).status).toBe(
      201,
    );
    expect((await post('/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '7.31' })).status).toBe(201);
    // Give the job runner time to LISTEN, which is what used to fail on the way down.
    await new Promise((r) => setTimeout(r, 1_500));
    const code = await ctrlC(first);
    expect(errorLines(first.output())).toEqual([]);
    expect(code).toBe(0);
    expect(first.output()).toContain('Coffer stopped');
    // The server it started is gone (a fast shutdown removes the pid file), not left behind.
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const second = await startDetached();
    try {
      expect((await fetch(`${second.baseUrl}/healthz`)).status).toBe(200);
      expect(second.output()).not.toContain('already running');
      expect(second.output()).toContain('available: wallet 87.50 USD');
      expect(second.output()).toContain('1 USD = 7.31 CNY');
      expect(second.output()).not.toContain('7.20 CNY');
    } finally {
      const again = await ctrlC(second);
      expect(errorLines(second.output())).toEqual([]);
      expect(again).toBe(0);
    }
  });
});
