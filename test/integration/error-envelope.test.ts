import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/errors.js';
import { APP_PATHS } from '../../src/http/web.js';
import { expectError } from './assertions.js';
import { setupHarness } from './harness.js';

const h = await setupHarness();

type Answer = { status: number; contentType: string; text: string; what: string };

/** The documented envelope, with a catalogue code whose status is the one answered; never a 500. */
function expectEnvelope(a: Answer): void {
  expect(a.status, a.what).toBeLessThan(500);
  expect(a.contentType, a.what).toMatch(/^application\/json/);
  const body = JSON.parse(a.text);
  expect(Object.keys(body), `${a.what} ${a.text}`).toEqual(['error']);
  const { code, message, details, ...rest } = body.error;
  expect(rest, a.what).toEqual({});
  expect(ERROR_STATUS[code as keyof typeof ERROR_STATUS], `${a.what} ${a.text}`).toBe(a.status);
  expect(typeof message, a.what).toBe('string');
  expect(message.length, a.what).toBeGreaterThan(0);
  if (details !== undefined) expect(typeof details, a.what).toBe('object');
}

/** Every registered route as [method, url], read from Fastify's route tree. */
function routes(): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of h.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S*)(?: \(([A-Z, ]+)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    if (!m[3]) continue;
    for (const method of m[3].split(', ')) if (method !== 'HEAD') out.push([method, stack.join('')]);
  }
  return out;
}

/** The route's URL with its parameters filled in (the first one by `first`). */
const fill = (url: string, first: string) =>
  url
    .replace(/:[a-z_]+/, first)
    .replace(/:[a-z_]+/g, 'x')
    .replace(/\*$/, 'x');

async function send(
  method: string,
  url: string,
  opts: { key?: boolean; headers?: Record<string, string>; payload?: string } = {},
): Promise<Answer> {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: { ...(opts.key ? { authorization: `Bearer ${h.apiKey}` } : {}), ...opts.headers },
    payload: opts.payload,
  });
  return {
    status: res.statusCode,
    contentType: String(res.headers['content-type'] ?? ''),
    text: res.body,
    what: `${method} ${url} ${JSON.stringify(opts.headers ?? {})}`,
  };
}

/**
 * Browser pages answer their own errors for people (the sandbox's HTML pages, the web app's
 * "not built" notice); only what they answer in JSON is held to the envelope.
 */
const isPage = (route: string, a: Answer) =>
  (route.startsWith('/sandbox/') || APP_PATHS.includes(route)) && !a.contentType.startsWith('application/json');

describe('every 4xx of every route is in the error envelope', () => {
  const all = routes();

  it('finds the routes of every audience', () => {
    const urls = all.map(([, u]) => u);
    for (const u of [
      '/v1/customers/:id',
      '/v1/holds/:id/capture',
      '/portal/api/me',
      '/webhooks/:provider',
      '/sandbox/checkout/:id',
    ])
      expect(urls).toContain(u);
  });

  it('malformed percent-encoding, over-long and malformed ids, with and without an API key', async () => {
    let checked = 0;
    for (const [method, url] of all) {
      const hasParam = url.includes(':') || url.endsWith('*');
      const bad = hasParam
        ? ['%', '%ff%fe', '%zz', 'x'.repeat(150), 'nope'].map((p) => fill(url, p))
        : [`${url.replace(/\/$/, '')}/%`, `${url}%ff%fe`];
      for (const u of bad) {
        for (const key of [true, false]) {
          const a = await send(method, u, { key });
          if (a.status < 400) continue;
          if (isPage(url, a)) continue;
          expectEnvelope(a);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(all.length * 4);
  });

  it('a bad content type, malformed JSON, an empty or oversized body and a control character in Idempotency-Key', async () => {
    const inputs: { name: string; headers: Record<string, string>; payload?: string }[] = [
      { name: 'text/plain', headers: { 'content-type': 'text/plain', 'idempotency-key': 'k1' }, payload: 'hello' },
      {
        name: 'malformed JSON',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k2' },
        payload: '{"amount": 1,',
      },
      {
        name: 'empty JSON body',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k3' },
        payload: '',
      },
      { name: 'JSON null', headers: { 'content-type': 'application/json', 'idempotency-key': 'k4' }, payload: 'null' },
      {
        name: 'oversized',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k5' },
        payload: JSON.stringify({ pad: 'x'.repeat(70_000) }),
      },
      {
        name: 'control character in key',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'a\u0001b' },
        payload: '{}',
      },
      {
        name: 'NUL in key',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'a\u0000b' },
        payload: '{}',
      },
    ];
    let checked = 0;
    for (const [method, url] of all) {
      if (method === 'GET') continue;
      for (const id of ['x', 'cus_00000000000000000000000000']) {
        for (const input of inputs) {
          for (const key of [true, false]) {
            const a = await send(method, fill(url, id), { key, headers: input.headers, payload: input.payload });
            if (a.status < 400) continue;
            if (isPage(url, a)) continue;
            expectEnvelope(a);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('examples: the status and code each bad input gets', async () => {
    expectError(await h.call('GET', '/v1/customers/%'), 400, 'invalid_request');
    expectError(await h.call('GET', '/v1/customers/%ff%fe'), 400, 'invalid_request');
    expectError(await h.call('GET', `/v1/customers/${'c'.repeat(150)}`), 414, 'uri_too_long');
    expectError(await h.call('GET', '/v1/customers/cus_doesnotexist'), 404, 'not_found');
    expect((await h.call('GET', '/v1/customers/cus_doesnotexist')).body.error.message).toBe(
      'No customer with id cus_doesnotexist.',
    );
    expect((await h.call('GET', '/v1/topups/ord_x')).body.error).toEqual({
      code: 'not_found',
      message: 'No top-up with id ord_x.',
      details: { id: 'ord_x' },
    });
    expect((await h.call('GET', '/v1/holds/nope')).body.error).toEqual({
      code: 'not_found',
      message: 'No hold with id nope.',
      details: { id: 'nope' },
    });
    expectError(await h.post('/v1/charges', { pad: 'x'.repeat(70_000) }), 413, 'payload_too_large');
    const charge = { customer: 'cus_00000000000000000000000000', balance: 'wallet', amount: 1, currency: 'USD' };
    const key = await h.call('POST', '/v1/charges', charge, { 'idempotency-key': 'a\u0001b' });
    expectError(key, 400, 'invalid_request');
    expect(key.body.error.details.fields[0].field).toBe('Idempotency-Key');
    // a malformed body field is still 400, not 404
    expectError(
      await h.post('/v1/charges', { customer: 'cus_doesnotexist', balance: 'wallet', amount: 1, currency: 'USD' }),
      400,
      'invalid_request',
    );
  });
});

describe("what Node's HTTP parser refuses is answered in the envelope on the socket", () => {
  let port: number;
  beforeAll(async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    port = (h.app.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => h.app.server.close(() => resolve())));

  /** Writes raw bytes and reads the whole answer (the server closes the connection after a refusal). */
  const raw = (request: string) =>
    new Promise<Answer>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write(request, 'latin1'));
      let data = '';
      socket.on('data', (c) => (data += c.toString('utf8')));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, ...rest] = data.split('\r\n\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
        resolve({
          status,
          contentType: /content-type: ([^\r\n]+)/i.exec(head)?.[1] ?? '',
          text: rest.join('\r\n\r\n'),
          what: request.slice(0, 80),
        });
      });
    });

  it.each([
    [
      'a control character in Idempotency-Key',
      400,
      'invalid_request',
      'POST /v1/charges HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\u0001b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    ],
    [
      'a NUL in Idempotency-Key',
      400,
      'invalid_request',
      'POST /v1/charges HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\u0000b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    ],
    ['a malformed request line', 400, 'invalid_request', 'GARBAGE\r\n\r\n'],
    [
      'an over-long URL',
      431,
      'headers_too_large',
      `GET /v1/customers/${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ],
    [
      'malformed percent-encoding',
      400,
      'invalid_request',
      'GET /v1/customers/%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ],
    [
      'an over-long path parameter',
      414,
      'uri_too_long',
      `GET /v1/customers/${'x'.repeat(500)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ],
  ])('%s → %i %s', async (_name, status, code, request) => {
    const a = await raw(request);
    expect(a.status).toBe(status);
    expectEnvelope(a);
    expect(JSON.parse(a.text).error.code).toBe(code);
  });
});

describe('the OpenAPI document', () => {
  it('names a relative server, so "Try it out" calls the origin the page came from', async () => {
    const doc = (await h.app.inject({ url: '/docs/json' })).json();
    expect(doc.servers).toEqual([{ url: '/' }]);
  });
});
