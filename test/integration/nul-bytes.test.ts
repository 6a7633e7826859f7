import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { signatureHeader } from '../../src/providers/index.js';
import { expectInvalid } from './assertions.js';
import { setupHarness } from './harness.js';

const h = await setupHarness();
const NUL = '\u0000';
const MISSING_ORDER = 'ord_00000000000000000000000000';

/** Every row a refused request could have written, and the test customer's balances. */
async function world(customer: string) {
  const { rows } = await sql<Record<string, string>>`
    SELECT (SELECT count(*) FROM transfers)::text AS transfers, (SELECT count(*) FROM entries)::text AS entries,
           (SELECT count(*) FROM holds)::text AS holds, (SELECT count(*) FROM customers)::text AS customers,
           (SELECT count(*) FROM idempotency_keys)::text AS keys, (SELECT count(*) FROM fx_rates)::text AS rates,
           (SELECT count(*) FROM provider_events)::text AS events, (SELECT count(*) FROM orders)::text AS orders`.execute(
    h.handle.db,
  );
  return { counts: rows[0], wallet: await h.balance(customer, 'wallet'), sms: await h.balance(customer, 'sms') };
}

let customer: string;
beforeAll(async () => {
  customer = await h.newCustomer({ wallet: 10_000, products: { sms: 500 } });
});

const charge = (over: Record<string, unknown>) => ({
  customer,
  balance: 'wallet',
  amount: 10,
  currency: 'USD',
  ...over,
});

describe('NUL bytes and unpaired surrogates are refused at validation, naming the field', () => {
  it.each<[string, string, () => Record<string, unknown>, string]>([
    ['charge description', '/v1/charges', () => charge({ description: `coffee${NUL}` }), 'description'],
    ['charge metadata value', '/v1/charges', () => charge({ metadata: { note: `a${NUL}b` } }), 'metadata.note'],
    ['charge metadata key', '/v1/charges', () => charge({ metadata: { [`no${NUL}te`]: 'x' } }), 'metadata'],
    [
      'charge description, lone surrogate',
      '/v1/charges',
      () => charge({ description: 'half \ud83d of an emoji' }),
      'description',
    ],
    ['hold description', '/v1/holds', () => charge({ description: NUL }), 'description'],
    [
      'grant reason',
      '/v1/grants',
      () => ({ customer, balance: 'wallet', amount: 10, currency: 'USD', reason: `bonus${NUL}` }),
      'reason',
    ],
    [
      'customer external_id',
      '/v1/customers',
      () => ({ external_id: `ext${NUL}`, email: 'n@example.com' }),
      'external_id',
    ],
    [
      'customer name',
      '/v1/customers',
      () => ({ external_id: `ext-${Math.random()}`, email: 'n@example.com', name: `Ann${NUL}` }),
      'name',
    ],
    [
      'customer email',
      '/v1/customers',
      () => ({ external_id: `ext-${Math.random()}`, email: `n${NUL}@example.com` }),
      'email',
    ],
    [
      'customer metadata value, lone low surrogate',
      '/v1/customers',
      () => ({ external_id: `ext-${Math.random()}`, email: 'n@example.com', metadata: { tier: '\udc00' } }),
      'metadata.tier',
    ],
    [
      'fx rate source',
      '/v1/fx-rates',
      () => ({ base: 'USD', quote: 'CNY', rate: '7.1', source: `bank${NUL}` }),
      'source',
    ],
    [
      'bank confirmation note',
      `/v1/topups/${MISSING_ORDER}/confirm`,
      () => ({ amount_received: 100, note: `paid${NUL}` }),
      'note',
    ],
  ])('%s → 400 invalid_request; nothing changes', async (_name, url, body, field) => {
    const before = await world(customer);
    const res = await h.post(url, body());
    expectInvalid(res, field);
    expect(res.body.error.details.fields[0].field).toBe(field);
    expect(await world(customer)).toEqual(before);
  });

  it('a NUL in a query parameter → 400 naming it', async () => {
    expectInvalid(await h.call('GET', '/v1/customers?external_id=a%00b'), 'external_id');
    expectInvalid(await h.call('GET', `/v1/topups?customer=${customer}&starting_after=ord_%00`), 'starting_after');
  });

  it('a NUL in a path parameter → 400 naming it (never a database error)', async () => {
    expectInvalid(await h.call('GET', '/v1/customers/cus_%00'), 'id');
    expectInvalid(await h.call('GET', '/sandbox/checkout/pay_%00'), 'id');
  });

  it('a NUL in a portal body → 400 naming it', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/portal/api/signin/email',
      payload: { email: `a${NUL}@example.com` },
    });
    expectInvalid({ status: res.statusCode, body: res.json() }, 'email');
  });

  it('a signed sandbox webhook with a NUL in payment_id → 400 naming it; nothing recorded', async () => {
    const before = await world(customer);
    const raw = JSON.stringify({
      id: newId('evt'),
      type: 'payment.succeeded',
      data: { payment_id: `pay${NUL}1`, amount: 100, currency: 'USD' },
    });
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/sandbox',
      headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader(h.sandboxSecret, raw) },
      payload: raw,
    });
    expectInvalid({ status: res.statusCode, body: res.json() }, 'payment_id');
    expect(res.json().error.message).toMatch(/^Webhook rejected: payment_id must not contain NUL/);
    expect(await world(customer)).toEqual(before);
  });

  it('bad members sent alongside a batch of good charges fail alone', async () => {
    const other = await h.newCustomer({ wallet: 1_000 });
    const before = await world(customer);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 5 === 0
          ? h.post('/v1/charges', {
              customer: other,
              balance: 'wallet',
              amount: 1,
              currency: 'USD',
              description: `bad${NUL}${i}`,
            })
          : h.post('/v1/charges', charge({ amount: 1 })),
      ),
    );
    results.forEach((res, i) => expect(res.status, String(i)).toBe(i % 5 === 0 ? 400 : 201));
    expect((await world(customer)).wallet.posted).toBe(before.wallet.posted - 32);
    expect(await h.balance(other, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('printable text, emoji and other scripts are stored unchanged', async () => {
    const description = 'café ☕ 咖啡 😀 tab\there';
    const res = await h.post('/v1/charges', charge({ description, metadata: { 'clé 😀': 'valeur ✓' } }));
    expect(res.status).toBe(201);
    expect(res.body.description).toBe(description);
    expect(res.body.metadata).toEqual({ 'clé 😀': 'valeur ✓' });
  });
});
