import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/providers/index.js';
import { setupHarness } from './harness.js';

const h = await setupHarness();

async function webhook(body: unknown) {
  const raw = JSON.stringify(body);
  const res = await h.app.inject({
    method: 'POST',
    url: '/webhooks/sandbox',
    headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader(h.sandboxSecret, raw) },
    payload: raw,
  });
  return { status: res.statusCode, body: res.json() };
}

describe('top-up smoke', () => {
  it('card in CNY credits a USD wallet through a signed sandbox webhook', async () => {
    const customer = await h.newCustomer();
    expect((await h.post('/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '7.20' })).status).toBe(201);
    const methods = await h.call('GET', `/v1/payment-methods?balance=wallet&currency=CNY&customer=${customer}`);
    expect(methods.status).toBe(200);
    const low = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 7199,
      currency: 'CNY',
      method: 'card',
    });
    expect(low.status).toBe(422);
    expect(low.body.error.details.minimum).toEqual({ amount: 7200, currency: 'CNY' });
    const res = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 7200,
      currency: 'CNY',
      method: 'card',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.next_action.type).toBe('redirect');
    const order = res.body;
    const paid = await h.app.inject({ method: 'POST', url: `/sandbox/checkout/${order.provider.payment_id}/pay` });
    expect(paid.statusCode).toBe(303);
    const delivery = await h.handle.db.selectFrom('sandbox_deliveries').select('body').executeTakeFirstOrThrow();
    const first = await webhook(JSON.parse(delivery.body));
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.result).toBe('processed');
    const again = await webhook(JSON.parse(delivery.body));
    expect(again.body.result).toBe('duplicate');
    const got = await h.call('GET', `/v1/topups/${order.id}`);
    expect(got.body.status).toBe('succeeded');
    expect(got.body.credited).toEqual({ amount: 1000, currency: 'USD' });
    expect((await h.balance(customer, 'wallet')).posted).toBe(1000);
    const list = await h.call('GET', `/v1/topups?customer=${customer}`);
    expect(list.body.data.length).toBe(1);
    const csv = await h.app.inject({
      url: `/v1/topups.csv?customer=${customer}`,
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.body.split('\n').length).toBe(3);
  });

  it('balance method and bank transfer confirm', async () => {
    const customer = await h.newCustomer({ wallet: 5000 });
    const ok = await h.post('/v1/topups', {
      customer,
      balance: 'sms',
      amount: 2000,
      currency: 'USD',
      method: 'balance',
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.status).toBe('succeeded');
    expect((await h.balance(customer, 'sms')).posted).toBe(2000);
    const poor = await h.post('/v1/topups', {
      customer,
      balance: 'sms',
      amount: 4000,
      currency: 'USD',
      method: 'balance',
    });
    expect(poor.status).toBe(402);
    const bank = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 5000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect(bank.status, JSON.stringify(bank.body)).toBe(201);
    expect(bank.body.next_action.type).toBe('bank_transfer');
    const conf = await h.post(`/v1/topups/${bank.body.id}/confirm`, { amount_received: 4000 });
    expect(conf.status, JSON.stringify(conf.body)).toBe(200);
    expect(conf.body.credited.amount).toBe(4000);
  });
});
