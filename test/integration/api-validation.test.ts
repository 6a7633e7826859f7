import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/apikeys/index.js';
import { setupHarness } from './harness.js';
import { MAX, MISSING_CUSTOMER, MISSING_HOLD, expectError, expectInvalid } from './assertions.js';

const h = await setupHarness();

const BODY_LIMIT = 64 * 1024;

/** Everything a failed request could have touched. */
async function world(customer: string, holdId: string) {
  const { rows } = await sql<{ t: string; e: string; hl: string; c: string; a: string }>`
    SELECT (SELECT count(*) FROM transfers)::text AS t, (SELECT count(*) FROM entries)::text AS e,
           (SELECT count(*) FROM holds)::text AS hl, (SELECT count(*) FROM customers)::text AS c,
           (SELECT count(*) FROM accounts)::text AS a`.execute(h.handle.db);
  const balances = (await h.call('GET', `/v1/customers/${customer}/balances`)).body;
  const statements: Record<string, unknown> = {};
  for (const b of ['wallet', 'sms', 'whatsapp']) {
    statements[b] = (await h.call('GET', `/v1/customers/${customer}/statement?balance=${b}&limit=100`)).body;
  }
  const hold = (await h.call('GET', `/v1/holds/${holdId}`)).body;
  return { counts: rows[0], balances, statements, hold };
}

let customer: string;
let holdId: string;

beforeAll(async () => {
  customer = await h.newCustomer({ wallet: 10_000, products: { sms: 500 } });
  const hold = await h.post('/v1/holds', { customer, balance: 'wallet', amount: 1_000, currency: 'USD' });
  expect(hold.status).toBe(201);
  holdId = hold.body.id;
});

/** A valid body per POST endpoint (capture/void bodies are optional). */
function endpoints(): { name: string; url: string; body: Record<string, unknown>; keyRequired: boolean }[] {
  return [
    {
      name: 'customers',
      url: '/v1/customers',
      body: { external_id: `v-${Math.random()}`, email: 'v@example.com' },
      keyRequired: false,
    },
    {
      name: 'charges',
      url: '/v1/charges',
      body: { customer, balance: 'wallet', amount: 10, currency: 'USD' },
      keyRequired: true,
    },
    {
      name: 'holds',
      url: '/v1/holds',
      body: { customer, balance: 'wallet', amount: 10, currency: 'USD' },
      keyRequired: true,
    },
    {
      name: 'grants',
      url: '/v1/grants',
      body: { customer, balance: 'wallet', amount: 10, currency: 'USD', reason: 'r' },
      keyRequired: true,
    },
    {
      name: 'transfers',
      url: '/v1/transfers',
      body: { customer, from: 'wallet', to: 'sms', amount: 10, currency: 'USD' },
      keyRequired: true,
    },
    { name: 'capture', url: `/v1/holds/${holdId}/capture`, body: { amount: 10 }, keyRequired: false },
    { name: 'void', url: `/v1/holds/${holdId}/void`, body: {}, keyRequired: false },
  ];
}

describe('authentication', () => {
  const routes = (): [string, string, unknown][] => [
    ['GET', '/v1/products', undefined],
    ['GET', `/v1/customers/${customer}`, undefined],
    ['GET', `/v1/customers?external_id=x`, undefined],
    ['GET', `/v1/customers/${customer}/balances`, undefined],
    ['GET', `/v1/customers/${customer}/statement?balance=wallet`, undefined],
    ['GET', `/v1/holds/${holdId}`, undefined],
    ['POST', '/v1/customers', { external_id: 'unauth', email: 'u@example.com' }],
    ['POST', '/v1/charges', { customer, balance: 'wallet', amount: 10, currency: 'USD' }],
    ['POST', '/v1/holds', { customer, balance: 'wallet', amount: 10, currency: 'USD' }],
    ['POST', '/v1/grants', { customer, balance: 'wallet', amount: 10, currency: 'USD', reason: 'r' }],
    ['POST', '/v1/transfers', { customer, from: 'wallet', to: 'sms', amount: 10, currency: 'USD' }],
    ['POST', `/v1/holds/${holdId}/capture`, {}],
    ['POST', `/v1/holds/${holdId}/void`, {}],
  ];

  it('no Authorization header → 401 unauthenticated on every endpoint; nothing changes', async () => {
    const before = await world(customer, holdId);
    for (const [method, url, body] of routes()) {
      const res = await h.app.inject({
        method: method as 'GET',
        url,
        headers: { 'idempotency-key': `unauth-${url}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
      expectError({ status: res.statusCode, body: JSON.parse(res.body) }, 401, 'unauthenticated');
    }
    expect(await world(customer, holdId)).toEqual(before);
  });

  it.each([
    ['a wrong secret', 'Bearer sk_not_a_real_key'],
    ['an empty bearer', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['the bare secret without "Bearer"', 'SECRET'],
    ['the secret with a suffix', 'Bearer SECRETx'],
  ])('%s → 401 on every endpoint', async (_name, header) => {
    const authorization = header.replace('SECRET', h.apiKey);
    const before = await world(customer, holdId);
    for (const [method, url, body] of routes()) {
      const res = await h.call(method, url, body, { authorization, 'idempotency-key': `bad-auth-${url}` });
      expect(res.status, `${method} ${url}`).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    }
    expect(await world(customer, holdId)).toEqual(before);
  });

  it('401 comes before validation: a bad body without a key is still 401', async () => {
    const res = await h.call('POST', '/v1/charges', '{not json', { authorization: 'Bearer nope' });
    expectError(res, 401, 'unauthenticated');
  });

  it('a revoked key → 401', async () => {
    const { id, secret } = await createApiKey(h.handle.db, 'revoked');
    await sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${id.toString()}::bigint`.execute(h.handle.db);
    const res = await h.call('GET', '/v1/products', undefined, { authorization: `Bearer ${secret}` });
    expectError(res, 401, 'unauthenticated');
  });

  it('idempotency keys are scoped to the API key', async () => {
    const other = await createApiKey(h.handle.db, 'second');
    const c = await h.newCustomer({ wallet: 1_000 });
    const body = { customer: c, balance: 'wallet', amount: 100, currency: 'USD' };
    const a = await h.post('/v1/charges', body, 'scoped-key');
    const b = await h.call('POST', '/v1/charges', body, {
      authorization: `Bearer ${other.secret}`,
      'idempotency-key': 'scoped-key',
    });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.body.id).not.toBe(a.body.id);
    expect(await h.balance(c, 'wallet')).toEqual({ posted: 800, held: 0, available: 800 });
    // and a different body under the same key on the other API key is not "reused" on the first
    const c2 = await h.call(
      'POST',
      '/v1/holds',
      { ...body, amount: 5 },
      { authorization: `Bearer ${other.secret}`, 'idempotency-key': 'scoped-key-2' },
    );
    expect(c2.status).toBe(201);
    const c3 = await h.post('/v1/holds', { ...body, amount: 6 }, 'scoped-key-2');
    expect(c3.status).toBe(201);
  });
});

describe('malformed and oversized requests', () => {
  it('malformed JSON → 400 invalid_request on every POST; nothing changes', async () => {
    const before = await world(customer, holdId);
    for (const e of endpoints()) {
      for (const raw of ['{"amount": 10,', '{amount: 10}', 'not json', "{'a':1}", '{"a":1}}']) {
        const res = await h.call('POST', e.url, raw, { 'idempotency-key': `bad-json-${e.name}-${raw}` });
        expect(res.status, `${e.name} ${raw}`).toBe(400);
        expect(res.body.error.code).toBe('invalid_request');
        expect(res.body.error.details.fields.length).toBeGreaterThan(0);
      }
    }
    expect(await world(customer, holdId)).toEqual(before);
  });

  it('a body over 64 KiB → 413 payload_too_large on every POST; nothing changes', async () => {
    const before = await world(customer, holdId);
    for (const e of endpoints()) {
      const res = await h.post(e.url, { ...e.body, description: 'x'.repeat(70_000) });
      expectError(res, 413, 'payload_too_large');
      expect(res.body.error.details.limit_bytes).toBe(BODY_LIMIT);
      const huge = await h.post(e.url, { ...e.body, padding: 'y'.repeat(2 * 1024 * 1024) });
      expectError(huge, 413, 'payload_too_large');
    }
    expect(await world(customer, holdId)).toEqual(before);
  });

  it('exactly 64 KiB is accepted, one byte more is refused', async () => {
    const c = await h.newCustomer({ wallet: 1_000 });
    const json = JSON.stringify({ customer: c, balance: 'wallet', amount: 1, currency: 'USD' });
    const pad = (n: number) => `${json.slice(0, -1)}${' '.repeat(n - json.length)}}`;
    const atLimit = pad(BODY_LIMIT);
    expect(Buffer.byteLength(atLimit)).toBe(BODY_LIMIT);
    const ok = await h.call('POST', '/v1/charges', atLimit, { 'idempotency-key': 'limit-ok' });
    expect(ok.status).toBe(201);
    const over = await h.call('POST', '/v1/charges', pad(BODY_LIMIT + 1), { 'idempotency-key': 'limit-over' });
    expectError(over, 413, 'payload_too_large');
    expect(await h.balance(c, 'wallet')).toEqual({ posted: 999, held: 0, available: 999 });
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"charge"'],
    ['a number', '42'],
    ['null', 'null'],
    ['an empty object', '{}'],
  ])('a JSON body that is %s → 400 on charges/holds/grants/transfers/customers', async (_name, raw) => {
    const before = await world(customer, holdId);
    for (const url of ['/v1/customers', '/v1/charges', '/v1/holds', '/v1/grants', '/v1/transfers']) {
      const res = await h.call('POST', url, raw, { 'idempotency-key': `shape-${url}-${raw}` });
      expect(res.status, `${url} ${raw}`).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect(await world(customer, holdId)).toEqual(before);
  });

  it('an empty body declared as JSON → 400', async () => {
    const res = await h.call('POST', '/v1/charges', '', { 'idempotency-key': 'empty-body' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('a non-JSON content type → 400 invalid_request (never 415/500)', async () => {
    const c = await h.newCustomer({ wallet: 1_000 });
    const res = await h.call(
      'POST',
      '/v1/charges',
      JSON.stringify({ customer: c, balance: 'wallet', amount: 1, currency: 'USD' }),
      {
        'content-type': 'text/plain',
        'idempotency-key': 'text-plain',
      },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(await h.balance(c, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('a __proto__ key is refused', async () => {
    const c = await h.newCustomer({ wallet: 1_000 });
    const raw = `{"customer":"${c}","balance":"wallet","amount":1,"currency":"USD","__proto__":{"amount":2}}`;
    const res = await h.call('POST', '/v1/charges', raw, { 'idempotency-key': 'proto' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(await h.balance(c, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('an unknown route → 404 not_found with the error envelope', async () => {
    expectError(await h.call('GET', '/v1/nothing-here'), 404, 'not_found');
    expectError(await h.post('/v1/refundz', {}), 404, 'not_found');
  });
});

describe('unknown fields', () => {
  it('an unknown top-level field → 400 naming it, on every POST; nothing changes', async () => {
    const before = await world(customer, holdId);
    for (const e of endpoints()) {
      const res = await h.post(e.url, { ...e.body, surprise: 1 });
      expect(res.status, e.name).toBe(400);
      expectInvalid(res, 'surprise');
    }
    expect(await world(customer, holdId)).toEqual(before);
  });

  it('all problems are listed (allErrors)', async () => {
    const res = await h.post('/v1/charges', {
      customer: 'x',
      balance: 'Wallet',
      amount: -5,
      currency: 'usd',
      extra: true,
    });
    expect(res.status).toBe(400);
    const fields = res.body.error.details.fields.map((f: { field: string }) => f.field);
    for (const f of ['customer', 'balance', 'amount', 'currency', 'extra']) expect(fields).toContain(f);
  });

  it('a value outside a fixed set is one problem that lists the allowed values', async () => {
    const res = await h.call('GET', '/v1/topups?status=done');
    expectInvalid(res, 'status');
    expect(res.body.error.details.fields).toEqual([
      { field: 'status', problem: 'must be one of: pending, processing, succeeded, failed, expired, cancelled' },
    ]);
    expect(res.body.error.message).toBe(
      'status must be one of: pending, processing, succeeded, failed, expired, cancelled.',
    );
    const before = await world(customer, holdId);
    const transfer = await h.post('/v1/transfers', {
      customer,
      from: 'sms',
      to: 'wallet',
      amount: 10,
      currency: 'USD',
    });
    expectInvalid(transfer, 'from');
    expect(transfer.body.error.details.fields).toEqual([{ field: 'from', problem: 'must be wallet' }]);
    expect(await world(customer, holdId)).toEqual(before);
  });
});

describe('Idempotency-Key', () => {
  it('missing on charges, holds, grants and transfers → 400 naming Idempotency-Key; nothing changes', async () => {
    const before = await world(customer, holdId);
    for (const e of endpoints().filter((x) => x.keyRequired)) {
      const res = await h.call('POST', e.url, e.body);
      expectInvalid(res, 'Idempotency-Key');
    }
    expect(await world(customer, holdId)).toEqual(before);
  });

  it('longer than 255 characters → 400 on every POST; nothing changes', async () => {
    const before = await world(customer, holdId);
    for (const e of endpoints()) {
      const res = await h.post(e.url, e.body, 'z'.repeat(256));
      expectInvalid(res, 'Idempotency-Key');
    }
    expect(await world(customer, holdId)).toEqual(before);
  });

  it('a replay returns the identical status and body with Idempotent-Replayed: true on every POST', async () => {
    const c = await h.newCustomer({ wallet: 10_000 });
    const hold1 = (await h.post('/v1/holds', { customer: c, balance: 'wallet', amount: 100, currency: 'USD' })).body.id;
    const hold2 = (await h.post('/v1/holds', { customer: c, balance: 'wallet', amount: 100, currency: 'USD' })).body.id;
    const cases: [string, unknown, unknown][] = [
      [
        '/v1/customers',
        { external_id: `replay-${c}`, email: 'r@example.com' },
        { external_id: `replay-${c}`, email: 'other@example.com' },
      ],
      [
        '/v1/charges',
        { customer: c, balance: 'wallet', amount: 10, currency: 'USD' },
        { customer: c, balance: 'wallet', amount: 11, currency: 'USD' },
      ],
      [
        '/v1/holds',
        { customer: c, balance: 'wallet', amount: 10, currency: 'USD' },
        { customer: c, balance: 'wallet', amount: 11, currency: 'USD' },
      ],
      [
        '/v1/grants',
        { customer: c, balance: 'sms', amount: 10, currency: 'USD', reason: 'r' },
        { customer: c, balance: 'sms', amount: 10, currency: 'USD', reason: 's' },
      ],
      [
        '/v1/transfers',
        { customer: c, from: 'wallet', to: 'whatsapp', amount: 10, currency: 'USD' },
        { customer: c, from: 'wallet', to: 'sms', amount: 10, currency: 'USD' },
      ],
      [`/v1/holds/${hold1}/capture`, { amount: 50 }, { amount: 60 }],
      [`/v1/holds/${hold2}/void`, undefined, null],
    ];
    for (const [url, body, other] of cases) {
      const key = `replay-all-${url}`;
      const first = await h.post(url, body, key);
      expect(first.status, url).toBeLessThan(300);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const balancesBefore = (await h.call('GET', `/v1/customers/${c}/balances`)).body;
      const second = await h.post(url, body, key);
      expect(second.status, url).toBe(first.status);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.headers['content-type']).toMatch(/^application\/json/);
      expect(second.body).toEqual(first.body);
      expect((await h.call('GET', `/v1/customers/${c}/balances`)).body).toEqual(balancesBefore);
      if (other !== null) {
        const reused = await h.post(url, other, key);
        expectError(reused, 409, 'idempotency_key_reused');
        expect((await h.call('GET', `/v1/customers/${c}/balances`)).body).toEqual(balancesBefore);
      }
    }
    expect(await h.balance(c, 'wallet')).toEqual({
      posted: 10_000 - 10 - 50 - 10,
      held: 10,
      available: 10_000 - 70 - 10,
    });
  });
});

describe('failed requests change nothing', () => {
  it('a barrage of 400/402/403/404/409/422 leaves every balance, statement, hold and table as it was', async () => {
    const frozen = await h.newCustomer({ wallet: 100 });
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${frozen}`.execute(h.handle.db);
    const captured = (await h.post('/v1/holds', { customer, balance: 'sms', amount: 10, currency: 'USD' })).body.id;
    expect((await h.post(`/v1/holds/${captured}/capture`, {})).status).toBe(200);
    await h.post('/v1/charges', { customer, balance: 'wallet', amount: 1, currency: 'USD' }, 'barrage-used');

    const before = await world(customer, holdId);
    const frozenBefore = (await h.call('GET', `/v1/customers/${frozen}/balances`)).body;
    const w = { customer, balance: 'wallet', currency: 'USD' };
    const attempts: [string, unknown, number, string][] = [
      ['/v1/charges', { ...w, amount: 0 }, 400, 'invalid_request'],
      ['/v1/charges', { ...w, amount: MAX + 1 }, 400, 'invalid_request'],
      ['/v1/charges', { ...w, amount: 1.5 }, 400, 'invalid_request'],
      ['/v1/charges', { ...w, amount: 1_000_000 }, 402, 'insufficient_funds'],
      ['/v1/charges', { ...w, amount: MAX }, 402, 'insufficient_funds'],
      ['/v1/charges', { ...w, amount: 5, currency: 'EUR' }, 422, 'currency_mismatch'],
      ['/v1/charges', { ...w, amount: 5, balance: 'voice' }, 422, 'unknown_balance'],
      ['/v1/charges', { ...w, amount: 5, customer: MISSING_CUSTOMER }, 404, 'not_found'],
      ['/v1/charges', { customer: frozen, balance: 'wallet', amount: 5, currency: 'USD' }, 403, 'customer_frozen'],
      ['/v1/holds', { ...w, amount: 1_000_000 }, 402, 'insufficient_funds'],
      ['/v1/holds', { ...w, amount: 5, expires_in_seconds: 604_801 }, 400, 'invalid_request'],
      ['/v1/holds', { ...w, amount: 5, currency: 'EUR' }, 422, 'currency_mismatch'],
      ['/v1/holds', { customer: frozen, balance: 'wallet', amount: 5, currency: 'USD' }, 403, 'customer_frozen'],
      ['/v1/grants', { ...w, amount: 5, reason: 'r', currency: 'EUR' }, 422, 'currency_mismatch'],
      ['/v1/grants', { ...w, amount: 5, reason: 'r', balance: 'voice' }, 422, 'unknown_balance'],
      ['/v1/grants', { ...w, amount: -5, reason: 'r' }, 400, 'invalid_request'],
      [
        '/v1/transfers',
        { customer, from: 'wallet', to: 'sms', amount: 1_000_000, currency: 'USD' },
        402,
        'insufficient_funds',
      ],
      ['/v1/transfers', { customer, from: 'wallet', to: 'wallet', amount: 5, currency: 'USD' }, 400, 'invalid_request'],
      ['/v1/transfers', { customer, from: 'wallet', to: 'voice', amount: 5, currency: 'USD' }, 422, 'unknown_balance'],
      [
        '/v1/transfers',
        { customer: frozen, from: 'wallet', to: 'sms', amount: 5, currency: 'USD' },
        403,
        'customer_frozen',
      ],
      [`/v1/holds/${holdId}/capture`, { amount: 1_001 }, 400, 'invalid_request'],
      [`/v1/holds/${captured}/capture`, {}, 409, 'hold_not_active'],
      [`/v1/holds/${captured}/void`, {}, 409, 'hold_not_active'],
      [`/v1/holds/${MISSING_HOLD}/capture`, {}, 404, 'not_found'],
      [`/v1/holds/${MISSING_HOLD}/void`, {}, 404, 'not_found'],
      [
        '/v1/customers',
        { external_id: 'never', email: 'n@example.com', currency: 'XYZ' },
        422,
        'currency_not_supported',
      ],
    ];
    for (const [url, body, status, code] of attempts) {
      const res = await h.post(url, body);
      expect(res.status, `${url} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.error.code, `${url} ${JSON.stringify(body)}`).toBe(code);
      if (code === 'insufficient_funds') expect(typeof res.body.error.details.available).toBe('number');
      if (code === 'invalid_request') expect(res.body.error.details.fields.length).toBeGreaterThan(0);
    }
    const reused = await h.post(
      '/v1/charges',
      { customer, balance: 'wallet', amount: 2, currency: 'USD' },
      'barrage-used',
    );
    expectError(reused, 409, 'idempotency_key_reused');

    expect(await world(customer, holdId)).toEqual(before);
    expect((await h.call('GET', `/v1/customers/${frozen}/balances`)).body).toEqual(frozenBefore);
    expect((await h.call('GET', `/v1/customers?external_id=never`)).body.data).toEqual([]);
  });
});
