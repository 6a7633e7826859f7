import Fastify from 'fastify';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { registerErrorHandling } from '../../src/http/errors.js';
import { sandboxAddress, sandboxRoutes } from '../../src/sandbox/index.js';
import { newId } from '../../src/lib/ids.js';
import { setupHarness } from './harness.js';

const h = await setupHarness();
const db = h.handle.db;
const customer = await h.newCustomer();

// A bare app with only the sandbox routes and the error handler, so the pages are tested on their own.
let kicks = 0;
const app = Fastify();
registerErrorHandling(app);
await sandboxRoutes(app, { db, kick: () => void kicks++ });
await app.ready();
afterAll(() => app.close());
beforeEach(() => {
  kicks = 0;
});

const HTML = 'text/html; charset=utf-8';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

interface PaymentOpts {
  method: 'card' | 'crypto';
  amount: bigint;
  currency: string;
  network?: string | null;
  returnUrl?: string | null;
  withOrder?: boolean;
  orderId?: string;
}

/** A pending order and its sandbox payment, as the provider would have made them. */
async function newPayment(o: PaymentOpts): Promise<string> {
  const id = newId('sbxpay');
  const orderId = o.orderId ?? newId('ord');
  if (o.withOrder !== false) {
    await db
      .insertInto('orders')
      .values({
        id: orderId,
        customer_id: customer,
        balance: 'wallet',
        method: o.method,
        provider: 'sandbox',
        status: 'pending',
        amount: o.amount,
        fee_amount: 0n,
        pay_amount: o.amount,
        pay_currency: o.currency,
        credit_amount: 1_000n,
        credit_currency: 'USD',
        network: o.network ?? null,
        provider_payment_id: id,
        return_url: o.returnUrl ?? null,
        expires_at: new Date(Date.now() + 3_600_000),
        created_at: new Date(),
      })
      .execute();
  }
  const address = o.method === 'crypto' ? sandboxAddress(id, o.network ?? 'TRC20') : null;
  await db
    .insertInto('sandbox_payments')
    .values({
      id,
      order_id: orderId,
      method: o.method,
      amount: o.amount,
      currency: o.currency,
      network: o.network ?? null,
      address,
      return_url: o.returnUrl ?? null,
    })
    .execute();
  return id;
}

const card = (returnUrl: string | null = null) =>
  newPayment({ method: 'card', amount: 1_234n, currency: 'USD', returnUrl });
const crypto = () => newPayment({ method: 'crypto', amount: 25_000_000n, currency: 'USDT', network: 'TRC20' });

const get = (url: string) => app.inject({ method: 'GET', url });
const post = (url: string, form?: string) =>
  app.inject({ method: 'POST', url, headers: form === undefined ? {} : FORM, payload: form });
const row = (id: string) =>
  db.selectFrom('sandbox_payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function events(paymentId: string): Promise<any[]> {
  const rows = await db
    .selectFrom('sandbox_deliveries')
    .select('body')
    .where('payment_id', '=', paymentId)
    .orderBy('id')
    .execute();
  return rows.map((r) => JSON.parse(r.body));
}

function expectPage(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe(HTML);
  expect(res.body).toMatch(/^<!doctype html>/);
  expect(res.body).toContain('<html lang="en">');
  expect(res.body).toContain('TEST MODE — Coffer sandbox. No real money moves.');
  expect(res.body).toContain('repeating-linear-gradient');
  expect(res.body).not.toContain('<script');
}

describe('card checkout', () => {
  it('renders a payable checkout with Pay and Decline forms', async () => {
    const id = await card();
    const { order_id } = await row(id);
    const res = await get(`/sandbox/checkout/${id}`);
    expectPage(res, 200);
    expect(res.body).toContain('12.34 USD');
    expect(res.body).toContain(order_id);
    expect(res.body).toContain(
      `<form method="post" action="/sandbox/checkout/${id}/pay"><button type="submit">Pay</button></form>`,
    );
    expect(res.body).toContain(`action="/sandbox/checkout/${id}/decline"`);
    expect(res.body).toContain('>Decline</button>');
  });

  it('escapes every dynamic value', async () => {
    const id = await newPayment({
      method: 'card',
      amount: 100n,
      currency: 'USD',
      withOrder: false,
      orderId: 'ord_<script>alert(1)</script>',
    });
    const res = await get(`/sandbox/checkout/${id}`);
    expectPage(res, 200);
    expect(res.body).toContain('ord_&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('pay: 303 to the outcome page, succeeded, exactly one payment.succeeded event; the page escapes the return URL', async () => {
    const returnUrl = 'https://merchant.example/back?x=<script>alert("x")</script>&y=1';
    const id = await card(returnUrl);
    const res = await post(`/sandbox/checkout/${id}/pay`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/sandbox/checkout/${id}`); // the outcome page links back to the merchant
    expect(kicks).toBe(1);
    const p = await row(id);
    expect(p.status).toBe('succeeded');
    expect(p.received_amount).toBe(1_234n);
    const evs = await events(id);
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ id: expect.stringMatching(/^evt_/), type: 'payment.succeeded' });
    expect(evs[0].data).toEqual({ payment_id: id, amount: 1_234, currency: 'USD' });

    const page = await get(`/sandbox/checkout/${id}`);
    expectPage(page, 200);
    expect(page.body).toContain('Payment succeeded');
    expect(page.body).toContain('Return to the merchant');
    expect(page.body).toContain(
      'href="https://merchant.example/back?x=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;y=1"',
    );
    expect(page.body).not.toContain('/pay"');
  });

  it('pay twice: 409 page and still one event; decline after pay is 409 too', async () => {
    const id = await card();
    expect((await post(`/sandbox/checkout/${id}/pay`)).statusCode).toBe(303);
    const again = await post(`/sandbox/checkout/${id}/pay`);
    expectPage(again, 409);
    expect(again.body).toContain('Cannot pay: this payment has already succeeded.');
    expect(again.body).toContain(`href="/sandbox/checkout/${id}"`);
    expectPage(await post(`/sandbox/checkout/${id}/decline`), 409);
    expect(await events(id)).toHaveLength(1);
    expect((await row(id)).status).toBe('succeeded');
    expect(kicks).toBe(1);
  });

  it('concurrent pay and decline: the row lock lets exactly one win, with one event', async () => {
    const id = await card();
    const results = await Promise.all([
      post(`/sandbox/checkout/${id}/pay`),
      post(`/sandbox/checkout/${id}/decline`),
      post(`/sandbox/checkout/${id}/pay`),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([303, 409, 409]);
    expect(await events(id)).toHaveLength(1);
  });

  it('decline: 303 back to the page (no return URL), failed, one payment.failed event', async () => {
    const id = await card();
    const res = await post(`/sandbox/checkout/${id}/decline`);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/sandbox/checkout/${id}`);
    const p = await row(id);
    expect(p.status).toBe('failed');
    expect(p.received_amount).toBeNull();
    const evs = await events(id);
    expect(evs.map((e) => e.type)).toEqual(['payment.failed']);
    expect(evs[0].data).toEqual({ payment_id: id, amount: 1_234, currency: 'USD', reason: 'card_declined' });
    const page = await get(`/sandbox/checkout/${id}`);
    expect(page.body).toContain('Payment declined');
    expect(page.body).not.toContain('Return to the merchant');
    expectPage(await post(`/sandbox/checkout/${id}/pay`), 409);
  });

  it('a non-http return URL is never followed', async () => {
    const id = await card('javascript:alert(1)');
    const res = await post(`/sandbox/checkout/${id}/pay`);
    expect(res.headers.location).toBe(`/sandbox/checkout/${id}`);
    expect((await get(`/sandbox/checkout/${id}`)).body).not.toContain('Return to the merchant');
  });
});

describe('crypto deposit', () => {
  it('renders asset, network warning, address and a prefilled deposit form', async () => {
    const id = await crypto();
    const p = await row(id);
    const res = await get(`/sandbox/crypto/${id}`);
    expectPage(res, 200);
    expect(res.body).toContain('25.000000 USDT');
    expect(res.body).toContain(p.address!);
    expect(res.body).toContain('A deposit on any other network is lost.');
    expect(res.body).toContain(`action="/sandbox/crypto/${id}/deposit"`);
    expect(res.body).toContain(
      'name="amount" type="text" inputmode="decimal" autocomplete="off" required value="25.000000"',
    );
    expect(res.body).toContain(
      '<option value="TRC20" selected>TRC20</option><option value="ERC20">ERC20</option><option value="BEP20">BEP20</option>',
    );
    expect(res.body).toContain('>Simulate deposit</button>');
    expect(res.body).toContain('delivered in the background');
  });

  it('a wrong-network deposit then confirmations: processing then succeeded, both with what was received', async () => {
    const id = await crypto();
    const dep = await post(`/sandbox/crypto/${id}/deposit`, 'amount=24.5&network=ERC20');
    expect(dep.statusCode).toBe(303);
    expect(dep.headers.location).toBe(`/sandbox/crypto/${id}`);
    let p = await row(id);
    expect(p).toMatchObject({ status: 'processing', received_amount: 24_500_000n, received_network: 'ERC20' });
    const mid = await get(`/sandbox/crypto/${id}`);
    expectPage(mid, 200);
    expect(mid.body).toContain('24.500000 USDT');
    expect(mid.body).toContain(
      `<form method="post" action="/sandbox/crypto/${id}/confirm"><button type="submit">Add confirmations</button></form>`,
    );
    expect(mid.body).not.toContain('/deposit"');
    expectPage(await post(`/sandbox/crypto/${id}/deposit`, 'amount=1&network=TRC20'), 409);

    const conf = await post(`/sandbox/crypto/${id}/confirm`);
    expect(conf.statusCode).toBe(303);
    expect(conf.headers.location).toBe(`/sandbox/crypto/${id}`);
    p = await row(id);
    expect(p).toMatchObject({ status: 'succeeded', received_amount: 24_500_000n, received_network: 'ERC20' });
    const evs = await events(id);
    expect(evs.map((e) => e.type)).toEqual(['payment.processing', 'payment.succeeded']);
    for (const e of evs)
      expect(e.data).toEqual({ payment_id: id, amount: 24_500_000, currency: 'USDT', network: 'ERC20' });
    expect(kicks).toBe(2);
    expect((await get(`/sandbox/crypto/${id}`)).body).toContain('Deposit confirmed');
    expectPage(await post(`/sandbox/crypto/${id}/confirm`), 409);
    expect(await events(id)).toHaveLength(2);
  });

  it('accepts a JSON body too', async () => {
    const id = await crypto();
    const res = await app.inject({
      method: 'POST',
      url: `/sandbox/crypto/${id}/deposit`,
      payload: { amount: '25', network: 'TRC20' },
    });
    expect(res.statusCode).toBe(303);
    expect(await row(id)).toMatchObject({
      status: 'processing',
      received_amount: 25_000_000n,
      received_network: 'TRC20',
    });
  });

  it('confirmations before any deposit: 409', async () => {
    const id = await crypto();
    const res = await post(`/sandbox/crypto/${id}/confirm`);
    expectPage(res, 409);
    expect(res.body).toContain('Cannot add confirmations: this payment is still waiting for payment.');
    expect(await events(id)).toEqual([]);
  });

  it.each([
    ['amount=abc&network=TRC20'],
    ['amount=-1&network=TRC20'],
    ['amount=0&network=TRC20'],
    ['amount=1.1234567&network=TRC20'],
    ['amount=99999999999999999999&network=TRC20'],
    ['network=TRC20'],
    ['amount=10&network=SOL'],
    ['amount=10'],
  ])('bad input %s: 400 page and nothing changes', async (form) => {
    const id = await crypto();
    const before = await row(id);
    expectPage(await post(`/sandbox/crypto/${id}/deposit`, form), 400);
    expect(await row(id)).toEqual(before);
    expect(await events(id)).toEqual([]);
    expect(kicks).toBe(0);
  });
});

describe('unknown payments', () => {
  it('404 pages for unknown ids and for the other method’s page', async () => {
    const cardId = await card();
    const cryptoId = await crypto();
    for (const url of [
      '/sandbox/checkout/sbxpay_nope',
      '/sandbox/crypto/sbxpay_nope',
      `/sandbox/crypto/${cardId}`,
      `/sandbox/checkout/${cryptoId}`,
    ]) {
      const res = await get(url);
      expectPage(res, 404);
      expect(res.body).toContain('Payment not found');
    }
    for (const url of [
      '/sandbox/checkout/sbxpay_nope/pay',
      '/sandbox/checkout/sbxpay_nope/decline',
      '/sandbox/crypto/sbxpay_nope/confirm',
      `/sandbox/checkout/${cryptoId}/pay`,
      `/sandbox/crypto/${cardId}/confirm`,
    ]) {
      expectPage(await post(url), 404);
    }
    expectPage(await post('/sandbox/crypto/sbxpay_nope/deposit', 'amount=1&network=TRC20'), 404);
    expectPage(await post(`/sandbox/crypto/${cardId}/deposit`, 'amount=1&network=TRC20'), 404);
    expect((await row(cardId)).status).toBe('requires_payment');
    expect((await row(cryptoId)).status).toBe('requires_payment');
    expect(kicks).toBe(0);
  });
});
