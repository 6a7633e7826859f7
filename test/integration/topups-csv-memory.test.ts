import fs from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupHarness, startServer } from './harness.js';

// docs/design.md §9: the CSV export of 100k rows is streamed in constant memory. 100,000 orders are
// written with SQL and exported through a real `coffer serve`. Streaming shows as back-pressure:
// while the client stops reading, the server stops producing (it uses no CPU), instead of
// building the rest of the file in memory; and its memory stays bounded.
const ROWS = 100_000;
const h = await setupHarness();
let server: Awaited<ReturnType<typeof startServer>>;

const cpuSeconds = (pid: number): number => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
};
const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

beforeAll(async () => {
  const customer = await h.newCustomer();
  await sql`
    INSERT INTO orders (id, customer_id, balance, method, provider, status, amount, fee_amount, pay_amount, pay_currency,
                        credit_amount, credit_currency, provider_payment_id, expires_at, created_at)
    SELECT 'ord_' || lpad(to_hex(i), 26, '0'), ${customer}, 'wallet', 'bank_transfer', 'manual',
           CASE WHEN i % 3 = 0 THEN 'failed' ELSE 'cancelled' END, 1000 + i, 0, 1000 + i, 'USD', 1000 + i, 'USD',
           'CF-' || i, now() - interval '1 day', now() - interval '2 days'
    FROM generate_series(1, ${ROWS}) AS i`.execute(h.handle.db);
  server = await startServer(h.url);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await sql`DELETE FROM orders WHERE provider = 'manual' AND provider_payment_id LIKE 'CF-%'`.execute(h.handle.db);
});

describe('CSV export', () => {
  it(`streams ${ROWS.toLocaleString('en')} rows: the first bytes leave at once, and a paused reader pauses the server`, async () => {
    const pid = server.proc.pid!;
    const started = Date.now();
    const res = await fetch(`${server.baseUrl}/v1/topups.csv`, { headers: { authorization: `Bearer ${h.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let bytes = 0;
    let lines = 0;
    let tail = '';
    let firstByteMs: number | null = null;
    let stalledCpu: number | null = null;
    let stalledMs = 0;
    const samples: number[] = [rssMb(pid)];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      firstByteMs ??= Date.now() - started;
      bytes += value.length;
      const parts = (tail + decoder.decode(value, { stream: true })).split('\n');
      tail = parts.pop()!;
      lines += parts.length;
      if (lines % 5000 < parts.length) samples.push(rssMb(pid));
      if (stalledCpu === null) {
        // stop reading for a while: a streaming server waits for the socket; a buffering one works on
        const pausedAt = Date.now();
        // (first the socket buffers fill — a few MB on loopback — then nothing should happen)
        await new Promise((r) => setTimeout(r, 1000));
        const before = cpuSeconds(pid);
        await new Promise((r) => setTimeout(r, 1000));
        stalledCpu = cpuSeconds(pid) - before;
        stalledMs = Date.now() - pausedAt;
      }
    }
    const totalMs = Date.now() - started - stalledMs;
    samples.push(rssMb(pid));
    expect(lines).toBe(ROWS + 1); // header + one line per order
    expect(bytes).toBeGreaterThan(10 * 1024 * 1024);
    // streamed: the first rows leave long before the last are read from the database
    expect(firstByteMs!, `first byte after ${firstByteMs} ms of ${totalMs} ms`).toBeLessThan(totalMs / 4);
    // paused, the server used almost no CPU: it was not building the rest of the file meanwhile
    expect(stalledCpu!).toBeLessThan(0.1);
    // Resident memory is sampled for the record only: how far V8 lets the heap grow before it
    // collects the rows' garbage differs between Node 20 and 24 (up to ~150 MB here), so it is
    // no measure of what the export holds; the two checks above are.
    console.log(
      `CSV export: ${lines - 1} rows, ${(bytes / 1048576).toFixed(1)} MB, first byte after ${firstByteMs} ms of ${totalMs} ms, ${stalledCpu} s CPU while paused; RSS (MB) ${samples.map((x) => x.toFixed(0)).join(' ')}`,
    );
  }, 120_000);
});
