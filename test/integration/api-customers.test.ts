import crypto from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupHarness } from './harness.js';
import { ISO, MISSING_CUSTOMER, expectError, expectInvalid } from './assertions.js';

const h = await setupHarness();
// A second app configured with another platform currency and product list. It only creates and
// reads customers (no money movements: the system-account id cache is per process).
const eur = await setupHarness({ PLATFORM_CURRENCY: 'EUR', PRODUCTS: 'voice:Voice Minutes' });

const CUS_ID = /^cus_[0-9a-z]{26}$/;
const ENT_ID = /^ent_[0-9a-z]+_[0-9a-z]+$/;

const ext = (): string => `ext-${crypto.randomUUID()}`;
const zero = (balance: string, currency = 'USD') => ({ balance, currency, posted: 0, held: 0, available: 0 });

describe('GET /v1/products', () => {
  it('lists the seeded products', async () => {
    const res = await h.call('GET', '/v1/products');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      data: [
        { code: 'sms', name: 'SMS', enabled: true },
        { code: 'whatsapp', name: 'WhatsApp', enabled: true },
      ],
    });
  });
});

describe('POST /v1/customers', () => {
  it('creates a customer with the default currency and zero balances: 201 with the full shape', async () => {
    const external_id = ext();
    const res = await h.post('/v1/customers', { external_id, email: 'ada@example.com' });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      id: expect.stringMatching(CUS_ID),
      object: 'customer',
      external_id,
      email: 'ada@example.com',
      name: null,
      currency: 'USD',
      status: 'active',
      created_at: expect.stringMatching(ISO),
      balances: [zero('wallet'), zero('sms'), zero('whatsapp')],
    });
    expect(Math.abs(Date.parse(res.body.created_at) - Date.now())).toBeLessThan(60_000);
  });

  it('keeps name and an explicit currency; every balance is in that currency', async () => {
    const external_id = ext();
    const res = await h.post('/v1/customers', { external_id, email: 'b@example.com', name: 'Bea', currency: 'EUR' });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('Bea');
    expect(res.body.currency).toBe('EUR');
    expect(res.body.balances).toEqual([zero('wallet', 'EUR'), zero('sms', 'EUR'), zero('whatsapp', 'EUR')]);
  });

  it('accepts name: null and a crypto asset currency', async () => {
    const res = await h.post('/v1/customers', {
      external_id: ext(),
      email: 'c@example.com',
      name: null,
      currency: 'USDT',
    });
    expect(res.status).toBe(201);
    expect(res.body.name).toBeNull();
    expect(res.body.currency).toBe('USDT');
  });

  it('an existing external_id → 200 with the existing customer, unchanged', async () => {
    const external_id = ext();
    const first = await h.post('/v1/customers', { external_id, email: 'first@example.com', name: 'First' });
    expect(first.status).toBe(201);
    const again = await h.post('/v1/customers', {
      external_id,
      email: 'second@example.com',
      name: 'Second',
      currency: 'EUR',
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const got = await h.call('GET', `/v1/customers/${first.body.id}`);
    expect(got.body).toEqual(first.body);
    // No Idempotency-Key at all behaves the same.
    const third = await h.call('POST', '/v1/customers', { external_id, email: 'third@example.com' });
    expect(third.status).toBe(200);
    expect(third.body.id).toBe(first.body.id);
    expect(third.body.email).toBe('first@example.com');
  });

  it('the existing customer is returned with its current balances', async () => {
    const id = await h.newCustomer({ wallet: 1234 });
    const got = await h.call('GET', `/v1/customers/${id}`);
    const again = await h.post('/v1/customers', { external_id: got.body.external_id, email: 'x@example.com' });
    expect(again.status).toBe(200);
    expect(again.body.balances[0]).toEqual({
      balance: 'wallet',
      currency: 'USD',
      posted: 1234,
      held: 0,
      available: 1234,
    });
  });

  it('concurrent creates with one external_id make one customer: one 201, the rest 200 with the same id', async () => {
    const external_id = ext();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.post('/v1/customers', { external_id, email: `race${i}@example.com` })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(9);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const winner = results.find((r) => r.status === 201)!;
    for (const r of results) expect(r.body.email).toBe(winner.body.email);
  });

  it('works without an Idempotency-Key (optional on customers)', async () => {
    const res = await h.call('POST', '/v1/customers', { external_id: ext(), email: 'nokey@example.com' });
    expect(res.status).toBe(201);
  });

  it('replays the same key with the same body: same status and body, Idempotent-Replayed: true', async () => {
    const body = { external_id: ext(), email: 'r@example.com', name: 'R' };
    const first = await h.post('/v1/customers', body, 'cust-replay-1');
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const second = await h.post(
      '/v1/customers',
      { name: 'R', email: 'r@example.com', external_id: body.external_id },
      'cust-replay-1',
    );
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
  });

  it('the same key with a different body → 409 idempotency_key_reused, nothing created', async () => {
    const first = await h.post('/v1/customers', { external_id: ext(), email: 'k@example.com' }, 'cust-reuse-1');
    expect(first.status).toBe(201);
    const otherExt = ext();
    const second = await h.post('/v1/customers', { external_id: otherExt, email: 'k@example.com' }, 'cust-reuse-1');
    expectError(second, 409, 'idempotency_key_reused');
    const found = await h.call('GET', `/v1/customers?external_id=${otherExt}`);
    expect(found.body).toEqual({ data: [], has_more: false });
  });

  it('an unknown currency → 422 currency_not_supported, nothing created', async () => {
    const external_id = ext();
    const res = await h.post('/v1/customers', { external_id, email: 'x@example.com', currency: 'XYZ' });
    expectError(res, 422, 'currency_not_supported');
    const found = await h.call('GET', `/v1/customers?external_id=${external_id}`);
    expect(found.body.data).toEqual([]);
  });

  it.each([
    ['external_id missing', { email: 'a@example.com' }, 'external_id'],
    ['email missing', { external_id: 'e-missing-email' }, 'email'],
    ['external_id empty', { external_id: '', email: 'a@example.com' }, 'external_id'],
    ['external_id too long', { external_id: 'x'.repeat(256), email: 'a@example.com' }, 'external_id'],
    ['external_id a number', { external_id: 42, email: 'a@example.com' }, 'external_id'],
    ['email malformed', { external_id: 'e-bad-email', email: 'not-an-email' }, 'email'],
    ['email with spaces', { external_id: 'e-bad-email2', email: 'a b@example.com' }, 'email'],
    ['name too long', { external_id: 'e-long-name', email: 'a@example.com', name: 'n'.repeat(256) }, 'name'],
    ['name a number', { external_id: 'e-num-name', email: 'a@example.com', name: 7 }, 'name'],
    ['currency lower case', { external_id: 'e-lc', email: 'a@example.com', currency: 'usd' }, 'currency'],
    ['currency null', { external_id: 'e-null-cur', email: 'a@example.com', currency: null }, 'currency'],
    ['unknown field', { external_id: 'e-unknown', email: 'a@example.com', nickname: 'x' }, 'nickname'],
  ])('%s → 400 invalid_request naming the field', async (_name, body, field) => {
    const res = await h.post('/v1/customers', body);
    expectInvalid(res, field);
    const externalId = (body as { external_id?: unknown }).external_id;
    if (typeof externalId === 'string' && externalId.length >= 1 && externalId.length <= 255) {
      // nothing was created
      const found = await h.call('GET', `/v1/customers?external_id=${encodeURIComponent(externalId)}`);
      expect(found.body).toEqual({ data: [], has_more: false });
    }
  });

  it('a name of exactly 255 characters and an external_id of 255 characters are accepted', async () => {
    const external_id = `e${crypto.randomUUID()}`.padEnd(255, 'x');
    const res = await h.post('/v1/customers', { external_id, email: 'a@example.com', name: 'n'.repeat(255) });
    expect(res.status).toBe(201);
    expect(res.body.external_id).toBe(external_id);
  });
});

describe('GET /v1/customers/{id}', () => {
  it('returns the customer as created', async () => {
    const created = await h.post('/v1/customers', { external_id: ext(), email: 'g@example.com', name: 'G' });
    const res = await h.call('GET', `/v1/customers/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created.body);
  });

  it('shows current balances and a frozen status', async () => {
    const id = await h.newCustomer({ wallet: 5000, products: { sms: 700 } });
    const hold = await h.post('/v1/holds', { customer: id, balance: 'wallet', amount: 1200, currency: 'USD' });
    expect(hold.status).toBe(201);
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${id}`.execute(h.handle.db);
    const res = await h.call('GET', `/v1/customers/${id}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('frozen');
    expect(res.body.balances).toEqual([
      { balance: 'wallet', currency: 'USD', posted: 5000, held: 1200, available: 3800 },
      { balance: 'sms', currency: 'USD', posted: 700, held: 0, available: 700 },
      zero('whatsapp'),
    ]);
  });

  it('a well-formed unknown id → 404 not_found', async () => {
    const res = await h.call('GET', `/v1/customers/${MISSING_CUSTOMER}`);
    expectError(res, 404, 'not_found');
  });

  it('a malformed id → 404 not_found like any unknown id', async () => {
    expectError(await h.call('GET', '/v1/customers/cus_123'), 404, 'not_found');
    const nope = await h.call('GET', '/v1/customers/nope');
    expectError(nope, 404, 'not_found');
    expect(nope.body.error.message).toBe('No customer with id nope.');
  });
});

describe('GET /v1/customers?external_id=', () => {
  it('returns a list with exactly the matching customer', async () => {
    const external_id = ext();
    const created = await h.post('/v1/customers', { external_id, email: 'l@example.com' });
    await h.post('/v1/customers', { external_id: ext(), email: 'other@example.com' });
    const res = await h.call('GET', `/v1/customers?external_id=${external_id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [created.body], has_more: false });
  });

  it('returns an empty list when nobody matches', async () => {
    const res = await h.call('GET', `/v1/customers?external_id=${ext()}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], has_more: false });
  });

  it('at most one item even when many customers exist', async () => {
    const external_id = ext();
    await h.post('/v1/customers', { external_id, email: 'one@example.com' });
    for (let i = 0; i < 3; i++) await h.post('/v1/customers', { external_id, email: `dup${i}@example.com` });
    const res = await h.call('GET', `/v1/customers?external_id=${external_id}`);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].email).toBe('one@example.com');
  });

  it('an external_id with special characters round-trips', async () => {
    const external_id = `user/${crypto.randomUUID()}?&=+ é`;
    const created = await h.post('/v1/customers', { external_id, email: 's@example.com' });
    expect(created.status).toBe(201);
    const res = await h.call('GET', `/v1/customers?external_id=${encodeURIComponent(external_id)}`);
    expect(res.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
  });

  it('with an empty external_id or an unknown parameter → 400 (without one it lists every customer)', async () => {
    const all = await h.call('GET', '/v1/customers');
    expect(all.status).toBe(200);
    expect(all.body.data.length).toBeGreaterThan(0);
    expect((await h.call('GET', '/v1/customers?external_id=')).status).toBe(400);
    expect((await h.call('GET', `/v1/customers?external_id=${ext()}&email=x`)).status).toBe(400);
  });
});

describe('GET /v1/customers/{id}/balances', () => {
  it('always includes wallet and every enabled product, available = posted − held', async () => {
    const id = await h.newCustomer();
    const empty = await h.call('GET', `/v1/customers/${id}/balances`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ data: [zero('wallet'), zero('sms'), zero('whatsapp')] });

    await h.post('/v1/grants', { customer: id, balance: 'wallet', amount: 10_000, currency: 'USD', reason: 'r' });
    await h.post('/v1/grants', { customer: id, balance: 'whatsapp', amount: 300, currency: 'USD', reason: 'r' });
    await h.post('/v1/holds', { customer: id, balance: 'wallet', amount: 2_500, currency: 'USD' });
    await h.post('/v1/charges', { customer: id, balance: 'wallet', amount: 1_000, currency: 'USD' });
    const res = await h.call('GET', `/v1/customers/${id}/balances`);
    expect(res.body).toEqual({
      data: [
        { balance: 'wallet', currency: 'USD', posted: 9_000, held: 2_500, available: 6_500 },
        zero('sms'),
        { balance: 'whatsapp', currency: 'USD', posted: 300, held: 0, available: 300 },
      ],
    });
  });

  it('a customer in another currency has balances in that currency', async () => {
    const id = await h.newCustomer({ currency: 'CNY', wallet: 720 });
    const res = await h.call('GET', `/v1/customers/${id}/balances`);
    expect(res.body.data).toEqual([
      { balance: 'wallet', currency: 'CNY', posted: 720, held: 0, available: 720 },
      zero('sms', 'CNY'),
      zero('whatsapp', 'CNY'),
    ]);
  });

  it('unknown customer → 404, malformed id → 404', async () => {
    expectError(await h.call('GET', `/v1/customers/${MISSING_CUSTOMER}/balances`), 404, 'not_found');
    expectError(await h.call('GET', '/v1/customers/cus_x/balances'), 404, 'not_found');
  });
});

describe('GET /v1/customers/{id}/statement', () => {
  // wallet: grant +10000, charge −1500, charge −2500, capture −400 (hold of 1000), transfer −3000 to sms
  let id: string;
  let chargeA: any;
  let chargeB: any;
  let holdId: string;
  let transferId: string;
  let grantTransferId: string;

  it('builds a history', async () => {
    id = await h.newCustomer();
    const g = await h.post(
      '/v1/grants',
      { customer: id, balance: 'wallet', amount: 10_000, currency: 'USD', reason: 'start' },
      'st-grant',
    );
    expect(g.status).toBe(201);
    grantTransferId = g.body.transfer_id;
    chargeA = (
      await h.post('/v1/charges', { customer: id, balance: 'wallet', amount: 1_500, currency: 'USD' }, 'st-charge-a')
    ).body;
    chargeB = (
      await h.post('/v1/charges', { customer: id, balance: 'wallet', amount: 2_500, currency: 'USD' }, 'st-charge-b')
    ).body;
    const hold = await h.post(
      '/v1/holds',
      { customer: id, balance: 'wallet', amount: 1_000, currency: 'USD' },
      'st-hold',
    );
    holdId = hold.body.id;
    const cap = await h.post(`/v1/holds/${holdId}/capture`, { amount: 400 });
    expect(cap.status).toBe(200);
    const t = await h.post(
      '/v1/transfers',
      { customer: id, from: 'wallet', to: 'sms', amount: 3_000, currency: 'USD' },
      'st-transfer',
    );
    expect(t.status).toBe(201);
    transferId = t.body.id;
    // A failed charge leaves no entry.
    expect(
      (await h.post('/v1/charges', { customer: id, balance: 'wallet', amount: 2_601, currency: 'USD' })).status,
    ).toBe(402);
    expect(await h.balance(id, 'wallet')).toEqual({ posted: 2_600, held: 0, available: 2_600 });
  });

  it('lists entries newest first with signed amounts and the running balance', async () => {
    const res = await h.call('GET', `/v1/customers/${id}/statement?balance=wallet`);
    expect(res.status).toBe(200);
    expect(res.body.has_more).toBe(false);
    const data = res.body.data;
    expect(data.map((e: any) => [e.kind, e.amount, e.balance_after])).toEqual([
      ['transfer', -3_000, 2_600],
      ['capture', -400, 5_600],
      ['charge', -2_500, 6_000],
      ['charge', -1_500, 8_500],
      ['grant', 10_000, 10_000],
    ]);
    for (const e of data) {
      expect(Object.keys(e).sort()).toEqual([
        'amount',
        'balance_after',
        'created_at',
        'description',
        'id',
        'kind',
        'reference',
        'transfer_id',
      ]);
      expect(e.id).toMatch(ENT_ID);
      expect(e.created_at).toMatch(ISO);
    }
    expect(new Set(data.map((e: any) => e.id)).size).toBe(5);
    for (let i = 1; i < data.length; i++)
      expect(Date.parse(data[i - 1].created_at)).toBeGreaterThanOrEqual(Date.parse(data[i].created_at));
    // running balance: each balance_after is the next (older) one plus this amount
    for (let i = 0; i < data.length - 1; i++)
      expect(data[i].balance_after).toBe(data[i + 1].balance_after + data[i].amount);
    expect(data[0].transfer_id).toBe(transferId);
    expect(data[2].transfer_id).toBe(chargeB.transfer_id);
    expect(data[3].transfer_id).toBe(chargeA.transfer_id);
    expect(data[4].transfer_id).toBe(grantTransferId);
    expect(data[0].reference).toBe('st-transfer');
    expect(data[1].reference).toBe(holdId);
    expect(data[2].reference).toBe('st-charge-b');
    expect(data[3].reference).toBe('st-charge-a');
    expect(data[4].reference).toBe('st-grant');
  });

  it('the product balance shows the transfer as a credit', async () => {
    const res = await h.call('GET', `/v1/customers/${id}/statement?balance=sms`);
    expect(res.status).toBe(200);
    expect(res.body.has_more).toBe(false);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0]).toMatchObject({
      kind: 'transfer',
      amount: 3_000,
      balance_after: 3_000,
      transfer_id: transferId,
      reference: 'st-transfer',
    });
  });

  it('an empty product balance has an empty statement', async () => {
    const res = await h.call('GET', `/v1/customers/${id}/statement?balance=whatsapp`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], has_more: false });
  });

  it('paginates with limit and starting_after', async () => {
    const all = (await h.call('GET', `/v1/customers/${id}/statement?balance=wallet`)).body.data;
    const p1 = await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&limit=2`);
    expect(p1.status).toBe(200);
    expect(p1.body).toEqual({ data: all.slice(0, 2), has_more: true });
    const p2 = await h.call(
      'GET',
      `/v1/customers/${id}/statement?balance=wallet&limit=2&starting_after=${p1.body.data[1].id}`,
    );
    expect(p2.body).toEqual({ data: all.slice(2, 4), has_more: true });
    const p3 = await h.call(
      'GET',
      `/v1/customers/${id}/statement?balance=wallet&limit=2&starting_after=${p2.body.data[1].id}`,
    );
    expect(p3.body).toEqual({ data: all.slice(4), has_more: false });
    const p4 = await h.call(
      'GET',
      `/v1/customers/${id}/statement?balance=wallet&limit=2&starting_after=${p3.body.data[0].id}`,
    );
    expect(p4.body).toEqual({ data: [], has_more: false });
    // exactly as many as there are: has_more false
    const exact = await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&limit=5`);
    expect(exact.body).toEqual({ data: all, has_more: false });
    const one = await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&limit=1`);
    expect(one.body).toEqual({ data: all.slice(0, 1), has_more: true });
    const max = await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&limit=100`);
    expect(max.body).toEqual({ data: all, has_more: false });
  });

  it('limit defaults to 20', async () => {
    const c = await h.newCustomer({ wallet: 1_000 });
    for (let i = 0; i < 21; i++) {
      const r = await h.post('/v1/charges', { customer: c, balance: 'wallet', amount: 10, currency: 'USD' });
      expect(r.status).toBe(201);
    }
    const res = await h.call('GET', `/v1/customers/${c}/statement?balance=wallet`);
    expect(res.body.data).toHaveLength(20);
    expect(res.body.has_more).toBe(true);
    expect(res.body.data[0].balance_after).toBe(790);
    expect(res.body.data[19].balance_after).toBe(980);
    const rest = await h.call(
      'GET',
      `/v1/customers/${c}/statement?balance=wallet&starting_after=${res.body.data[19].id}`,
    );
    expect(rest.body.data.map((e: any) => [e.kind, e.amount, e.balance_after])).toEqual([
      ['charge', -10, 990],
      ['grant', 1_000, 1_000],
    ]);
    expect(rest.body.has_more).toBe(false);
  });

  it.each(['0', '101', '-1', 'abc', '1.5', ''])('limit=%s → 400 naming limit', async (limit) => {
    expectInvalid(await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&limit=${limit}`), 'limit');
  });

  it('a starting_after that is not an entry of this statement → 400 naming starting_after', async () => {
    expectInvalid(
      await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&starting_after=garbage`),
      'starting_after',
    );
    const sms = (await h.call('GET', `/v1/customers/${id}/statement?balance=sms`)).body.data[0].id;
    expectInvalid(
      await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&starting_after=${sms}`),
      'starting_after',
    );
    const other = await h.newCustomer({ wallet: 100 });
    const foreign = (await h.call('GET', `/v1/customers/${other}/statement?balance=wallet`)).body.data[0].id;
    expectInvalid(
      await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&starting_after=${foreign}`),
      'starting_after',
    );
  });

  it('errors: unknown customer 404, unknown balance 422 unknown_balance, missing/malformed balance 400', async () => {
    expectError(await h.call('GET', `/v1/customers/${MISSING_CUSTOMER}/statement?balance=wallet`), 404, 'not_found');
    const unknown = await h.call('GET', `/v1/customers/${id}/statement?balance=voice`);
    expectError(unknown, 422, 'unknown_balance');
    expectInvalid(await h.call('GET', `/v1/customers/${id}/statement`), 'balance');
    expectInvalid(await h.call('GET', `/v1/customers/${id}/statement?balance=WALLET`), 'balance');
    expectInvalid(await h.call('GET', `/v1/customers/${id}/statement?balance=wallet&foo=1`), 'foo');
    expectError(await h.call('GET', '/v1/customers/cus_bad/statement?balance=wallet'), 404, 'not_found');
  });
});

describe('products configured by staff', () => {
  it('a product added later appears in /v1/products and in every customer’s balances; a disabled one does not', async () => {
    const id = await h.newCustomer({ wallet: 500 });
    await sql`INSERT INTO products (code, name) VALUES ('voice', 'Voice')`.execute(h.handle.db);
    const products = await h.call('GET', '/v1/products');
    expect(products.body.data).toContainEqual({ code: 'voice', name: 'Voice', enabled: true });
    const balances = await h.call('GET', `/v1/customers/${id}/balances`);
    expect(balances.body.data.map((b: any) => b.balance)).toEqual(['wallet', 'sms', 'voice', 'whatsapp']);
    expect(balances.body.data[2]).toEqual(zero('voice'));
    // an existing customer can use it at once
    const t = await h.post('/v1/transfers', {
      customer: id,
      from: 'wallet',
      to: 'voice',
      amount: 200,
      currency: 'USD',
    });
    expect(t.status).toBe(201);
    const st = await h.call('GET', `/v1/customers/${id}/statement?balance=voice`);
    expect(st.body.data.map((e: any) => [e.kind, e.amount, e.balance_after])).toEqual([['transfer', 200, 200]]);

    await sql`UPDATE products SET enabled = false WHERE code = 'whatsapp'`.execute(h.handle.db);
    try {
      const list = await h.call('GET', '/v1/products');
      expect(list.body.data).toContainEqual({ code: 'whatsapp', name: 'WhatsApp', enabled: false });
      const fresh = await h.post('/v1/customers', { external_id: ext(), email: 'p@example.com' });
      expect(fresh.body.balances.map((b: any) => b.balance)).toEqual(['wallet', 'sms', 'voice']);
      const g = await h.post('/v1/grants', {
        customer: fresh.body.id,
        balance: 'whatsapp',
        amount: 100,
        currency: 'USD',
        reason: 'x',
      });
      expectError(g, 422, 'unknown_balance');
    } finally {
      await sql`UPDATE products SET enabled = true WHERE code = 'whatsapp'`.execute(h.handle.db);
    }
  });
});

describe('configuration: platform currency and seeded products', () => {
  it('currency defaults to the configured platform currency', async () => {
    const res = await eur.post('/v1/customers', { external_id: ext(), email: 'e@example.com' });
    expect(res.status).toBe(201);
    expect(res.body.currency).toBe('EUR');
    expect(res.body.balances).toEqual([zero('wallet', 'EUR'), zero('voice', 'EUR')]);
    const usd = await eur.post('/v1/customers', { external_id: ext(), email: 'u@example.com', currency: 'USD' });
    expect(usd.body.currency).toBe('USD');
  });

  it('products are seeded from configuration', async () => {
    const res = await eur.call('GET', '/v1/products');
    expect(res.body).toEqual({ data: [{ code: 'voice', name: 'Voice Minutes', enabled: true }] });
  });
});
