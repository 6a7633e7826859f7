import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { createContext } from '../../src/services.js';
import { setupHarness } from './harness.js';
import { signIn, type Portal } from './portal-helpers.js';

// Server-sent events need a real connection (inject waits for the end of the response).
const h = await setupHarness();

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}
const base = await listen(h.app);

interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: { event: string; data: any }[];
  raw(): string;
  next(predicate: (data: any) => boolean, timeoutMs?: number): Promise<any>;
  ended: Promise<void>;
  close(): void;
}

function open(baseUrl: string, p: Portal, orderId: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${baseUrl}/portal/api/topups/${orderId}/events`,
      { headers: { cookie: p.cookie, accept: 'text/event-stream' } },
      (res) => {
        let text = '';
        const events: Stream['events'] = [];
        const waiters: (() => void)[] = [];
        let endResolve!: () => void;
        const ended = new Promise<void>((r) => (endResolve = r));
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          let i: number;
          while ((i = text.indexOf('\n\n')) !== -1) {
            const block = text.slice(0, i);
            text = text.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event) events.push({ event, data: data ? JSON.parse(data) : null });
          }
          for (const w of waiters.splice(0)) w();
        });
        res.on('end', () => endResolve());
        res.on('close', () => endResolve());
        let all = '';
        res.on('data', (c: string) => (all += c));
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          events,
          raw: () => all,
          ended,
          close: () => req.destroy(),
          next: (predicate, timeoutMs = 5000) =>
            new Promise((ok, fail) => {
              const timer = setTimeout(
                () =>
                  fail(
                    new Error(
                      `no matching event in ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.data?.status))}`,
                    ),
                  ),
                timeoutMs,
              );
              const check = () => {
                const hit = events.find((e) => predicate(e.data));
                if (hit) {
                  clearTimeout(timer);
                  ok(hit.data);
                } else waiters.push(check);
              };
              check();
            }),
        });
      },
    );
    req.on('error', reject);
  });
}

async function bankOrder(p: Portal): Promise<string> {
  const res = await p.call('POST', '/portal/api/topups', {
    balance: 'wallet',
    amount: 2000,
    currency: 'USD',
    method: 'bank_transfer',
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('GET /portal/api/topups/{id}/events', () => {
  it('sends the order at once, then again when it changes (cancelled through /v1)', async () => {
    const p = await signIn(h, await h.newCustomer());
    const id = await bankOrder(p);
    const s = await open(base, p, id);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.headers['cache-control']).toBe('no-store');
    const first = await s.next((o) => o.id === id);
    expect(first.status).toBe('pending');
    expect(s.raw().startsWith('event: order\ndata: {')).toBe(true);

    expect((await h.call('POST', `/v1/topups/${id}/cancel`)).status).toBe(200);
    const changed = await s.next((o) => o.status === 'cancelled');
    expect(changed.timeline.at(-1).status).toBe('cancelled');

    // a change that is not a status change (a confirmation arriving late) is sent too
    expect((await h.call('POST', `/v1/topups/${id}/confirm`, { amount_received: 2000 })).status).toBe(200);
    const credited = await s.next((o) => o.status === 'succeeded');
    expect(credited.balance_change).toEqual({ before: 0, after: 2000, currency: 'USD' });
    expect(s.events.filter((e) => e.event === 'order').length).toBe(3); // nothing is sent twice
    s.close();
    await s.ended;
  });

  it('refuses another customer’s order (404) and a fourth stream per session (429); a closed stream frees its place', async () => {
    const p = await signIn(h, await h.newCustomer());
    const q = await signIn(h, await h.newCustomer());
    const mine = await bankOrder(p);
    const other = await open(base, q, mine);
    expect(other.status).toBe(404);
    other.close();

    const streams = [await open(base, p, mine), await open(base, p, mine), await open(base, p, await bankOrder(p))];
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    const fourth = await open(base, p, mine);
    expect(fourth.status).toBe(429);
    fourth.close();
    // another session of the same customer has its own allowance
    const p2 = await signIn(h, p.customer);
    const elsewhere = await open(base, p2, mine);
    expect(elsewhere.status).toBe(200);
    elsewhere.close();

    streams[0].close();
    await streams[0].ended;
    let again: Stream | null = null;
    for (let i = 0; i < 20 && again?.status !== 200; i++) {
      again?.close();
      await new Promise((r) => setTimeout(r, 50));
      again = await open(base, p, mine);
    }
    expect(again!.status).toBe(200);
    again!.close();
    for (const s of streams) s.close();
  });

  it('needs a session', async () => {
    const res = await fetch(`${base}/portal/api/topups/ord_00000000000000000000000000/events`);
    expect(res.status).toBe(401);
  });
});

describe('shutdown', () => {
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  it('ends open streams when the server closes, without delaying the close', async () => {
    const { ctx } = await createContext(h.handle, h.config, () => false);
    const app = await buildApp(ctx, { logger: false });
    apps.push(app);
    const url = await listen(app);
    const p = await signIn(h, await h.newCustomer());
    const id = await bankOrder(p);
    const streams = [await open(url, p, id), await open(url, p, id)];
    for (const s of streams) await s.next((o) => o.id === id);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await Promise.all(streams.map((s) => s.ended));
  });
});
