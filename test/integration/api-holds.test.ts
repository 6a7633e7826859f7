import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupHarness } from './harness.js';
import { BAD_AMOUNTS, ISO, MAX, MISSING_CUSTOMER, MISSING_HOLD, expectError, expectInvalid } from './assertions.js';

const h = await setupHarness();

const HOLD_ID = /^hold_[0-9a-z]{26}$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function snapshot(customer: string) {
  const balances = await h.call('GET', `/v1/customers/${customer}/balances`);
  const wallet = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet&limit=100`);
  return { balances: balances.body, wallet: wallet.body };
}

const holdBody = (customer: string, amount: unknown, extra: Record<string, unknown> = {}) => ({
  customer,
  balance: 'wallet',
  amount,
  currency: 'USD',
  ...extra,
});

async function newHold(customer: string, amount: number, extra: Record<string, unknown> = {}) {
  const res = await h.post('/v1/holds', holdBody(customer, amount, extra));
  expect(res.status).toBe(201);
  return res.body;
}

describe('POST /v1/holds', () => {
  it('201 with the documented shape; held grows, posted does not, statement untouched', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const before = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    const t0 = Date.now();
    const res = await h.post('/v1/holds', holdBody(customer, 2_500, { description: 'call #1' }));
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      id: expect.stringMatching(HOLD_ID),
      object: 'hold',
      customer,
      balance: 'wallet',
      amount: 2_500,
      currency: 'USD',
      captured_amount: 0,
      status: 'active',
      description: 'call #1',
      expires_at: expect.stringMatching(ISO),
      created_at: expect.stringMatching(ISO),
      closed_at: null,
      balance_after: { posted: 10_000, held: 2_500, available: 7_500 },
    });
    // default expiry: 3600 s
    const lifetime = Date.parse(res.body.expires_at) - Date.parse(res.body.created_at);
    expect(lifetime).toBeGreaterThanOrEqual(3_600_000 - 1_000);
    expect(lifetime).toBeLessThanOrEqual(3_600_000 + 1_000);
    expect(Math.abs(Date.parse(res.body.created_at) - t0)).toBeLessThan(60_000);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 10_000, held: 2_500, available: 7_500 });
    const after = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(after.body).toEqual(before.body);
  });

  it('description defaults to null', async () => {
    const customer = await h.newCustomer({ wallet: 100 });
    expect((await newHold(customer, 10)).description).toBeNull();
  });

  it('several holds add up in held; available = posted − held', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    await newHold(customer, 100);
    await newHold(customer, 200);
    const third = await newHold(customer, 300);
    expect(third.balance_after).toEqual({ posted: 1_000, held: 600, available: 400 });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 600, available: 400 });
  });

  it('holds on a product balance', async () => {
    const customer = await h.newCustomer({ wallet: 1_000, products: { whatsapp: 300 } });
    const hold = await newHold(customer, 300, { balance: 'whatsapp' });
    expect(hold.balance).toBe('whatsapp');
    expect(await h.balance(customer, 'whatsapp')).toEqual({ posted: 300, held: 300, available: 0 });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('expires_in_seconds: 604800 (the maximum) is accepted, 1 is accepted', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const week = await newHold(customer, 10, { expires_in_seconds: 604_800 });
    const lifetime = Date.parse(week.expires_at) - Date.parse(week.created_at);
    expect(Math.abs(lifetime - 604_800_000)).toBeLessThanOrEqual(1_000);
    const short = await newHold(customer, 10, { expires_in_seconds: 1 });
    expect(Math.abs(Date.parse(short.expires_at) - Date.parse(short.created_at) - 1_000)).toBeLessThanOrEqual(1_000);
    const custom = await newHold(customer, 10, { expires_in_seconds: 90 });
    expect(Math.abs(Date.parse(custom.expires_at) - Date.parse(custom.created_at) - 90_000)).toBeLessThanOrEqual(1_000);
  });

  it.each([
    ['604801', 604_801],
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['"60" (a string)', '60'],
    ['null', null],
    ['true', true],
  ])('expires_in_seconds %s → 400 naming expires_in_seconds; nothing changes', async (_name, value) => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    expectInvalid(
      await h.post('/v1/holds', holdBody(customer, 10, { expires_in_seconds: value })),
      'expires_in_seconds',
    );
    expect(await snapshot(customer)).toEqual(before);
  });

  it('exactly the available amount can be held; available + 1 → 402 with details.available; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    await newHold(customer, 400);
    const before = await snapshot(customer);
    const tooMuch = await h.post('/v1/holds', holdBody(customer, 601));
    expectError(tooMuch, 402, 'insufficient_funds');
    expect(tooMuch.body.error.details.available).toBe(600);
    expect(await snapshot(customer)).toEqual(before);
    const exact = await h.post('/v1/holds', holdBody(customer, 600));
    expect(exact.status).toBe(201);
    expect(exact.body.balance_after).toEqual({ posted: 1_000, held: 1_000, available: 0 });
    const none = await h.post('/v1/holds', holdBody(customer, 1));
    expectError(none, 402, 'insufficient_funds');
    expect(none.body.error.details.available).toBe(0);
  });

  it('amount 1 is accepted; MAX_SAFE_INTEGER is valid (402 here)', async () => {
    const customer = await h.newCustomer({ wallet: 50 });
    expect((await h.post('/v1/holds', holdBody(customer, 1))).status).toBe(201);
    const big = await h.post('/v1/holds', holdBody(customer, MAX));
    expectError(big, 402, 'insufficient_funds');
    expect(big.body.error.details.available).toBe(49);
  });

  it.each(BAD_AMOUNTS)('amount %s → 400 naming amount; nothing changes', async (_name, amount) => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/holds', holdBody(customer, amount)), 'amount');
    expect(await snapshot(customer)).toEqual(before);
  });

  it('errors: currency_mismatch 422, customer_frozen 403, unknown customer 404, unknown balance 422 — nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    const mismatch = await h.post('/v1/holds', holdBody(customer, 10, { currency: 'GBP' }));
    expectError(mismatch, 422, 'currency_mismatch');
    expect(mismatch.body.error.details).toMatchObject({ expected: 'USD', received: 'GBP' });
    expectError(await h.post('/v1/holds', holdBody(customer, 10, { balance: 'fax' })), 422, 'unknown_balance');
    expectError(await h.post('/v1/holds', holdBody(MISSING_CUSTOMER, 10)), 404, 'not_found');
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${customer}`.execute(h.handle.db);
    expectError(await h.post('/v1/holds', holdBody(customer, 10)), 403, 'customer_frozen');
    await sql`UPDATE customers SET status = 'active' WHERE id = ${customer}`.execute(h.handle.db);
    expect(await snapshot(customer)).toEqual(before);
  });

  it.each([
    ['customer missing', { balance: 'wallet', amount: 10, currency: 'USD' }, 'customer'],
    ['customer malformed', { customer: 'cus_1', balance: 'wallet', amount: 10, currency: 'USD' }, 'customer'],
    ['balance missing', { amount: 10, currency: 'USD' }, 'balance'],
    ['amount missing', { balance: 'wallet', currency: 'USD' }, 'amount'],
    ['currency missing', { balance: 'wallet', amount: 10 }, 'currency'],
    ['unknown field', { balance: 'wallet', amount: 10, currency: 'USD', capture: true }, 'capture'],
    [
      'description too long',
      { balance: 'wallet', amount: 10, currency: 'USD', description: 'x'.repeat(1001) },
      'description',
    ],
    ['metadata (not accepted on holds)', { balance: 'wallet', amount: 10, currency: 'USD', metadata: {} }, 'metadata'],
  ])('%s → 400 naming the field', async (_name, partial, field) => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const body = 'customer' in partial || field === 'customer' ? partial : { customer, ...partial };
    expectInvalid(await h.post('/v1/holds', body), field);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('a missing Idempotency-Key → 400; a 256-character key → 400', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expectInvalid(await h.call('POST', '/v1/holds', holdBody(customer, 10)), 'Idempotency-Key');
    expectInvalid(await h.post('/v1/holds', holdBody(customer, 10), 'h'.repeat(256)), 'Idempotency-Key');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
    expect((await h.post('/v1/holds', holdBody(customer, 10), 'h'.repeat(255))).status).toBe(201);
  });

  it('a replay returns the identical 201 with Idempotent-Replayed and holds once', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const first = await h.post('/v1/holds', holdBody(customer, 250, { expires_in_seconds: 600 }), 'hold-replay');
    expect(first.status).toBe(201);
    const second = await h.post('/v1/holds', holdBody(customer, 250, { expires_in_seconds: 600 }), 'hold-replay');
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 250, available: 750 });
  });

  it('the same key with a different body → 409 idempotency_key_reused; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expect((await h.post('/v1/holds', holdBody(customer, 250), 'hold-reuse')).status).toBe(201);
    const before = await snapshot(customer);
    expectError(await h.post('/v1/holds', holdBody(customer, 251), 'hold-reuse'), 409, 'idempotency_key_reused');
    expectError(
      await h.post('/v1/holds', holdBody(customer, 250, { expires_in_seconds: 60 }), 'hold-reuse'),
      409,
      'idempotency_key_reused',
    );
    expect(await snapshot(customer)).toEqual(before);
  });

  it('a 402 is replayed as the same 402', async () => {
    const customer = await h.newCustomer({ wallet: 10 });
    const first = await h.post('/v1/holds', holdBody(customer, 11), 'hold-402');
    expectError(first, 402, 'insufficient_funds');
    const second = await h.post('/v1/holds', holdBody(customer, 11), 'hold-402');
    expect(second.status).toBe(402);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
  });
});

describe('GET /v1/holds/{id}', () => {
  it('returns the hold (without balance_after)', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const created = await newHold(customer, 100, { description: 'd' });
    const res = await h.call('GET', `/v1/holds/${created.id}`);
    expect(res.status).toBe(200);
    const { balance_after: _ignored, ...rest } = created;
    expect(res.body).toEqual(rest);
  });

  it('unknown hold → 404 not_found; malformed id → 404 too', async () => {
    expectError(await h.call('GET', `/v1/holds/${MISSING_HOLD}`), 404, 'not_found');
    expectError(await h.call('GET', '/v1/holds/hold_123'), 404, 'not_found');
    expectError(await h.call('GET', '/v1/holds/cus_00000000000000000000000000'), 404, 'not_found');
  });
});

describe('POST /v1/holds/{id}/capture', () => {
  it('captures all of it by default: 200 captured; posted and held both drop; statement shows the capture', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 300, { description: 'job' });
    const res = await h.post(`/v1/holds/${hold.id}/capture`, {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...hold,
      status: 'captured',
      captured_amount: 300,
      closed_at: expect.stringMatching(ISO),
      balance_after: { posted: 700, held: 0, available: 700 },
    });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 700, held: 0, available: 700 });
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(st.body.data[0]).toMatchObject({ kind: 'capture', amount: -300, balance_after: 700, reference: hold.id });
    const got = await h.call('GET', `/v1/holds/${hold.id}`);
    expect(got.body).toMatchObject({ status: 'captured', captured_amount: 300, closed_at: res.body.closed_at });
  });

  it('with no body at all, captures all', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 300);
    const res = await h.post(`/v1/holds/${hold.id}/capture`, undefined);
    expect(res.status).toBe(200);
    expect(res.body.captured_amount).toBe(300);
  });

  it('with amount equal to the hold amount, captures all', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 300);
    const res = await h.post(`/v1/holds/${hold.id}/capture`, { amount: 300 });
    expect(res.status).toBe(200);
    expect(res.body.captured_amount).toBe(300);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 700, held: 0, available: 700 });
  });

  it('partial capture: only that amount is charged, the rest is released', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    await newHold(customer, 100); // an unrelated hold stays
    const hold = await newHold(customer, 500);
    const res = await h.post(`/v1/holds/${hold.id}/capture`, { amount: 120 });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('captured');
    expect(res.body.captured_amount).toBe(120);
    expect(res.body.amount).toBe(500);
    expect(res.body.balance_after).toEqual({ posted: 880, held: 100, available: 780 });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 880, held: 100, available: 780 });
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(st.body.data.map((e: any) => [e.kind, e.amount, e.balance_after])).toEqual([
      ['capture', -120, 880],
      ['grant', 1_000, 1_000],
    ]);
  });

  it('capture of 1 works', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 500);
    const res = await h.post(`/v1/holds/${hold.id}/capture`, { amount: 1 });
    expect(res.status).toBe(200);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 999, held: 0, available: 999 });
  });

  it('more than the hold amount → 400 naming amount; the hold stays active and nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 500);
    const before = await snapshot(customer);
    expectInvalid(await h.post(`/v1/holds/${hold.id}/capture`, { amount: 501 }), 'amount');
    expectInvalid(await h.post(`/v1/holds/${hold.id}/capture`, { amount: MAX }), 'amount');
    expect(await snapshot(customer)).toEqual(before);
    expect((await h.call('GET', `/v1/holds/${hold.id}`)).body.status).toBe('active');
    expect((await h.post(`/v1/holds/${hold.id}/capture`, { amount: 500 })).status).toBe(200);
  });

  it.each(BAD_AMOUNTS)('amount %s → 400 naming amount; the hold stays active', async (_name, amount) => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 500);
    expectInvalid(await h.post(`/v1/holds/${hold.id}/capture`, { amount }), 'amount');
    expect((await h.call('GET', `/v1/holds/${hold.id}`)).body.status).toBe('active');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 500, available: 500 });
  });

  it('an unknown field → 400 naming it', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 500);
    expectInvalid(await h.post(`/v1/holds/${hold.id}/capture`, { amount: 10, final: true }), 'final');
    expect((await h.call('GET', `/v1/holds/${hold.id}`)).body.status).toBe('active');
  });

  it('capture twice → 409 hold_not_active; void after capture → 409', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 200);
    expect((await h.post(`/v1/holds/${hold.id}/capture`, {})).status).toBe(200);
    const before = await snapshot(customer);
    const again = await h.post(`/v1/holds/${hold.id}/capture`, {});
    expectError(again, 409, 'hold_not_active');
    expect(again.body.error.details.status).toBe('captured');
    expectError(await h.post(`/v1/holds/${hold.id}/capture`, undefined), 409, 'hold_not_active');
    expectError(await h.post(`/v1/holds/${hold.id}/void`, undefined), 409, 'hold_not_active');
    expect(await snapshot(customer)).toEqual(before);
  });

  it('capture replay with the same key → identical 200 with Idempotent-Replayed; different body → 409 reused', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 200);
    const first = await h.post(`/v1/holds/${hold.id}/capture`, { amount: 150 }, 'cap-1');
    expect(first.status).toBe(200);
    const second = await h.post(`/v1/holds/${hold.id}/capture`, { amount: 150 }, 'cap-1');
    expect(second.status).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expectError(await h.post(`/v1/holds/${hold.id}/capture`, { amount: 100 }, 'cap-1'), 409, 'idempotency_key_reused');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 850, held: 0, available: 850 });
  });

  it('unknown hold → 404; malformed hold id → 404', async () => {
    expectError(await h.post(`/v1/holds/${MISSING_HOLD}/capture`, {}), 404, 'not_found');
    expectError(await h.post('/v1/holds/hold_x/capture', {}), 404, 'not_found');
  });
});

describe('POST /v1/holds/{id}/void', () => {
  it('200 voided; the money is released; nothing is posted', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 400);
    const res = await h.post(`/v1/holds/${hold.id}/void`, undefined);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...hold,
      status: 'voided',
      captured_amount: 0,
      closed_at: expect.stringMatching(ISO),
      balance_after: { posted: 1_000, held: 0, available: 1_000 },
    });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(st.body.data.map((e: any) => e.kind)).toEqual(['grant']);
    expect((await h.call('GET', `/v1/holds/${hold.id}`)).body.status).toBe('voided');
  });

  it('accepts an empty JSON object as body; refuses unknown fields', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 400);
    expectInvalid(await h.post(`/v1/holds/${hold.id}/void`, { reason: 'x' }), 'reason');
    expect((await h.call('GET', `/v1/holds/${hold.id}`)).body.status).toBe('active');
    expect((await h.post(`/v1/holds/${hold.id}/void`, {})).status).toBe(200);
  });

  it('void twice → 409 hold_not_active; capture after void → 409', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 400);
    expect((await h.post(`/v1/holds/${hold.id}/void`, undefined)).status).toBe(200);
    const again = await h.post(`/v1/holds/${hold.id}/void`, undefined);
    expectError(again, 409, 'hold_not_active');
    expect(again.body.error.details.status).toBe('voided');
    expectError(await h.post(`/v1/holds/${hold.id}/capture`, {}), 409, 'hold_not_active');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('void replay with the same key → identical 200 with Idempotent-Replayed', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 400);
    const first = await h.post(`/v1/holds/${hold.id}/void`, undefined, 'void-1');
    const second = await h.post(`/v1/holds/${hold.id}/void`, undefined, 'void-1');
    expect(second.status).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
  });

  it('unknown hold → 404; malformed id → 404', async () => {
    expectError(await h.post(`/v1/holds/${MISSING_HOLD}/void`, undefined), 404, 'not_found');
    expectError(await h.post('/v1/holds/nope/void', undefined), 404, 'not_found');
  });
});

describe('expired holds', () => {
  it('an expired hold reads "expired", holds nothing, and cannot be captured or voided', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const longHold = await newHold(customer, 100);
    const hold = await newHold(customer, 600, { expires_in_seconds: 1 });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 700, available: 300 });
    await sleep(1_200);

    const got = await h.call('GET', `/v1/holds/${hold.id}`);
    expect(got.status).toBe(200);
    expect(got.body.status).toBe('expired');
    expect(got.body.captured_amount).toBe(0);
    expect(got.body.closed_at).toMatch(ISO);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 100, available: 900 });
    const customerView = await h.call('GET', `/v1/customers/${customer}`);
    expect(customerView.body.balances[0]).toEqual({
      balance: 'wallet',
      currency: 'USD',
      posted: 1_000,
      held: 100,
      available: 900,
    });

    const cap = await h.post(`/v1/holds/${hold.id}/capture`, {});
    expectError(cap, 409, 'hold_not_active');
    expect(cap.body.error.details.status).toBe('expired');
    expectError(await h.post(`/v1/holds/${hold.id}/capture`, { amount: 1 }), 409, 'hold_not_active');
    expectError(await h.post(`/v1/holds/${hold.id}/void`, undefined), 409, 'hold_not_active');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 100, available: 900 });
    expect((await h.call('GET', `/v1/holds/${hold.id}`)).body.status).toBe('expired');

    // The released money can be held again; the other hold is still active.
    expect((await h.post('/v1/holds', holdBody(customer, 900))).status).toBe(201);
    expect((await h.call('GET', `/v1/holds/${longHold.id}`)).body.status).toBe('active');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 1_000, available: 0 });
    // Nothing was ever posted for the expired hold.
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(st.body.data.map((e: any) => e.kind)).toEqual(['grant']);
  });
});

describe('holds under concurrency', () => {
  it('concurrent captures and voids of one hold: exactly one wins, the rest get 409 hold_not_active', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 600);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2
          ? h.post(`/v1/holds/${hold.id}/void`, undefined)
          : h.post(`/v1/holds/${hold.id}/capture`, { amount: 100 + i }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expectError(r, 409, 'hold_not_active');
    const final = (await h.call('GET', `/v1/holds/${hold.id}`)).body;
    expect(final.status).toBe(ok[0].body.status);
    const captured = final.status === 'captured' ? final.captured_amount : 0;
    expect(await h.balance(customer, 'wallet')).toEqual({
      posted: 1_000 - captured,
      held: 0,
      available: 1_000 - captured,
    });
  });

  it('concurrent creates with one key and body make one hold', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const results = await Promise.all(
      Array.from({ length: 10 }, () => h.post('/v1/holds', holdBody(customer, 300), 'hold-same-key')),
    );
    const created = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] !== 'true');
    expect(created).toHaveLength(1);
    for (const r of results) {
      if (r.status === 201) expect(r.body).toEqual(created[0].body);
      else expectError(r, 409, 'idempotency_key_in_use');
    }
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 300, available: 700 });
  });

  it('concurrent holds and charges on one balance never overdraw', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.post(
          i % 2 ? '/v1/holds' : '/v1/charges',
          { customer, balance: 'wallet', amount: 100, currency: 'USD' },
          `mix-${i}`,
        ),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 402)).toHaveLength(10);
    const b = await h.balance(customer, 'wallet');
    expect(b.available).toBe(0);
    expect(b.posted - b.held).toBe(0);
  });
});
