import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ISO, MISSING_CUSTOMER, expectError, expectInvalid } from './assertions.js';
import { setupHarness } from './harness.js';

const h = await setupHarness();
const db = h.handle.db;

// `coffer fx import` is tested with the CLI (cli.test.ts).

async function rateCount(): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM fx_rates`.execute(db);
  return Number(rows[0].n);
}
const setRate = (body: Record<string, unknown>) => h.post('/v1/fx-rates', body);
const rates = async () => {
  const res = await h.call('GET', '/v1/fx-rates');
  expect(res.status).toBe(200);
  return res.body.data as { base: string; quote: string; rate: string; source: string }[];
};
const methods = async (query: string) => {
  const res = await h.call('GET', `/v1/payment-methods?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data as any[];
};
const byName = (data: any[]) => Object.fromEntries(data.map((m) => [m.method, m]));

// The tests below run in order and build on the rates entered before them.
describe('FX rates', () => {
  it('no rates exist until one is entered', async () => {
    expect(await rates()).toEqual([]);
  });

  it('a rate entered as CNY→USD serves a USD-wallet CNY top-up (both directions are usable)', async () => {
    const customer = await h.newCustomer();
    // no rate yet: refused
    const none = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 10_000,
      currency: 'CNY',
      method: 'bank_transfer',
    });
    expectError(none, 422, 'currency_not_supported');
    expect(none.body.error.details).toEqual({ from: 'CNY', to: 'USD' });

    const res = await setRate({ base: 'CNY', quote: 'USD', rate: '0.14', source: 'bank of test' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toEqual({
      object: 'fx_rate',
      base: 'CNY',
      quote: 'USD',
      rate: '0.14',
      source: 'bank of test',
      created_at: expect.stringMatching(ISO),
    });
    // USD 10.00 = CNY 71.428… → the minimum is stated as CNY 71.43
    const low = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 7142,
      currency: 'CNY',
      method: 'bank_transfer',
    });
    expectError(low, 422, 'amount_below_minimum');
    expect(low.body.error.details).toEqual({ minimum: { amount: 7143, currency: 'CNY' } });
    const ok = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 7143,
      currency: 'CNY',
      method: 'bank_transfer',
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({
      pay: { amount: 7143, currency: 'CNY' },
      credit: { amount: 1000, currency: 'USD' }, // 71.43 × 0.14 = 10.0002
      fx_rate: '0.14',
      fx: { base: 'CNY', quote: 'USD', rate: '0.14' },
    });
    // and the card's fixed fee USD 0.30 is stated in CNY: 0.30 / 0.14 = 2.142… → 2.15; 2.9 % of 100.00 = 2.90
    const card = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 10_000,
      currency: 'CNY',
      method: 'card',
    });
    expect(card.status, JSON.stringify(card.body)).toBe(201);
    expect([card.body.fee, card.body.pay, card.body.credit]).toEqual([
      { amount: 505, currency: 'CNY' },
      { amount: 10_505, currency: 'CNY' },
      { amount: 1400, currency: 'USD' },
    ]);
  });

  it('the newest rate of a pair wins, whichever way round it was entered', async () => {
    expect((await setRate({ base: 'USD', quote: 'CNY', rate: '7.10' })).status).toBe(201);
    expect((await setRate({ base: 'USD', quote: 'CNY', rate: '7.20' })).status).toBe(201);
    const customer = await h.newCustomer();
    const o = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 7200,
      currency: 'CNY',
      method: 'bank_transfer',
    });
    expect(o.status).toBe(201);
    expect([o.body.fx_rate, o.body.credit]).toEqual(['7.20', { amount: 1000, currency: 'USD' }]);
    // 7199 CNY is now short of USD 10.00
    const low = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 7199,
      currency: 'CNY',
      method: 'bank_transfer',
    });
    expect(low.body.error.details).toEqual({ minimum: { amount: 7200, currency: 'CNY' } });
  });

  it('GET /v1/fx-rates: the newest rate of every pair as entered, with source and time', async () => {
    expect((await setRate({ base: 'EUR', quote: 'USD', rate: '1.08' })).status).toBe(201);
    expect((await setRate({ base: 'EUR', quote: 'USD', rate: '1.0825', source: 'ecb' })).status).toBe(201);
    const data = await rates();
    expect(data).toEqual([
      {
        object: 'fx_rate',
        base: 'CNY',
        quote: 'USD',
        rate: '0.14',
        source: 'bank of test',
        created_at: expect.stringMatching(ISO),
      },
      {
        object: 'fx_rate',
        base: 'EUR',
        quote: 'USD',
        rate: '1.0825',
        source: 'ecb',
        created_at: expect.stringMatching(ISO),
      },
      {
        object: 'fx_rate',
        base: 'USD',
        quote: 'CNY',
        rate: '7.20',
        source: 'api',
        created_at: expect.stringMatching(ISO),
      },
    ]);
    expect(await rateCount()).toBe(5);
  });

  it('bad rates, pairs and currencies → 400 invalid_request naming the field; nothing stored', async () => {
    const before = await rateCount();
    const good = { base: 'USD', quote: 'CNY' };
    for (const rate of [
      '0',
      '0.0',
      '0.000',
      '-1',
      '7.2.0',
      'abc',
      '7.2000000000000',
      '',
      ' 7.2',
      '7,2',
      '1e3',
      '.5',
      '5.',
      '07.2',
      '+7.2',
      '1234567890123',
    ]) {
      const res = await setRate({ ...good, rate });
      expectInvalid(res, 'rate');
    }
    // a rate is a decimal string, never a JSON number
    for (const rate of [7.2, 7, null, true]) expectInvalid(await setRate({ ...good, rate }), 'rate');
    expectInvalid(await setRate({ base: 'USD', quote: 'USD', rate: '1' }), 'quote');
    expectInvalid(await setRate({ base: 'XXX', quote: 'USD', rate: '1' }), 'base');
    expectInvalid(await setRate({ base: 'USD', quote: 'ABC', rate: '1' }), 'quote');
    expectInvalid(await setRate({ base: 'usd', quote: 'CNY', rate: '7.20' }), 'base');
    expectInvalid(await setRate({ quote: 'CNY', rate: '7.20' }), 'base');
    expectInvalid(await setRate({ ...good }), 'rate');
    expectInvalid(await setRate({ ...good, rate: '7.20', extra: 1 }), 'extra');
    expectInvalid(await setRate({ ...good, rate: '7.20', source: '' }), 'source');
    expect(await rateCount()).toBe(before);
    expect((await rates()).find((r) => r.base === 'USD' && r.quote === 'CNY')?.rate).toBe('7.20');
    // 12 decimals and 12 integer digits are the limits, and are accepted (on a pair nothing else uses)
    for (const rate of ['0.000000000001', '123456789012.123456789012']) {
      const res = await setRate({ base: 'JPY', quote: 'KRW', rate });
      expect(res.status, rate).toBe(201);
      expect(res.body.rate).toBe(rate);
    }
  });
});

describe('GET /v1/payment-methods', () => {
  it('?balance=wallet&currency=CNY: card and bank_transfer available, crypto listed but not available; fees and minimums in CNY', async () => {
    const data = await methods('balance=wallet&currency=CNY');
    expect(data.map((m) => m.method)).toEqual(['card', 'crypto', 'bank_transfer']);
    const m = byName(data);
    expect(m.card).toEqual({
      method: 'card',
      provider: 'sandbox',
      currencies: ['USD', 'CNY', 'EUR'],
      fee: { percent_bps: 290, fixed: { amount: 216, currency: 'CNY' } }, // USD 0.30 × 7.20
      minimum: { amount: 7200, currency: 'CNY' },
      maximum: { amount: 7_200_000, currency: 'CNY' },
      processing_time: 'Instant',
      order_ttl_seconds: 1800,
      available: true,
    });
    expect(m.crypto).toEqual({
      method: 'crypto',
      provider: 'sandbox',
      currencies: ['USDT'],
      networks: ['TRC20', 'ERC20', 'BEP20'],
      fee: { percent_bps: 0, fixed: { amount: 0, currency: 'CNY' } },
      minimum: { amount: 7200, currency: 'CNY' },
      maximum: null,
      processing_time: 'About 10 minutes after the network confirms the transfer',
      order_ttl_seconds: 3600,
      available: false,
    });
    expect(m.bank_transfer).toEqual({
      method: 'bank_transfer',
      provider: 'manual',
      currencies: ['CNY', 'USD'],
      fee: { percent_bps: 0, fixed: { amount: 0, currency: 'CNY' } },
      minimum: { amount: 7200, currency: 'CNY' },
      maximum: null,
      processing_time: '1–2 business days after the transfer arrives',
      order_ttl_seconds: 3 * 24 * 3600,
      available: true,
    });
  });

  it('?balance=wallet with no currency: stated as configured, in USD', async () => {
    const m = byName(await methods('balance=wallet'));
    expect(Object.keys(m)).toEqual(['card', 'crypto', 'bank_transfer']);
    expect([m.card.fee, m.card.minimum, m.card.maximum, m.card.available]).toEqual([
      { percent_bps: 290, fixed: { amount: 30, currency: 'USD' } },
      { amount: 1000, currency: 'USD' },
      { amount: 1_000_000, currency: 'USD' },
      true,
    ]);
    expect(m.crypto.available).toBe(true);
  });

  it('?balance=sms: no crypto; the balance method is present; minimums in the asked currency', async () => {
    const data = await methods('balance=sms');
    expect(data.map((m) => m.method)).toEqual(['card', 'bank_transfer', 'balance']);
    const m = byName(data);
    expect(m.balance).toEqual({
      method: 'balance',
      provider: 'internal',
      currencies: ['USD'],
      fee: { percent_bps: 0, fixed: { amount: 0, currency: 'USD' } },
      minimum: { amount: 1000, currency: 'USD' },
      maximum: null,
      processing_time: 'Instant',
      order_ttl_seconds: 600,
      available: true,
    });
    const cny = byName(await methods('balance=sms&currency=CNY'));
    expect(Object.keys(cny)).toEqual(['card', 'bank_transfer', 'balance']);
    expect([cny.card.available, cny.bank_transfer.available]).toEqual([true, true]);
    expect(cny.card.fee.fixed).toEqual({ amount: 216, currency: 'CNY' });
    expect(cny.balance.minimum).toEqual({ amount: 7200, currency: 'CNY' });
    // the sms balance is in the customer's currency: USD only
    expect(cny.balance.available).toBe(true);
  });

  it('with &customer=: available reflects whether an FX rate to the customer currency exists', async () => {
    const usd = await h.newCustomer();
    // USD customer paying CNY: the CNY↔USD rate exists
    let m = byName(await methods(`balance=wallet&currency=CNY&customer=${usd}`));
    expect([m.card.available, m.crypto.available, m.bank_transfer.available]).toEqual([true, false, true]);
    // USDT: crypto accepts it but there is no USDT↔USD rate yet
    m = byName(await methods(`balance=wallet&currency=USDT&customer=${usd}`));
    expect([m.card.available, m.crypto.available, m.bank_transfer.available]).toEqual([false, false, false]);
    expect((await setRate({ base: 'USD', quote: 'USDT', rate: '1.002' })).status).toBe(201);
    m = byName(await methods(`balance=wallet&currency=USDT&customer=${usd}`));
    expect([m.card.available, m.crypto.available, m.bank_transfer.available]).toEqual([false, true, false]);
    // USD 10.00 = 10.02 USDT
    expect(m.crypto.minimum).toEqual({ amount: 10_020_000, currency: 'USDT' });
    // the balance method on a product: only in the customer's own currency
    m = byName(await methods(`balance=sms&currency=CNY&customer=${usd}`));
    expect([m.card.available, m.bank_transfer.available, m.balance.available]).toEqual([true, true, false]);
    expect(m.balance.currencies).toEqual(['USD']);
    m = byName(await methods(`balance=sms&currency=USD&customer=${usd}`));
    expect([m.card.available, m.bank_transfer.available, m.balance.available]).toEqual([true, true, true]);

    // a CNY customer paying EUR: the card takes EUR but there is no EUR↔CNY rate
    const cny = await h.newCustomer({ currency: 'CNY' });
    m = byName(await methods(`balance=sms&currency=EUR&customer=${cny}`));
    expect([m.card.available, m.bank_transfer.available, m.balance.available]).toEqual([false, false, false]);
    expect(m.balance.currencies).toEqual(['CNY']);
    const refused = await h.post('/v1/topups', {
      customer: cny,
      balance: 'wallet',
      amount: 5000,
      currency: 'EUR',
      method: 'card',
    });
    expectError(refused, 422, 'currency_not_supported');
    expect((await setRate({ base: 'EUR', quote: 'CNY', rate: '7.80' })).status).toBe(201);
    m = byName(await methods(`balance=sms&currency=EUR&customer=${cny}`));
    expect([m.card.available, m.bank_transfer.available, m.balance.available]).toEqual([true, false, false]);
    expect(m.card.fee.fixed).toEqual({ amount: 28, currency: 'EUR' }); // USD 0.30 / 1.0825 = 0.2771 → 0.28
    expect(m.card.minimum).toEqual({ amount: 924, currency: 'EUR' }); // USD 10.00 / 1.0825 = 9.2378 → 9.24
    // and the top-up now quotes what the catalogue said
    const ok = await h.post('/v1/topups', {
      customer: cny,
      balance: 'wallet',
      amount: 924,
      currency: 'EUR',
      method: 'card',
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect([ok.body.fee, ok.body.credit]).toEqual([
      { amount: 55, currency: 'EUR' }, // ceil(26.796) + 28
      { amount: 7207, currency: 'CNY' }, // 9.24 × 7.80 = 72.072
    ]);
    const low = await h.post('/v1/topups', {
      customer: cny,
      balance: 'wallet',
      amount: 923,
      currency: 'EUR',
      method: 'card',
    });
    expect(low.body.error.details).toEqual({ minimum: { amount: 924, currency: 'EUR' } });
  });

  it('400 on a bad balance name or query; 404 on an unknown customer', async () => {
    for (const [query, field] of [
      ['balance=Wallet', 'balance'],
      ['balance=', 'balance'],
      ['currency=CNY', 'balance'],
      ['balance=wallet&currency=cny', 'currency'],
      ['balance=wallet&customer=cus_x', 'customer'],
      ['balance=wallet&colour=red', 'colour'],
    ]) {
      expectInvalid(await h.call('GET', `/v1/payment-methods?${query}`), field);
    }
    const res = await h.call('GET', `/v1/payment-methods?balance=wallet&customer=${MISSING_CUSTOMER}`);
    expectError(res, 404, 'not_found');
    expect(res.body.error.details).toEqual({ id: MISSING_CUSTOMER });
  });

  it('an unknown or disabled product balance → 422 unknown_balance', async () => {
    expectError(await h.call('GET', '/v1/payment-methods?balance=nope'), 422, 'unknown_balance');
  });

  it("a currency with no rate to the minimum's currency is not available, even without a customer", async () => {
    await db
      .updateTable('payment_methods')
      .set({ currencies: ['USD', 'JPY'] })
      .where('method', '=', 'card')
      .execute();
    try {
      const jpy = byName(await methods('balance=wallet&currency=JPY'));
      expect(jpy.card.currencies).toEqual(['USD', 'JPY']);
      expect(jpy.card.available).toBe(false); // no USD↔JPY rate: the USD 10.00 minimum cannot be stated in JPY
      expect(jpy.card.minimum).toEqual({ amount: 1000, currency: 'USD' });
      const customer = await h.newCustomer();
      expectError(
        await h.post('/v1/topups', { customer, balance: 'wallet', amount: 5000, currency: 'JPY', method: 'card' }),
        422,
        'currency_not_supported',
      );
      expect((await setRate({ base: 'USD', quote: 'JPY', rate: '150' })).status).toBe(201);
      expect(byName(await methods('balance=wallet&currency=JPY')).card).toMatchObject({
        available: true,
        minimum: { amount: 1500, currency: 'JPY' },
      });
    } finally {
      await db
        .updateTable('payment_methods')
        .set({ currencies: ['USD', 'CNY', 'EUR'] })
        .where('method', '=', 'card')
        .execute();
    }
  });

  it('a method disabled by staff is not listed', async () => {
    await db.updateTable('payment_methods').set({ enabled: false }).where('method', '=', 'bank_transfer').execute();
    try {
      expect((await methods('balance=wallet')).map((m) => m.method)).toEqual(['card', 'crypto']);
      const customer = await h.newCustomer();
      const res = await h.post('/v1/topups', {
        customer,
        balance: 'wallet',
        amount: 5000,
        currency: 'USD',
        method: 'bank_transfer',
      });
      expectError(res, 422, 'method_not_available');
    } finally {
      await db.updateTable('payment_methods').set({ enabled: true }).where('method', '=', 'bank_transfer').execute();
    }
    expect((await methods('balance=wallet')).map((m) => m.method)).toEqual(['card', 'crypto', 'bank_transfer']);
  });
});
