import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupHarness } from './harness.js';
import { BAD_AMOUNTS, ISO, MAX, MISSING_CUSTOMER, expectError, expectInvalid } from './assertions.js';

const h = await setupHarness();

async function snapshot(customer: string) {
  const balances = await h.call('GET', `/v1/customers/${customer}/balances`);
  const statements: Record<string, unknown> = {};
  for (const b of ['wallet', 'sms', 'whatsapp']) {
    statements[b] = (await h.call('GET', `/v1/customers/${customer}/statement?balance=${b}&limit=100`)).body;
  }
  return { balances: balances.body, statements };
}

const grant = (customer: string, amount: unknown, extra: Record<string, unknown> = {}) => ({
  customer,
  balance: 'wallet',
  amount,
  currency: 'USD',
  reason: 'goodwill',
  ...extra,
});

const transfer = (customer: string, amount: unknown, extra: Record<string, unknown> = {}) => ({
  customer,
  from: 'wallet',
  to: 'sms',
  amount,
  currency: 'USD',
  ...extra,
});

describe('POST /v1/grants', () => {
  it('201 with the grant; the balance and the statement are credited', async () => {
    const customer = await h.newCustomer();
    const res = await h.post('/v1/grants', grant(customer, 2_000, { reason: 'welcome bonus' }), 'grant-shape');
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^grt_[0-9a-z]{26}$/),
      object: 'grant',
      customer,
      balance: 'wallet',
      amount: 2_000,
      currency: 'USD',
      reason: 'welcome bonus',
      transfer_id: expect.stringMatching(/^trf_[0-9a-z]{26}$/),
      balance_after: { posted: 2_000, held: 0, available: 2_000 },
      created_at: expect.stringMatching(ISO),
    });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 2_000, held: 0, available: 2_000 });
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(st.body).toEqual({
      data: [
        {
          id: expect.any(String),
          transfer_id: res.body.transfer_id,
          kind: 'grant',
          amount: 2_000,
          balance_after: 2_000,
          reference: 'grant-shape',
          description: 'welcome bonus',
          created_at: expect.stringMatching(ISO),
        },
      ],
      has_more: false,
    });
  });

  it('grants to a product balance; balance_after reflects existing holds', async () => {
    const customer = await h.newCustomer({ products: { whatsapp: 100 } });
    expect((await h.post('/v1/holds', { customer, balance: 'whatsapp', amount: 60, currency: 'USD' })).status).toBe(
      201,
    );
    const res = await h.post('/v1/grants', grant(customer, 50, { balance: 'whatsapp' }));
    expect(res.status).toBe(201);
    expect(res.body.balance).toBe('whatsapp');
    expect(res.body.balance_after).toEqual({ posted: 150, held: 60, available: 90 });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 0, held: 0, available: 0 });
  });

  it('amount 1 and MAX_SAFE_INTEGER are accepted', async () => {
    const a = await h.newCustomer();
    expect((await h.post('/v1/grants', grant(a, 1))).body.balance_after).toEqual({ posted: 1, held: 0, available: 1 });
    const b = await h.newCustomer();
    const big = await h.post('/v1/grants', grant(b, MAX));
    expect(big.status).toBe(201);
    expect(big.body.amount).toBe(MAX);
    expect(await h.balance(b, 'wallet')).toEqual({ posted: MAX, held: 0, available: MAX });
    // spend it all again so the balance stays within safe range for anything else
    expect((await h.post('/v1/charges', { customer: b, balance: 'wallet', amount: MAX, currency: 'USD' })).status).toBe(
      201,
    );
  });

  it.each(BAD_AMOUNTS)('amount %s → 400 naming amount; nothing changes', async (_name, amount) => {
    const customer = await h.newCustomer({ wallet: 100 });
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/grants', grant(customer, amount)), 'amount');
    expect(await snapshot(customer)).toEqual(before);
  });

  it.each([
    ['reason missing', { balance: 'wallet', amount: 10, currency: 'USD' }, 'reason'],
    ['reason empty', { balance: 'wallet', amount: 10, currency: 'USD', reason: '' }, 'reason'],
    ['reason too long', { balance: 'wallet', amount: 10, currency: 'USD', reason: 'r'.repeat(1001) }, 'reason'],
    ['customer missing', { balance: 'wallet', amount: 10, currency: 'USD', reason: 'r' }, 'customer'],
    [
      'customer malformed',
      { customer: 'cus_', balance: 'wallet', amount: 10, currency: 'USD', reason: 'r' },
      'customer',
    ],
    ['balance missing', { amount: 10, currency: 'USD', reason: 'r' }, 'balance'],
    ['currency missing', { balance: 'wallet', amount: 10, reason: 'r' }, 'currency'],
    ['currency lower case', { balance: 'wallet', amount: 10, currency: 'usd', reason: 'r' }, 'currency'],
    ['unknown field', { balance: 'wallet', amount: 10, currency: 'USD', reason: 'r', refundable: true }, 'refundable'],
  ])('%s → 400 naming the field; nothing changes', async (_name, partial, field) => {
    const customer = await h.newCustomer({ wallet: 100 });
    const body = 'customer' in partial || field === 'customer' ? partial : { customer, ...partial };
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/grants', body), field);
    expect(await snapshot(customer)).toEqual(before);
  });

  it('errors: currency_mismatch 422, unknown_balance 422, unknown customer 404 — nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 100 });
    const before = await snapshot(customer);
    const mismatch = await h.post('/v1/grants', grant(customer, 10, { currency: 'EUR' }));
    expectError(mismatch, 422, 'currency_mismatch');
    expect(mismatch.body.error.details).toMatchObject({ expected: 'USD', received: 'EUR' });
    expectError(await h.post('/v1/grants', grant(customer, 10, { balance: 'telegram' })), 422, 'unknown_balance');
    expectError(await h.post('/v1/grants', grant(MISSING_CUSTOMER, 10)), 404, 'not_found');
    expect(await snapshot(customer)).toEqual(before);
  });

  it('idempotency: missing key 400, key > 255 400, replay identical, different body 409', async () => {
    const customer = await h.newCustomer();
    expectInvalid(await h.call('POST', '/v1/grants', grant(customer, 10)), 'Idempotency-Key');
    expectInvalid(await h.post('/v1/grants', grant(customer, 10), 'g'.repeat(256)), 'Idempotency-Key');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 0, held: 0, available: 0 });
    const first = await h.post('/v1/grants', grant(customer, 10), 'grant-idem');
    expect(first.status).toBe(201);
    const replay = await h.post('/v1/grants', grant(customer, 10), 'grant-idem');
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expectError(await h.post('/v1/grants', grant(customer, 11), 'grant-idem'), 409, 'idempotency_key_reused');
    expectError(
      await h.post('/v1/grants', grant(customer, 10, { reason: 'other' }), 'grant-idem'),
      409,
      'idempotency_key_reused',
    );
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 10, held: 0, available: 10 });
  });

  it('a 422 is replayed identically', async () => {
    const customer = await h.newCustomer();
    const first = await h.post('/v1/grants', grant(customer, 10, { balance: 'nope' }), 'grant-422');
    expectError(first, 422, 'unknown_balance');
    const second = await h.post('/v1/grants', grant(customer, 10, { balance: 'nope' }), 'grant-422');
    expect(second.status).toBe(422);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
  });
});

describe('POST /v1/transfers', () => {
  it('201 moves wallet money into a product; both statements show it under one transfer id', async () => {
    const customer = await h.newCustomer({ wallet: 5_000 });
    const res = await h.post('/v1/transfers', transfer(customer, 1_800), 'trf-shape');
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^trf_[0-9a-z]{26}$/),
      object: 'transfer',
      customer,
      from: 'wallet',
      to: 'sms',
      amount: 1_800,
      currency: 'USD',
      balances_after: {
        wallet: { posted: 3_200, held: 0, available: 3_200 },
        sms: { posted: 1_800, held: 0, available: 1_800 },
      },
      created_at: expect.stringMatching(ISO),
    });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 3_200, held: 0, available: 3_200 });
    expect(await h.balance(customer, 'sms')).toEqual({ posted: 1_800, held: 0, available: 1_800 });
    const wallet = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(wallet.body.data[0]).toMatchObject({
      kind: 'transfer',
      amount: -1_800,
      balance_after: 3_200,
      transfer_id: res.body.id,
      reference: 'trf-shape',
    });
    const sms = await h.call('GET', `/v1/customers/${customer}/statement?balance=sms`);
    expect(sms.body.data).toHaveLength(1);
    expect(sms.body.data[0]).toMatchObject({
      kind: 'transfer',
      amount: 1_800,
      balance_after: 1_800,
      transfer_id: res.body.id,
      reference: 'trf-shape',
    });
    // the product balance can then be charged
    const c = await h.post('/v1/charges', { customer, balance: 'sms', amount: 1_800, currency: 'USD' });
    expect(c.status).toBe(201);
    expect(c.body.balance_after).toEqual({ posted: 0, held: 0, available: 0 });
  });

  it('to another product (whatsapp), and exactly the available amount', async () => {
    const customer = await h.newCustomer({ wallet: 900 });
    const res = await h.post('/v1/transfers', transfer(customer, 900, { to: 'whatsapp' }));
    expect(res.status).toBe(201);
    expect(res.body.balances_after).toEqual({
      wallet: { posted: 0, held: 0, available: 0 },
      whatsapp: { posted: 900, held: 0, available: 900 },
    });
  });

  it('amount 1 works; MAX_SAFE_INTEGER is valid (402 here)', async () => {
    const customer = await h.newCustomer({ wallet: 10 });
    expect((await h.post('/v1/transfers', transfer(customer, 1))).status).toBe(201);
    const big = await h.post('/v1/transfers', transfer(customer, MAX));
    expectError(big, 402, 'insufficient_funds');
    expect(big.body.error.details.available).toBe(9);
  });

  it('wallet lacks it → 402 insufficient_funds with details.available; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000, products: { sms: 50 } });
    expect((await h.post('/v1/holds', { customer, balance: 'wallet', amount: 300, currency: 'USD' })).status).toBe(201);
    const before = await snapshot(customer);
    const res = await h.post('/v1/transfers', transfer(customer, 701));
    expectError(res, 402, 'insufficient_funds');
    expect(res.body.error.details.available).toBe(700);
    expect(await snapshot(customer)).toEqual(before);
    expect((await h.post('/v1/transfers', transfer(customer, 700))).status).toBe(201);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 300, held: 300, available: 0 });
    expect(await h.balance(customer, 'sms')).toEqual({ posted: 750, held: 0, available: 750 });
  });

  it('to: "wallet" → 400 invalid_request naming to; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/transfers', transfer(customer, 10, { to: 'wallet' })), 'to');
    expect(await snapshot(customer)).toEqual(before);
  });

  it('an unknown product → 422 unknown_balance; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    const res = await h.post('/v1/transfers', transfer(customer, 10, { to: 'voice' }));
    expectError(res, 422, 'unknown_balance');
    expect(res.body.error.details.balance).toBe('voice');
    expect(await snapshot(customer)).toEqual(before);
  });

  it('from anything but "wallet" → 400 naming from', async () => {
    const customer = await h.newCustomer({ wallet: 1_000, products: { sms: 100 } });
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/transfers', transfer(customer, 10, { from: 'sms', to: 'whatsapp' })), 'from');
    expectInvalid(await h.post('/v1/transfers', { customer, to: 'sms', amount: 10, currency: 'USD' }), 'from');
    expect(await snapshot(customer)).toEqual(before);
  });

  it('errors: currency_mismatch 422, customer_frozen 403, unknown customer 404 — nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    const mismatch = await h.post('/v1/transfers', transfer(customer, 10, { currency: 'CNY' }));
    expectError(mismatch, 422, 'currency_mismatch');
    expectError(await h.post('/v1/transfers', transfer(MISSING_CUSTOMER, 10)), 404, 'not_found');
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${customer}`.execute(h.handle.db);
    expectError(await h.post('/v1/transfers', transfer(customer, 10)), 403, 'customer_frozen');
    await sql`UPDATE customers SET status = 'active' WHERE id = ${customer}`.execute(h.handle.db);
    expect(await snapshot(customer)).toEqual(before);
  });

  it.each(BAD_AMOUNTS)('amount %s → 400 naming amount; nothing changes', async (_name, amount) => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/transfers', transfer(customer, amount)), 'amount');
    expect(await snapshot(customer)).toEqual(before);
  });

  it.each([
    ['to missing', { from: 'wallet', amount: 10, currency: 'USD' }, 'to'],
    ['to malformed', { from: 'wallet', to: 'SMS', amount: 10, currency: 'USD' }, 'to'],
    ['currency missing', { from: 'wallet', to: 'sms', amount: 10 }, 'currency'],
    ['customer missing', { from: 'wallet', to: 'sms', amount: 10, currency: 'USD' }, 'customer'],
    ['unknown field', { from: 'wallet', to: 'sms', amount: 10, currency: 'USD', note: 'x' }, 'note'],
    ['balance instead of to', { from: 'wallet', balance: 'sms', amount: 10, currency: 'USD' }, 'balance'],
  ])('%s → 400 naming the field', async (_name, partial, field) => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const body = field === 'customer' ? partial : { customer, ...partial };
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/transfers', body), field);
    expect(await snapshot(customer)).toEqual(before);
  });

  it('idempotency: missing key 400, replay identical, different body 409, a 402 is replayed', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expectInvalid(await h.call('POST', '/v1/transfers', transfer(customer, 10)), 'Idempotency-Key');
    expectInvalid(await h.post('/v1/transfers', transfer(customer, 10), 't'.repeat(256)), 'Idempotency-Key');
    const first = await h.post('/v1/transfers', transfer(customer, 400), 'trf-idem');
    expect(first.status).toBe(201);
    const replay = await h.post('/v1/transfers', transfer(customer, 400), 'trf-idem');
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expectError(
      await h.post('/v1/transfers', transfer(customer, 400, { to: 'whatsapp' }), 'trf-idem'),
      409,
      'idempotency_key_reused',
    );
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 600, held: 0, available: 600 });
    expect(await h.balance(customer, 'sms')).toEqual({ posted: 400, held: 0, available: 400 });

    const poor = await h.post('/v1/transfers', transfer(customer, 601), 'trf-402');
    expectError(poor, 402, 'insufficient_funds');
    const poorAgain = await h.post('/v1/transfers', transfer(customer, 601), 'trf-402');
    expect(poorAgain.status).toBe(402);
    expect(poorAgain.headers['idempotent-replayed']).toBe('true');
    expect(poorAgain.body).toEqual(poor.body);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 600, held: 0, available: 600 });
  });

  it('a rejected to: "wallet" is not recorded: the corrected request under the same key succeeds', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expectInvalid(await h.post('/v1/transfers', transfer(customer, 10, { to: 'wallet' }), 'trf-fix'), 'to');
    const ok = await h.post('/v1/transfers', transfer(customer, 10), 'trf-fix');
    expect(ok.status).toBe(201);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
  });

  it('concurrent transfers never overdraw the wallet', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        h.post('/v1/transfers', transfer(customer, 100, { to: i % 2 ? 'sms' : 'whatsapp' }), `ptrf-${i}`),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 402)).toHaveLength(2);
    const wallet = await h.balance(customer, 'wallet');
    const sms = await h.balance(customer, 'sms');
    const whatsapp = await h.balance(customer, 'whatsapp');
    expect(wallet).toEqual({ posted: 0, held: 0, available: 0 });
    expect(sms.posted + whatsapp.posted).toBe(1_000);
  });
});

describe('balances stay within the safe-integer range', () => {
  it('a grant that would take a balance above MAX_SAFE_INTEGER → 422 amount_above_maximum; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: MAX - 10 });
    const before = await snapshot(customer);
    const res = await h.post('/v1/grants', grant(customer, 11));
    expectError(res, 422, 'amount_above_maximum');
    expect(await snapshot(customer)).toEqual(before);
    const exact = await h.post('/v1/grants', grant(customer, 10));
    expect(exact.status).toBe(201);
    expect(exact.body.balance_after).toEqual({ posted: MAX, held: 0, available: MAX });
    expectError(await h.post('/v1/grants', grant(customer, MAX)), 422, 'amount_above_maximum');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: MAX, held: 0, available: MAX });
  });

  it('a transfer that would take a product balance above MAX_SAFE_INTEGER → 422; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 5, products: { sms: MAX } });
    const before = await snapshot(customer);
    expectError(await h.post('/v1/transfers', transfer(customer, 1)), 422, 'amount_above_maximum');
    expect(await snapshot(customer)).toEqual(before);
  });
});
