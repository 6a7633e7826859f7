import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { NowPaymentsProvider } from '../../src/providers/nowpayments/index.js';
import { signIpn, startNowPaymentsDouble, tronAddress } from '../doubles/nowpayments.js';
import { ISO, expectError } from './assertions.js';
import { setupHarness } from './harness.js';

const API_KEY = 'np_x';
const IPN_SECRET = 'ipn_x';
const double = await startNowPaymentsDouble({ apiKey: API_KEY, ipnSecret: IPN_SECRET });
const h = await setupHarness({
  NOWPAYMENTS_API_KEY: API_KEY,
  NOWPAYMENTS_IPN_SECRET: IPN_SECRET,
  NOWPAYMENTS_API_URL: double.url,
});
const db = h.handle.db;
afterAll(() => double.close());

// 1 USDT = 1.00 USD, so 20 USDT credits USD 20.00 to a USD customer.
expect((await h.post('/v1/fx-rates', { base: 'USDT', quote: 'USD', rate: '1.00' })).status).toBe(201);

const USDT = 1_000_000;
const body = (customer: string, network = 'TRC20', amount = 20 * USDT) => ({
  customer,
  balance: 'wallet',
  amount,
  currency: 'USDT',
  method: 'crypto',
  network,
});
const get = async (id: string) => (await h.call('GET', `/v1/topups/${id}`)).body;

async function created(customer: string, network = 'TRC20', amount = 20 * USDT): Promise<any> {
  const res = await h.post('/v1/topups', body(customer, network, amount));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** POST /webhooks/nowpayments with this raw body and signature header (null: none). */
async function webhook(raw: string, signature: string | null) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/webhooks/nowpayments',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-nowpayments-sig': signature }) },
    payload: raw,
  });
  return { status: res.statusCode, body: res.json() };
}

/** Moves the payment at the double, then delivers the IPN NOWPayments would send for it; returns the ingest result. */
async function move(paymentId: string, payment_status: string, actually_paid?: number): Promise<string> {
  double.set(paymentId, { payment_status, ...(actually_paid === undefined ? {} : { actually_paid }) });
  return deliver(paymentId);
}

async function deliver(paymentId: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const { raw, signature } = double.ipn(paymentId, overrides);
  const res = await webhook(raw, signature);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.result;
}

const eventsOf = (paymentId: string) =>
  db
    .selectFrom('provider_events')
    .select(['event_id', 'type', 'result'])
    .where('provider', '=', 'nowpayments')
    .where('event_id', 'like', `${paymentId}:%`)
    .execute();
const fetchesOf = (paymentId: string) =>
  double.requests.filter((r) => r.method === 'GET' && r.path === `/v1/payment/${paymentId}`);

beforeEach(() => {
  double.requests.length = 0;
});

describe('creating a crypto top-up', () => {
  it('creates a NOWPayments payment and shows its address, network, amount and expiry', async () => {
    const customer = await h.newCustomer();
    const o = await created(customer, 'TRC20', 20_123_457);
    expect(double.requests).toHaveLength(1);
    const req = double.requests[0];
    expect([req.method, req.path, req.headers['x-api-key'], req.headers['content-type']]).toEqual([
      'POST',
      '/v1/payment',
      API_KEY,
      'application/json',
    ]);
    expect(req.body).toEqual({
      price_amount: 20.123457,
      price_currency: 'usdttrc20',
      pay_amount: 20.123457,
      pay_currency: 'usdttrc20',
      order_id: o.id,
      order_description: `Top-up ${o.id}: 20.123457 USDT on TRC20`,
      ipn_callback_url: `${h.config.publicUrl}/webhooks/nowpayments`,
    });
    const p = double.payments.get(o.provider.payment_id)!;
    expect(o.provider).toEqual({ name: 'nowpayments', payment_id: p.payment_id });
    expect(o.provider.payment_id).toMatch(/^\d+$/);
    expect(o.status).toBe('pending');
    expect(o.network).toBe('TRC20');
    expect(o.next_action).toEqual({
      type: 'crypto_transfer',
      asset: 'USDT',
      network: 'TRC20',
      address: p.pay_address,
      amount: '20.123457',
      expires_at: o.expires_at,
    });
    expect(o.next_action.address).toMatch(/^T[1-9A-HJ-NP-Za-km-z]{33}$/);
    // the order's hour is shorter than NOWPayments' estimate, so the order's expiry is shown
    expect(o.next_action.expires_at).toMatch(ISO);
    expect(await get(o.id)).toMatchObject({ next_action: o.next_action, provider: o.provider });
  });

  it.each([
    ['ERC20', 'usdterc20'],
    ['BEP20', 'usdtbsc'],
  ])('on %s asks for pay_currency %s and shows a checksummed 0x address', async (network, code) => {
    const customer = await h.newCustomer();
    const o = await created(customer, network);
    expect(double.requests[0].body).toMatchObject({
      price_currency: code,
      pay_currency: code,
      price_amount: 20,
      pay_amount: 20,
    });
    expect(o.next_action).toMatchObject({ type: 'crypto_transfer', asset: 'USDT', network, amount: '20.000000' });
    expect(o.next_action.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    // a generated address is (almost surely) mixed case, so the EIP-55 check really ran
    expect(o.next_action.address).not.toBe(o.next_action.address.toLowerCase());
  });

  it('shows the memo (payin_extra_id) beside the address when NOWPayments gives one', async () => {
    const customer = await h.newCustomer();
    double.extraIdNext('2918473650');
    const o = await created(customer);
    expect(o.next_action).toMatchObject({ network: 'TRC20', memo: '2918473650' });
  });

  it('shows NOWPayments’ expiry estimate when it comes before the order’s', async () => {
    await db
      .updateTable('payment_methods')
      .set({ order_ttl_seconds: 48 * 3600 })
      .where('method', '=', 'crypto')
      .execute();
    try {
      const o = await created(await h.newCustomer());
      const p = double.payments.get(o.provider.payment_id)!;
      expect(o.next_action.expires_at).toBe(p.expiration_estimate_date);
      expect(new Date(o.next_action.expires_at).getTime()).toBeLessThan(new Date(o.expires_at).getTime());
    } finally {
      await db.updateTable('payment_methods').set({ order_ttl_seconds: 3600 }).where('method', '=', 'crypto').execute();
    }
  });
});

describe('IPN status mapping', () => {
  async function order(network = 'TRC20') {
    const customer = await h.newCustomer();
    const o = await created(customer, network);
    return { customer, id: o.id as string, pid: o.provider.payment_id as string };
  }

  it('waiting: recorded and ignored, the order stays pending', async () => {
    const { id, pid } = await order();
    expect(await deliver(pid)).toBe('ignored');
    expect((await get(id)).status).toBe('pending');
    expect(await eventsOf(pid)).toEqual([{ event_id: `${pid}:waiting:0`, type: 'waiting', result: 'ignored' }]);
  });

  it('confirming, confirmed and sending: processing; the address is no longer offered', async () => {
    const { id, pid } = await order();
    expect(await move(pid, 'confirming', 20)).toBe('processed');
    const o = await get(id);
    expect([o.status, o.next_action, o.needs_review]).toEqual(['processing', null, false]);
    expect(await move(pid, 'confirmed')).toBe('processed');
    expect(await move(pid, 'sending')).toBe('processed');
    expect((await get(id)).status).toBe('processing');
    expect((await eventsOf(pid)).map((e) => e.type).sort()).toEqual(['confirmed', 'confirming', 'sending']);
  });

  it('partially_paid: what actually arrived is reviewed, not credited', async () => {
    const { customer, id, pid } = await order();
    expect(await move(pid, 'partially_paid', 12.5)).toBe('processed');
    expect(fetchesOf(pid)).toHaveLength(1);
    const o = await get(id);
    expect([o.status, o.needs_review, o.received, o.credited]).toEqual([
      'processing',
      true,
      { amount: 12_500_000, currency: 'USDT' },
      null,
    ]);
    expect(o.timeline.at(-1).note).toContain('Under-payment');
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
  });

  it('finished: credited once, after re-fetching the payment with the API key', async () => {
    const { customer, id, pid } = await order();
    await move(pid, 'confirming', 20);
    expect(await move(pid, 'finished', 20)).toBe('processed');
    const fetches = fetchesOf(pid);
    expect(fetches).toHaveLength(1);
    expect(fetches[0].headers['x-api-key']).toBe(API_KEY);
    const o = await get(id);
    expect([o.status, o.needs_review, o.received, o.credited]).toEqual([
      'succeeded',
      false,
      { amount: 20 * USDT, currency: 'USDT' },
      { amount: 2000, currency: 'USD' },
    ]);
    expect(o.timeline.map((t: any) => [t.status, t.actor])).toEqual([
      ['pending', 'api'],
      ['processing', 'provider:nowpayments'],
      ['succeeded', 'provider:nowpayments'],
    ]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(2000);
  });

  it('finished with more than asked: the over-payment is credited at the locked rate', async () => {
    const { customer, id, pid } = await order();
    expect(await move(pid, 'finished', 20.5)).toBe('processed');
    expect((await get(id)).credited).toEqual({ amount: 2050, currency: 'USD' });
    expect((await h.balance(customer, 'wallet')).posted).toBe(2050);
  });

  it('partially_paid, then finished once the rest arrives: credited in full', async () => {
    const { customer, id, pid } = await order();
    await move(pid, 'partially_paid', 12.5);
    expect(await move(pid, 'finished', 20)).toBe('processed');
    const o = await get(id);
    expect([o.status, o.needs_review, o.credited]).toEqual(['succeeded', false, { amount: 2000, currency: 'USD' }]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(2000);
  });

  it('failed: the order fails (from pending and from processing)', async () => {
    const a = await order();
    expect(await move(a.pid, 'failed')).toBe('processed');
    expect((await get(a.id)).status).toBe('failed');
    const b = await order();
    await move(b.pid, 'confirming', 20);
    await move(b.pid, 'failed');
    expect((await get(b.id)).status).toBe('failed');
  });

  it('expired: a pending order expires; a settled one does not', async () => {
    const a = await order();
    expect(await move(a.pid, 'expired')).toBe('processed');
    expect((await get(a.id)).status).toBe('expired');
    const b = await order();
    await move(b.pid, 'finished', 20);
    await move(b.pid, 'expired');
    expect((await get(b.id)).status).toBe('succeeded');
  });

  it('refunded after finished: the whole credit is taken back', async () => {
    const { customer, id, pid } = await order();
    await move(pid, 'finished', 20);
    expect((await h.balance(customer, 'wallet')).posted).toBe(2000);
    expect(await move(pid, 'refunded')).toBe('processed');
    const o = await get(id);
    expect([o.status, o.refund_status, o.refunded_amount]).toEqual(['succeeded', 'full', 2000]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
    // replayed: nothing more is taken
    expect(await deliver(pid)).toBe('duplicate');
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
  });

  it('refunded before anything settled: nothing was credited, nothing is taken', async () => {
    const { customer, id, pid } = await order();
    expect(await move(pid, 'refunded', 0)).toBe('processed');
    expect((await get(id)).status).toBe('pending');
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
  });

  it('a status NOWPayments adds later is recorded and ignored', async () => {
    const { id, pid } = await order();
    expect(await move(pid, 'wrong_asset_confirmed')).toBe('ignored');
    expect((await get(id)).status).toBe('pending');
  });
});

describe('exactly once, whatever the order of arrival', () => {
  it('the same finished IPN twice credits once', async () => {
    const customer = await h.newCustomer();
    const o = await created(customer);
    const pid = o.provider.payment_id;
    double.set(pid, { payment_status: 'finished', actually_paid: 20 });
    const ipn = double.ipn(pid);
    const first = await webhook(ipn.raw, ipn.signature);
    const second = await webhook(ipn.raw, ipn.signature);
    expect([first.body.result, second.body.result]).toEqual(['processed', 'duplicate']);
    expect((await h.balance(customer, 'wallet')).posted).toBe(2000);
    expect(await eventsOf(pid)).toHaveLength(1);
  });

  it('the same finished IPN delivered concurrently credits once', async () => {
    const customer = await h.newCustomer();
    const pid = (await created(customer)).provider.payment_id;
    double.set(pid, { payment_status: 'finished', actually_paid: 20 });
    const ipn = double.ipn(pid);
    const results = await Promise.all(Array.from({ length: 5 }, () => webhook(ipn.raw, ipn.signature)));
    expect(results.map((r) => r.body.result).sort()).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'processed',
    ]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(2000);
  });

  it('finished before confirming: credited, and the late confirming changes nothing', async () => {
    const customer = await h.newCustomer();
    const o = await created(customer);
    const pid = o.provider.payment_id;
    double.set(pid, { payment_status: 'finished', actually_paid: 20 });
    expect(await deliver(pid)).toBe('processed');
    expect(await deliver(pid, { payment_status: 'confirming' })).toBe('processed');
    expect(await deliver(pid, { payment_status: 'waiting', actually_paid: 0 })).toBe('ignored');
    const after = await get(o.id);
    expect([after.status, after.credited]).toEqual(['succeeded', { amount: 2000, currency: 'USD' }]);
    const confirming = (await eventsOf(pid)).find((e) => e.type === 'confirming')!;
    expect(confirming.result).toBe('Payment processing reported while succeeded; no change');
    expect((await h.balance(customer, 'wallet')).posted).toBe(2000);
  });

  it('a second partial deposit (same status, more received) is a new event', async () => {
    const customer = await h.newCustomer();
    const o = await created(customer);
    const pid = o.provider.payment_id;
    await move(pid, 'partially_paid', 5);
    await move(pid, 'partially_paid', 12.5);
    expect((await eventsOf(pid)).map((e) => e.event_id).sort()).toEqual([
      `${pid}:partially_paid:12.5`,
      `${pid}:partially_paid:5`,
    ]);
    expect((await get(o.id)).received).toEqual({ amount: 12_500_000, currency: 'USDT' });
  });
});

describe('the fetched payment wins over the IPN', () => {
  it('IPN says finished for 20, NOWPayments holds 15: an under-payment of 15, reviewed', async () => {
    const customer = await h.newCustomer();
    const o = await created(customer);
    const pid = o.provider.payment_id;
    double.set(pid, { payment_status: 'partially_paid', actually_paid: 15 });
    expect(await deliver(pid, { payment_status: 'finished', actually_paid: 20 })).toBe('processed');
    const after = await get(o.id);
    expect([after.status, after.needs_review, after.received, after.credited]).toEqual([
      'processing',
      true,
      { amount: 15 * USDT, currency: 'USDT' },
      null,
    ]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
  });

  it('IPN says finished, NOWPayments still says confirming: 503, nothing recorded; the same IPN later credits', async () => {
    const customer = await h.newCustomer();
    const o = await created(customer);
    const pid = o.provider.payment_id;
    double.set(pid, { payment_status: 'confirming', actually_paid: 20 });
    const ipn = double.ipn(pid, { payment_status: 'finished' });
    expectError(await webhook(ipn.raw, ipn.signature), 503, 'unavailable');
    expect((await get(o.id)).status).toBe('pending');
    expect(await eventsOf(pid)).toEqual([]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
    double.set(pid, { payment_status: 'finished', actually_paid: 20 });
    const again = await webhook(ipn.raw, ipn.signature);
    expect(again.body.result).toBe('processed');
    expect((await get(o.id)).status).toBe('succeeded');
  });

  it('NOWPayments cannot be asked: 503, nothing recorded, the redelivered IPN then credits', async () => {
    const customer = await h.newCustomer();
    const o = await created(customer);
    const pid = o.provider.payment_id;
    double.set(pid, { payment_status: 'finished', actually_paid: 20 });
    const ipn = double.ipn(pid);
    for (const failure of [
      { status: 502 },
      'drop' as const,
      { status: 404, body: { status: false, statusCode: 404, code: 'NOT_FOUND', message: 'Payment not found' } },
    ]) {
      double.failNext(1, failure, 'get');
      const res = await webhook(ipn.raw, ipn.signature);
      expectError(res, 503, 'unavailable');
      expect(res.body.error.message).toContain(pid);
      expect(await eventsOf(pid)).toEqual([]);
    }
    expect((await webhook(ipn.raw, ipn.signature)).body.result).toBe('processed');
    expect((await h.balance(customer, 'wallet')).posted).toBe(2000);
  });
});

describe('IPN verification', () => {
  async function signedFinished() {
    const customer = await h.newCustomer();
    const o = await created(customer);
    const pid = o.provider.payment_id;
    double.set(pid, { payment_status: 'finished', actually_paid: 20 });
    return { customer, id: o.id, pid, ...double.ipn(pid) };
  }

  async function expectRejected(res: { status: number; body: any }, pid: string, customer: string, id: string) {
    expectError(res, 400, 'invalid_request');
    expect(await eventsOf(pid)).toEqual([]);
    expect(fetchesOf(pid)).toEqual([]);
    expect((await get(id)).status).toBe('pending');
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
  }

  it('the IPN body is in NOWPayments’ own key order, with a nested fee: sorting is recursive', async () => {
    const { raw, signature } = await signedFinished();
    expect(Object.keys(JSON.parse(raw))).not.toEqual(Object.keys(JSON.parse(raw)).sort());
    expect(JSON.parse(raw).fee).toEqual({ currency: 'usdttrc20', depositFee: 0, withdrawalFee: 0.5, serviceFee: 0.1 });
    expect((await webhook(raw, signature)).body.result).toBe('processed');
  });

  it('the same IPN pretty-printed or reordered still verifies (the signature is over the parsed body)', async () => {
    const { raw, signature, customer } = await signedFinished();
    const parsed = JSON.parse(raw);
    const reordered = Object.fromEntries(Object.entries(parsed).reverse());
    expect((await webhook(JSON.stringify(reordered, null, 2), signature)).body.result).toBe('processed');
    expect((await h.balance(customer, 'wallet')).posted).toBe(2000);
  });

  it('a forged signature: 400, nothing recorded', async () => {
    const { raw, pid, customer, id } = await signedFinished();
    await expectRejected(await webhook(raw, 'ab'.repeat(64)), pid, customer, id);
  });

  it('signed with another secret: 400', async () => {
    const { raw, pid, customer, id } = await signedFinished();
    const other = signIpn('another_secret', JSON.parse(raw));
    await expectRejected(await webhook(raw, other), pid, customer, id);
  });

  it.each([
    ['actually_paid raised', (b: any) => ({ ...b, actually_paid: 2000 })],
    ['payment_id changed', (b: any) => ({ ...b, payment_id: b.payment_id + 1 })],
    ['a nested fee value changed', (b: any) => ({ ...b, fee: { ...b.fee, serviceFee: 0 } })],
    ['a field added', (b: any) => ({ ...b, extra: true })],
  ])('an altered body (%s): 400, nothing recorded', async (_what, alter) => {
    const { raw, signature, pid, customer, id } = await signedFinished();
    await expectRejected(await webhook(JSON.stringify(alter(JSON.parse(raw))), signature), pid, customer, id);
  });

  it('no signature header: 400', async () => {
    const { raw, pid, customer, id } = await signedFinished();
    const res = await webhook(raw, null);
    await expectRejected(res, pid, customer, id);
    expect(res.body.error.message).toContain('x-nowpayments-sig');
  });

  it('a signature that is not 128 hex digits, or a body that is not a JSON object: 400', async () => {
    const { raw, signature, pid, customer, id } = await signedFinished();
    await expectRejected(await webhook(raw, signature.slice(2)), pid, customer, id);
    await expectRejected(await webhook(raw, `${signature.slice(2)}zz`), pid, customer, id);
    await expectRejected(await webhook('not json', signature), pid, customer, id);
    const arr = '[1,2]';
    await expectRejected(await webhook(arr, double.sign([1, 2])), pid, customer, id);
  });
});

describe('NOWPayments failing on create', () => {
  const secretsAbsent = (message: string) => {
    expect(message).not.toContain(API_KEY);
    expect(message).not.toContain(IPN_SECRET);
    expect(message).not.toMatch(/\n\s+at /);
  };

  async function pendingWithoutPayment(customer: string) {
    const rows = await db
      .selectFrom('orders')
      .select(['id', 'status', 'provider_payment_id', 'next_action'])
      .where('customer_id', '=', customer)
      .execute();
    expect(rows).toHaveLength(1);
    expect([rows[0].status, rows[0].provider_payment_id, rows[0].next_action]).toEqual(['pending', null, null]);
    return rows[0].id;
  }

  it.each([
    ['a 500', { status: 500 }, 'NOWPayments answered 500 INTERNAL_ERROR: Internal server error'],
    [
      'a 401 with its error body',
      {
        status: 401,
        body: {
          status: false,
          statusCode: 401,
          code: 'AUTH_REQUIRED',
          message: 'Authorization header is empty (Bearer JWTtoken is required)',
        },
      },
      'NOWPayments answered 401 AUTH_REQUIRED: Authorization header is empty (Bearer JWTtoken is required)',
    ],
    [
      'a 400 with its error body',
      {
        status: 400,
        body: {
          status: false,
          statusCode: 400,
          code: 'INVALID_REQUEST_PARAMS',
          message: '"pay_currency" is not supported',
        },
      },
      'NOWPayments answered 400 INVALID_REQUEST_PARAMS',
    ],
    ['a dropped connection', 'drop' as const, 'NOWPayments could not be reached (connection failed'],
  ])(
    '%s: 503 with a clear message, the order pending; the same Idempotency-Key then succeeds',
    async (_what, failure, message) => {
      const customer = await h.newCustomer();
      const key = `np-${crypto.randomUUID()}`;
      double.failNext(1, failure, 'create');
      const res = await h.post('/v1/topups', body(customer), key);
      expectError(res, 503, 'unavailable');
      expect(res.body.error.message).toContain('retry with the same Idempotency-Key');
      expect(res.body.error.message).toContain(message);
      secretsAbsent(res.body.error.message);
      const id = await pendingWithoutPayment(customer);

      const retry = await h.post('/v1/topups', body(customer), key);
      expect(retry.status, JSON.stringify(retry.body)).toBe(201);
      expect(retry.body.id).toBe(id);
      expect(retry.body.next_action).toMatchObject({
        type: 'crypto_transfer',
        network: 'TRC20',
        address: double.payments.get(retry.body.provider.payment_id)!.pay_address,
      });
      // a third call replays the stored answer: no second payment at NOWPayments
      const creates = double.requests.filter((r) => r.method === 'POST').length;
      const again = await h.post('/v1/topups', body(customer), key);
      expect(again.body).toEqual(retry.body);
      expect(double.requests.filter((r) => r.method === 'POST').length).toBe(creates);
    },
  );

  it('a wrong API key (403 INVALID_API_KEY from NOWPayments itself) is named, the key is not', async () => {
    const wrong = new NowPaymentsProvider({
      apiKey: 'np_wrong_key',
      ipnSecret: IPN_SECRET,
      apiUrl: `${double.url}/v1/`,
      publicUrl: h.config.publicUrl,
    });
    const request = {
      orderId: 'ord_x',
      customerId: 'cus_x',
      method: 'crypto',
      amountMinor: 20n * BigInt(USDT),
      currency: 'USDT',
      network: 'TRC20',
      expiresAt: new Date(Date.now() + 3600_000),
      returnUrl: null,
    };
    const err = await wrong.createPayment(request).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe('NOWPayments answered 403 INVALID_API_KEY: Invalid api key');
    expect(double.requests.at(-1)).toMatchObject({ path: '/v1/payment', headers: { 'x-api-key': 'np_wrong_key' } });
  });
});

describe('deposit addresses are checked before they are shown', () => {
  it.each(['TRC20', 'ERC20', 'BEP20'])(
    'an address failing its %s checksum: refused (503), nothing shown; a retry gets a good one',
    async (network) => {
      const customer = await h.newCustomer();
      const key = `addr-${crypto.randomUUID()}`;
      double.invalidAddressNext();
      const res = await h.post('/v1/topups', body(customer, network), key);
      expectError(res, 503, 'unavailable');
      expect(res.body.error.message).toContain(`deposit address is not a valid ${network} address`);
      const bad = [...double.payments.values()].at(-1)!;
      expect(res.body.error.message).not.toContain(bad.pay_address);
      const row = await db
        .selectFrom('orders')
        .select(['status', 'next_action', 'provider_payment_id'])
        .where('customer_id', '=', customer)
        .executeTakeFirstOrThrow();
      expect([row.status, row.next_action, row.provider_payment_id]).toEqual(['pending', null, null]);
      const retry = await h.post('/v1/topups', body(customer, network), key);
      expect(retry.status).toBe(201);
      expect(retry.body.next_action.address).not.toBe(bad.pay_address);
      expect(retry.body.next_action.network).toBe(network);
    },
  );

  it('an address of another network (TRON for ERC20) is refused', async () => {
    const customer = await h.newCustomer();
    const real = tronAddress();
    double.failNext(
      1,
      {
        status: 201,
        body: {
          payment_id: '5745459419',
          payment_status: 'waiting',
          pay_address: real,
          pay_amount: 20,
          pay_currency: 'usdterc20',
          price_amount: 20,
          price_currency: 'usdterc20',
          order_id: null,
          payin_extra_id: null,
        },
      },
      'create',
    );
    const res = await h.post('/v1/topups', body(customer, 'ERC20'));
    expectError(res, 503, 'unavailable');
    expect(res.body.error.message).toContain('not a valid ERC20 address');
  });

  it('a payment asking for another amount is refused rather than shown', async () => {
    const customer = await h.newCustomer();
    double.payAmountNext(20.5);
    const res = await h.post('/v1/topups', body(customer));
    expectError(res, 503, 'unavailable');
    expect(res.body.error.message).toContain('asks for 20.5 instead of 20.000000 USDT');
  });
});
