import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupHarness } from './harness.js';
import { ISO, MAX, MISSING_CUSTOMER, expectError, expectInvalid } from './assertions.js';

const h = await setupHarness();

/** Balances and the wallet/sms statements: what "nothing changed" compares. */
async function snapshot(customer: string) {
  const balances = await h.call('GET', `/v1/customers/${customer}/balances`);
  const wallet = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet&limit=100`);
  const sms = await h.call('GET', `/v1/customers/${customer}/statement?balance=sms&limit=100`);
  return { balances: balances.body, wallet: wallet.body, sms: sms.body };
}

const charge = (customer: string, amount: unknown, extra: Record<string, unknown> = {}) => ({
  customer,
  balance: 'wallet',
  amount,
  currency: 'USD',
  ...extra,
});

describe('POST /v1/charges: success', () => {
  it('201 with the documented shape; the balance and the statement move', async () => {
    const customer = await h.newCustomer({ wallet: 10_000 });
    const res = await h.post('/v1/charges', charge(customer, 1_250), 'chg-shape');
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.body).toEqual({
      id: expect.stringMatching(/^chg_[0-9a-z]{26}$/),
      object: 'charge',
      customer,
      balance: 'wallet',
      amount: 1_250,
      currency: 'USD',
      status: 'succeeded',
      description: null,
      metadata: null,
      transfer_id: expect.stringMatching(/^trf_[0-9a-z]{26}$/),
      balance_after: { posted: 8_750, held: 0, available: 8_750 },
      created_at: expect.stringMatching(ISO),
    });
    expect(Math.abs(Date.parse(res.body.created_at) - Date.now())).toBeLessThan(60_000);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 8_750, held: 0, available: 8_750 });
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(st.body.data[0]).toMatchObject({
      kind: 'charge',
      amount: -1_250,
      balance_after: 8_750,
      transfer_id: res.body.transfer_id,
      reference: 'chg-shape',
    });
    expect(st.body.data).toHaveLength(2);
  });

  it('echoes description and metadata', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const metadata = { job: 'batch-7', count: 3, ok: true, none: null };
    const res = await h.post('/v1/charges', charge(customer, 10, { description: '3 SMS to +1…', metadata }));
    expect(res.status).toBe(201);
    expect(res.body.description).toBe('3 SMS to +1…');
    expect(res.body.metadata).toEqual(metadata);
  });

  it('charges a product balance, leaving the wallet alone', async () => {
    const customer = await h.newCustomer({ wallet: 1_000, products: { sms: 500 } });
    const res = await h.post('/v1/charges', { customer, balance: 'sms', amount: 120, currency: 'USD' });
    expect(res.status).toBe(201);
    expect(res.body.balance).toBe('sms');
    expect(res.body.balance_after).toEqual({ posted: 380, held: 0, available: 380 });
    expect(await h.balance(customer, 'sms')).toEqual({ posted: 380, held: 0, available: 380 });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('charges in the customer’s own (non-USD) currency', async () => {
    const customer = await h.newCustomer({ currency: 'JPY', wallet: 500 });
    const res = await h.post('/v1/charges', { customer, balance: 'wallet', amount: 499, currency: 'JPY' });
    expect(res.status).toBe(201);
    expect(res.body.currency).toBe('JPY');
    expect(res.body.balance_after).toEqual({ posted: 1, held: 0, available: 1 });
  });

  it('successive charges each report the running balance', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const afters: number[] = [];
    for (const amount of [100, 200, 300])
      afters.push((await h.post('/v1/charges', charge(customer, amount))).body.balance_after.posted);
    expect(afters).toEqual([900, 700, 400]);
  });
});

describe('POST /v1/charges: amounts at the boundaries', () => {
  it('amount 1 is accepted', async () => {
    const customer = await h.newCustomer({ wallet: 1 });
    const res = await h.post('/v1/charges', charge(customer, 1));
    expect(res.status).toBe(201);
    expect(res.body.balance_after).toEqual({ posted: 0, held: 0, available: 0 });
  });

  it('exactly the available amount succeeds and leaves 0', async () => {
    const customer = await h.newCustomer({ wallet: 777 });
    const res = await h.post('/v1/charges', charge(customer, 777));
    expect(res.status).toBe(201);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 0, held: 0, available: 0 });
  });

  it('available + 1 → 402 insufficient_funds with details.available; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 777 });
    const before = await snapshot(customer);
    const res = await h.post('/v1/charges', charge(customer, 778));
    expectError(res, 402, 'insufficient_funds');
    expect(res.body.error.details.available).toBe(777);
    expect(res.body.error.details.currency).toBe('USD');
    expect(await snapshot(customer)).toEqual(before);
  });

  it('available is posted − held: a hold reduces what can be charged', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expect((await h.post('/v1/holds', { customer, balance: 'wallet', amount: 400, currency: 'USD' })).status).toBe(201);
    const tooMuch = await h.post('/v1/charges', charge(customer, 601));
    expectError(tooMuch, 402, 'insufficient_funds');
    expect(tooMuch.body.error.details.available).toBe(600);
    const exact = await h.post('/v1/charges', charge(customer, 600));
    expect(exact.status).toBe(201);
    expect(exact.body.balance_after).toEqual({ posted: 400, held: 400, available: 0 });
  });

  it('an empty balance → 402 with available 0', async () => {
    const customer = await h.newCustomer();
    const res = await h.post('/v1/charges', charge(customer, 1));
    expectError(res, 402, 'insufficient_funds');
    expect(res.body.error.details.available).toBe(0);
  });

  it('Number.MAX_SAFE_INTEGER is a valid amount (402 here, not 400)', async () => {
    const customer = await h.newCustomer({ wallet: 100 });
    const res = await h.post('/v1/charges', charge(customer, MAX));
    expectError(res, 402, 'insufficient_funds');
    expect(res.body.error.details.available).toBe(100);
  });

  it('Number.MAX_SAFE_INTEGER can be charged when it is available', async () => {
    const customer = await h.newCustomer({ wallet: MAX });
    const res = await h.post('/v1/charges', charge(customer, MAX));
    expect(res.status).toBe(201);
    expect(res.body.amount).toBe(MAX);
    expect(res.body.balance_after).toEqual({ posted: 0, held: 0, available: 0 });
  });

  it.each([
    ['MAX_SAFE_INTEGER + 1', MAX + 1],
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['"100" (a string)', '100'],
    ['null', null],
    ['true', true],
    ['an object', { value: 100 }],
    ['an array', [100]],
    ['1e30', 1e30],
  ])('amount %s → 400 invalid_request naming amount; nothing changes', async (_name, amount) => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/charges', charge(customer, amount)), 'amount');
    expect(await snapshot(customer)).toEqual(before);
  });

  it('a raw JSON amount of 9007199254740993 → 400', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const raw = `{"customer":"${customer}","balance":"wallet","amount":9007199254740993,"currency":"USD"}`;
    const res = await h.call('POST', '/v1/charges', raw, { 'idempotency-key': 'raw-big' });
    expectInvalid(res, 'amount');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });
});

describe('POST /v1/charges: errors', () => {
  it('a different currency → 422 currency_mismatch; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    const res = await h.post('/v1/charges', charge(customer, 10, { currency: 'EUR' }));
    expectError(res, 422, 'currency_mismatch');
    expect(res.body.error.details).toMatchObject({ expected: 'USD', received: 'EUR' });
    expect(await snapshot(customer)).toEqual(before);
  });

  it('currency mismatch is decided before funds (a too-large amount in the wrong currency is still 422)', async () => {
    const customer = await h.newCustomer({ wallet: 10 });
    expectError(await h.post('/v1/charges', charge(customer, 1_000, { currency: 'CNY' })), 422, 'currency_mismatch');
  });

  it('a frozen customer → 403 customer_frozen; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000, products: { sms: 100 } });
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${customer}`.execute(h.handle.db);
    const before = await snapshot(customer);
    expectError(await h.post('/v1/charges', charge(customer, 10)), 403, 'customer_frozen');
    expectError(
      await h.post('/v1/charges', { customer, balance: 'sms', amount: 10, currency: 'USD' }),
      403,
      'customer_frozen',
    );
    expect(await snapshot(customer)).toEqual(before);
    await sql`UPDATE customers SET status = 'active' WHERE id = ${customer}`.execute(h.handle.db);
    expect((await h.post('/v1/charges', charge(customer, 10))).status).toBe(201);
  });

  it('an unknown (well-formed) customer → 404 not_found', async () => {
    expectError(await h.post('/v1/charges', charge(MISSING_CUSTOMER, 10)), 404, 'not_found');
  });

  it('a malformed customer id → 400 naming customer', async () => {
    expectInvalid(await h.post('/v1/charges', charge('cus_nope', 10)), 'customer');
    expectInvalid(await h.post('/v1/charges', charge('', 10)), 'customer');
  });

  it('an unknown balance → 422 unknown_balance; a malformed one → 400', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    const res = await h.post('/v1/charges', { customer, balance: 'voice', amount: 10, currency: 'USD' });
    expectError(res, 422, 'unknown_balance');
    expectInvalid(await h.post('/v1/charges', { customer, balance: 'Wallet', amount: 10, currency: 'USD' }), 'balance');
    expect(await snapshot(customer)).toEqual(before);
  });

  it.each([
    ['customer missing', { balance: 'wallet', amount: 10, currency: 'USD' }, 'customer'],
    ['balance missing', { amount: 10, currency: 'USD' }, 'balance'],
    ['amount missing', { balance: 'wallet', currency: 'USD' }, 'amount'],
    ['currency missing', { balance: 'wallet', amount: 10 }, 'currency'],
    ['currency lower case', { balance: 'wallet', amount: 10, currency: 'usd' }, 'currency'],
    ['currency a number', { balance: 'wallet', amount: 10, currency: 840 }, 'currency'],
    ['unknown field', { balance: 'wallet', amount: 10, currency: 'USD', memo: 'x' }, 'memo'],
    [
      'description too long',
      { balance: 'wallet', amount: 10, currency: 'USD', description: 'd'.repeat(1001) },
      'description',
    ],
    ['description a number', { balance: 'wallet', amount: 10, currency: 'USD', description: 5 }, 'description'],
    ['metadata an array', { balance: 'wallet', amount: 10, currency: 'USD', metadata: ['a'] }, 'metadata'],
    [
      'metadata nested object',
      { balance: 'wallet', amount: 10, currency: 'USD', metadata: { a: { b: 1 } } },
      'metadata.a',
    ],
    [
      'metadata value too long',
      { balance: 'wallet', amount: 10, currency: 'USD', metadata: { a: 'v'.repeat(501) } },
      'metadata.a',
    ],
    [
      'metadata with 51 keys',
      {
        balance: 'wallet',
        amount: 10,
        currency: 'USD',
        metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
      },
      'metadata',
    ],
  ])('%s → 400 naming the field; nothing changes', async (_name, partial, field) => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const body = 'customer' in partial || field === 'customer' ? partial : { customer, ...partial };
    const before = await snapshot(customer);
    expectInvalid(await h.post('/v1/charges', body), field);
    expect(await snapshot(customer)).toEqual(before);
  });

  it('metadata key longer than 40 characters → 400 (40 is fine)', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expectInvalid(await h.post('/v1/charges', charge(customer, 10, { metadata: { ['k'.repeat(41)]: 1 } })), 'metadata');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
    const ok = await h.post('/v1/charges', charge(customer, 10, { metadata: { ['k'.repeat(40)]: 1 } }));
    expect(ok.status).toBe(201);
  });

  it('description of exactly 1000 characters and 50 metadata keys are accepted', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const metadata = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'.repeat(500)]));
    const res = await h.post('/v1/charges', charge(customer, 10, { description: 'd'.repeat(1000), metadata }));
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual(metadata);
  });
});

describe('POST /v1/charges: idempotency', () => {
  it('a missing Idempotency-Key → 400 naming it; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const res = await h.call('POST', '/v1/charges', charge(customer, 10));
    expectInvalid(res, 'Idempotency-Key');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('a key of 256 characters → 400; 255 characters is fine; an empty key → 400', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expectInvalid(await h.post('/v1/charges', charge(customer, 10), 'k'.repeat(256)), 'Idempotency-Key');
    expectInvalid(await h.post('/v1/charges', charge(customer, 10), ''), 'Idempotency-Key');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
    const ok = await h.post('/v1/charges', charge(customer, 10), 'k'.repeat(255));
    expect(ok.status).toBe(201);
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet&limit=1`);
    expect(st.body.data[0].reference).toBe('k'.repeat(255));
  });

  it('a replay returns the identical status and body with Idempotent-Replayed: true and charges once', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const body = charge(customer, 300, { description: 'once', metadata: { a: 1 } });
    const first = await h.post('/v1/charges', body, 'chg-replay');
    expect(first.status).toBe(201);
    const second = await h.post('/v1/charges', body, 'chg-replay');
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    // key order in the body does not matter
    const reordered = {
      metadata: { a: 1 },
      description: 'once',
      currency: 'USD',
      amount: 300,
      balance: 'wallet',
      customer,
    };
    const third = await h.post('/v1/charges', reordered, 'chg-replay');
    expect(third.status).toBe(201);
    expect(third.headers['idempotent-replayed']).toBe('true');
    expect(third.body).toEqual(first.body);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 700, held: 0, available: 700 });
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    expect(st.body.data.filter((e: any) => e.kind === 'charge')).toHaveLength(1);
  });

  it('the same key with a different body → 409 idempotency_key_reused; nothing changes', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expect((await h.post('/v1/charges', charge(customer, 300), 'chg-reuse')).status).toBe(201);
    const before = await snapshot(customer);
    expectError(await h.post('/v1/charges', charge(customer, 301), 'chg-reuse'), 409, 'idempotency_key_reused');
    expectError(
      await h.post('/v1/charges', charge(customer, 300, { description: 'x' }), 'chg-reuse'),
      409,
      'idempotency_key_reused',
    );
    expectError(
      await h.post('/v1/charges', { customer, balance: 'sms', amount: 300, currency: 'USD' }, 'chg-reuse'),
      409,
      'idempotency_key_reused',
    );
    expect(await snapshot(customer)).toEqual(before);
  });

  it('a key used on another endpoint → 409 idempotency_key_reused', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expect(
      (await h.post('/v1/holds', { customer, balance: 'wallet', amount: 100, currency: 'USD' }, 'cross-endpoint'))
        .status,
    ).toBe(201);
    expectError(await h.post('/v1/charges', charge(customer, 100), 'cross-endpoint'), 409, 'idempotency_key_reused');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 100, available: 900 });
  });

  it('a 402 is replayed as the same 402 even after funds arrive', async () => {
    const customer = await h.newCustomer({ wallet: 100 });
    const first = await h.post('/v1/charges', charge(customer, 500), 'chg-402');
    expectError(first, 402, 'insufficient_funds');
    await h.post('/v1/grants', { customer, balance: 'wallet', amount: 1_000, currency: 'USD', reason: 'top up' });
    const second = await h.post('/v1/charges', charge(customer, 500), 'chg-402');
    expect(second.status).toBe(402);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_100, held: 0, available: 1_100 });
  });

  it('a 422 currency_mismatch is replayed identically', async () => {
    const customer = await h.newCustomer({ wallet: 100 });
    const first = await h.post('/v1/charges', charge(customer, 5, { currency: 'EUR' }), 'chg-422');
    expectError(first, 422, 'currency_mismatch');
    const second = await h.post('/v1/charges', charge(customer, 5, { currency: 'EUR' }), 'chg-422');
    expect(second.status).toBe(422);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
  });

  it('a 400 is not recorded: the corrected request under the same key succeeds', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    expectInvalid(await h.post('/v1/charges', charge(customer, '100'), 'chg-fixed'), 'amount');
    const ok = await h.post('/v1/charges', charge(customer, 100), 'chg-fixed');
    expect(ok.status).toBe(201);
    expect(ok.headers['idempotent-replayed']).toBeUndefined();
  });

  it('different keys with the same body are two charges', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const a = await h.post('/v1/charges', charge(customer, 100), 'two-a');
    const b = await h.post('/v1/charges', charge(customer, 100), 'two-b');
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 800, held: 0, available: 800 });
  });

  it('concurrent charges on one balance with distinct keys never overdraw and each gets its own answer', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => h.post('/v1/charges', charge(customer, 70), `par-${i}`)),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(14); // 14 × 70 = 980
    expect(results.filter((r) => r.status === 402)).toHaveLength(16);
    expect(new Set(ok.map((r) => r.body.id)).size).toBe(14);
    expect(ok.map((r) => r.body.balance_after.posted).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 14 }, (_, i) => 20 + 70 * i),
    );
    for (const r of results.filter((x) => x.status === 402)) expect(r.body.error.details.available).toBe(20);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 20, held: 0, available: 20 });
  });
});

describe('POST /v1/charges: expired holds', () => {
  it('an expired hold no longer blocks a charge', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await h.post('/v1/holds', {
      customer,
      balance: 'wallet',
      amount: 1_000,
      currency: 'USD',
      expires_in_seconds: 1,
    });
    expect(hold.status).toBe(201);
    expectError(await h.post('/v1/charges', charge(customer, 1)), 402, 'insufficient_funds');
    await new Promise((r) => setTimeout(r, 1_200));
    const res = await h.post('/v1/charges', charge(customer, 1_000));
    expect(res.status).toBe(201);
    expect(res.body.balance_after).toEqual({ posted: 0, held: 0, available: 0 });
    expect((await h.call('GET', `/v1/holds/${hold.body.id}`)).body.status).toBe('expired');
  });
});

describe('POST /v1/charges: unknown balance and products added later', () => {
  it('a charge to an unknown balance repeats the same 422 under the same key and creates nothing', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const before = await snapshot(customer);
    const first = await h.post(
      '/v1/charges',
      { customer, balance: 'fax', amount: 5, currency: 'USD' },
      'chg-unknown-balance',
    );
    expectError(first, 422, 'unknown_balance');
    expect(first.body.error.details.balance).toBe('fax');
    const second = await h.post(
      '/v1/charges',
      { customer, balance: 'fax', amount: 5, currency: 'USD' },
      'chg-unknown-balance',
    );
    expect(second.status).toBe(422);
    expect(second.body).toEqual(first.body);
    expect(await snapshot(customer)).toEqual(before);
  });

  it('a product enabled after the customer was created can be charged (its balance is created on first use)', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    await sql`INSERT INTO products (code, name) VALUES ('voice', 'Voice')`.execute(h.handle.db);
    const empty = await h.post('/v1/charges', { customer, balance: 'voice', amount: 5, currency: 'USD' });
    expectError(empty, 402, 'insufficient_funds');
    expect(empty.body.error.details.available).toBe(0);
    const g = await h.post('/v1/grants', { customer, balance: 'voice', amount: 50, currency: 'USD', reason: 'r' });
    expect(g.status).toBe(201);
    const other = await h.newCustomer();
    // a second customer's first use of the product, straight through a charge
    expectError(
      await h.post('/v1/charges', { customer: other, balance: 'voice', amount: 1, currency: 'USD' }),
      402,
      'insufficient_funds',
    );
    const ok = await h.post('/v1/charges', { customer, balance: 'voice', amount: 50, currency: 'USD' });
    expect(ok.status).toBe(201);
    expect(ok.body.balance_after).toEqual({ posted: 0, held: 0, available: 0 });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });
});

describe('charge bodies are exact JSON', () => {
  it('quotes, backslashes, unicode and metadata survive the round trip', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const description = 'He said "hi" \\ 你好 \n tab\t';
    const metadata = { order: 'A-1', n: 2, ok: true, none: null };
    const res = await h.post('/v1/charges', {
      customer,
      balance: 'wallet',
      amount: 10,
      currency: 'USD',
      description,
      metadata,
    });
    expect(res.status).toBe(201);
    expect(res.body.description).toBe(description);
    expect(res.body.metadata).toEqual(metadata);
    expect(res.body.balance_after).toEqual({ posted: 990, held: 0, available: 990 });
  });
});
