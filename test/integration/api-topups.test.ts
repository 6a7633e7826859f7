import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { idTime, newId } from '../../src/lib/ids.js';
import { signatureHeader } from '../../src/providers/index.js';
import { sandboxAddress } from '../../src/sandbox/index.js';
import { BAD_AMOUNTS, ISO, MISSING_CUSTOMER, expectError, expectInvalid } from './assertions.js';
import { setupHarness } from './harness.js';

const h = await setupHarness();
const db = h.handle.db;
const PUBLIC = h.config.publicUrl;
const MISSING_ORDER = 'ord_00000000000000000000000000';

// The rates every test here relies on: 1 USD = 7.20 CNY and 1 USDT = 0.998 USD.
for (const rate of [
  { base: 'USD', quote: 'CNY', rate: '7.20' },
  { base: 'USDT', quote: 'USD', rate: '0.998' },
]) {
  const res = await h.post('/v1/fx-rates', rate);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

type Body = Record<string, unknown>;
const topup = (body: Body, key?: string) => h.post('/v1/topups', body, key);
const get = (id: string) => h.call('GET', `/v1/topups/${id}`);
const cardBody = (customer: string, amount: unknown = 5000, extra: Body = {}): Body => ({
  customer,
  balance: 'wallet',
  amount,
  currency: 'USD',
  method: 'card',
  ...extra,
});
const cryptoBody = (customer: string, amount = 20_000_000, network = 'TRC20'): Body => ({
  customer,
  balance: 'wallet',
  amount,
  currency: 'USDT',
  method: 'crypto',
  network,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function created(body: Body): Promise<any> {
  const res = await topup(body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** POST /webhooks/sandbox with the raw body and whatever signature header is given (null = none). */
async function webhookRaw(raw: string, signature: string | null = signatureHeader(h.sandboxSecret, raw)) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/webhooks/sandbox',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'coffer-signature': signature }) },
    payload: raw,
  });
  return { status: res.statusCode, body: res.json() };
}

/** Delivers every queued sandbox webhook of a payment, in order, as the sandbox would; returns the results. */
async function deliver(paymentId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('sandbox_deliveries')
    .select(['id', 'body'])
    .where('payment_id', '=', paymentId)
    .where('delivered_at', 'is', null)
    .orderBy('id')
    .execute();
  const results: string[] = [];
  for (const row of rows) {
    const res = await webhookRaw(row.body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    results.push(res.body.result);
    await db.updateTable('sandbox_deliveries').set({ delivered_at: new Date() }).where('id', '=', row.id).execute();
  }
  return results;
}

async function sandboxAction(url: string, payload?: Body | string): Promise<void> {
  const form = typeof payload === 'string';
  const res = await h.app.inject({
    method: 'POST',
    url,
    ...(payload === undefined
      ? {}
      : { payload, headers: form ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }),
  });
  expect(res.statusCode, res.body).toBe(303);
}
const payCard = (pid: string) => sandboxAction(`/sandbox/checkout/${pid}/pay`);
const declineCard = (pid: string) => sandboxAction(`/sandbox/checkout/${pid}/decline`);
const deposit = (pid: string, amount: string, network: string, asForm = false) =>
  sandboxAction(
    `/sandbox/crypto/${pid}/deposit`,
    asForm ? new URLSearchParams({ amount, network }).toString() : { amount, network },
  );
const confirmDeposit = (pid: string) => sandboxAction(`/sandbox/crypto/${pid}/confirm`);

async function count(
  table: 'orders' | 'transfers' | 'order_timeline' | 'provider_events' | 'accounts',
): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(table)}`.execute(db);
  return Number(rows[0].n);
}

/** Everything a refused request could have touched. */
async function world(customer: string) {
  return {
    orders: await count('orders'),
    transfers: await count('transfers'),
    timeline: await count('order_timeline'),
    events: await count('provider_events'),
    accounts: await count('accounts'),
    balances: (await h.call('GET', `/v1/customers/${customer}/balances`)).body,
  };
}

async function transfersOf(orderId: string) {
  return db
    .selectFrom('transfers')
    .select(['reference', 'amount', 'currency'])
    .where('object_id', '=', orderId)
    .orderBy('reference')
    .execute();
}

const timelineOf = (o: any) => o.timeline.map((t: any) => [t.status, t.note, t.actor]);

describe('card', () => {
  it('create: 201 with the fee on top, a redirect to the sandbox checkout and a timeline', async () => {
    const customer = await h.newCustomer();
    const res = await topup(cardBody(customer, 5000, { return_url: 'https://shop.example/back?x=1' }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const o = res.body;
    const pid = o.provider.payment_id;
    expect(pid).toMatch(/^sbxpay_[0-9a-z]{26}$/);
    expect(o).toEqual({
      id: expect.stringMatching(/^ord_[0-9a-z]{26}$/),
      object: 'topup',
      customer,
      balance: 'wallet',
      method: 'card',
      status: 'pending',
      needs_review: false,
      paid_late: false,
      amount: { amount: 5000, currency: 'USD' },
      pay: { amount: 5175, currency: 'USD' }, // 5000 + 145 (2.9 %) + 30
      fee: { amount: 175, currency: 'USD' },
      credit: { amount: 5000, currency: 'USD' },
      fx_rate: null,
      fx: null,
      network: null,
      received: null,
      credited: null,
      refunded_amount: 0,
      refund_status: 'none',
      provider: { name: 'sandbox', payment_id: pid },
      next_action: { type: 'redirect', url: `${PUBLIC}/sandbox/checkout/${pid}` },
      return_url: 'https://shop.example/back?x=1',
      expires_at: expect.stringMatching(ISO),
      created_at: expect.stringMatching(ISO),
      succeeded_at: null,
      timeline: [{ at: expect.stringMatching(ISO), status: 'pending', note: 'Order created: card', actor: 'api' }],
    });
    expect(Date.parse(o.expires_at) - Date.parse(o.created_at)).toBe(1800_000);
    expect(o.created_at).toBe(idTime(o.id).toISOString());
    // the sandbox payment is for the amount to pay, fee included
    const sp = await db.selectFrom('sandbox_payments').selectAll().where('id', '=', pid).executeTakeFirstOrThrow();
    expect([sp.order_id, sp.amount, sp.currency, sp.status]).toEqual([o.id, 5175n, 'USD', 'requires_payment']);
    expect((await get(o.id)).body).toEqual(o);
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
  });

  it('Pay on the sandbox page, then the webhook: succeeded and credit.amount credited; a replay is a duplicate', async () => {
    const customer = await h.newCustomer();
    const o = await created(cardBody(customer, 5000));
    const pid = o.provider.payment_id;
    await payCard(pid);
    // nothing happens until the webhook arrives
    expect((await get(o.id)).body.status).toBe('pending');
    const [queued] = await db.selectFrom('sandbox_deliveries').select('body').where('payment_id', '=', pid).execute();
    expect(JSON.parse(queued.body)).toMatchObject({
      type: 'payment.succeeded',
      data: { payment_id: pid, amount: 5175, currency: 'USD' },
    });
    expect(await deliver(pid)).toEqual(['processed']);
    const done = (await get(o.id)).body;
    expect(done).toMatchObject({
      status: 'succeeded',
      needs_review: false,
      paid_late: false,
      received: { amount: 5175, currency: 'USD' },
      credited: { amount: 5000, currency: 'USD' },
      credit: { amount: 5000, currency: 'USD' },
      next_action: null,
      succeeded_at: expect.stringMatching(ISO),
    });
    expect(timelineOf(done)).toEqual([
      ['pending', 'Order created: card', 'api'],
      ['succeeded', 'Paid', 'provider:sandbox'],
    ]);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 5000, held: 0, available: 5000 });
    expect(await transfersOf(o.id)).toEqual([
      { reference: o.id, amount: 5000n, currency: 'USD' },
      { reference: `${o.id}:fee`, amount: 175n, currency: 'USD' },
    ]);

    // the same event again (freshly signed, as a provider retry would be)
    const events = await count('provider_events');
    expect((await webhookRaw(queued.body)).body).toEqual({ received: true, result: 'duplicate' });
    expect(await count('provider_events')).toBe(events);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 5000, held: 0, available: 5000 });
    expect((await get(o.id)).body).toEqual(done);
    expect(await transfersOf(o.id)).toHaveLength(2);
  });

  it('Decline: failed, nothing credited', async () => {
    const customer = await h.newCustomer();
    const o = await created(cardBody(customer, 2500));
    await declineCard(o.provider.payment_id);
    expect(await deliver(o.provider.payment_id)).toEqual(['processed']);
    const failed = (await get(o.id)).body;
    expect(failed).toMatchObject({
      status: 'failed',
      received: null,
      credited: null,
      succeeded_at: null,
      next_action: null,
      paid_late: false,
    });
    expect(timelineOf(failed)).toEqual([
      ['pending', 'Order created: card', 'api'],
      ['failed', 'Payment failed: card_declined', 'provider:sandbox'],
    ]);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 0, held: 0, available: 0 });
    expect(await transfersOf(o.id)).toEqual([]);
  });

  it('a signed event is checked against the provider: an unpaid payment is not credited, and the provider amount wins', async () => {
    const customer = await h.newCustomer();
    const o = await created(cardBody(customer, 5000));
    const pid = o.provider.payment_id;
    const claim = (amount: number) =>
      JSON.stringify({
        id: newId('evt'),
        type: 'payment.succeeded',
        data: { payment_id: pid, amount, currency: 'USD' },
      });
    // not paid on the sandbox yet: 503 so the provider delivers it again later; nothing recorded
    const early = await webhookRaw(claim(5175));
    expect(early.status).toBe(503);
    expect(early.body.error.code).toBe('unavailable');
    expect(
      await h.handle.db.selectFrom('provider_events').select('event_id').where('order_id', '=', o.id).execute(),
    ).toEqual([]);
    expect((await get(o.id)).body.status).toBe('pending');
    // paid 5175 on the sandbox; an event claiming 999999 is credited for what the provider holds
    await payCard(pid);
    expect((await webhookRaw(claim(999_999))).body).toEqual({ received: true, result: 'processed' });
    expect((await get(o.id)).body).toMatchObject({
      status: 'succeeded',
      received: { amount: 5175, currency: 'USD' },
      credited: { amount: 5000, currency: 'USD' },
    });
    // the sandbox's own queued event for the same payment now arrives: already credited, no change
    expect(await deliver(pid)).toEqual(['processed']);
    const after = (await get(o.id)).body;
    expect(after).toMatchObject({
      status: 'succeeded',
      needs_review: false,
      credited: { amount: 5000, currency: 'USD' },
    });
    const recorded = await h.handle.db
      .selectFrom('provider_events')
      .select('result')
      .where('order_id', '=', o.id)
      .orderBy('received_at')
      .execute();
    expect(recorded.at(-1)!.result).toBe('This payment was already credited; no change');
    expect((await h.balance(customer, 'wallet')).posted).toBe(5000);
  });

  it('a product balance topped up by card is credited to the product; the wallet is untouched', async () => {
    const customer = await h.newCustomer({ wallet: 700 });
    const o = await created(cardBody(customer, 3000, { balance: 'whatsapp' }));
    expect([o.balance, o.fee.amount, o.pay.amount, o.credit]).toEqual([
      'whatsapp',
      117,
      3117,
      { amount: 3000, currency: 'USD' },
    ]);
    await payCard(o.provider.payment_id);
    expect(await deliver(o.provider.payment_id)).toEqual(['processed']);
    expect(await h.balance(customer, 'whatsapp')).toEqual({ posted: 3000, held: 0, available: 3000 });
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 700, held: 0, available: 700 });
  });

  it('a frozen customer can still top up by card (that is how a negative balance is repaid)', async () => {
    const customer = await h.newCustomer();
    await db.updateTable('customers').set({ status: 'frozen' }).where('id', '=', customer).execute();
    const o = await created(cardBody(customer, 1000));
    await payCard(o.provider.payment_id);
    expect(await deliver(o.provider.payment_id)).toEqual(['processed']);
    expect((await get(o.id)).body.status).toBe('succeeded');
    expect((await h.balance(customer, 'wallet')).posted).toBe(1000);
  });

  it('a CNY-wallet customer paying USD is credited in CNY, rounded down', async () => {
    const customer = await h.newCustomer({ currency: 'CNY' });
    const o = await created(cardBody(customer, 1001));
    // 1001 × 7.20 = 7207.2 CNY minor → 7207; fee ceil(29.029) + 30 = 60 USD minor
    expect([o.fee, o.pay, o.credit, o.fx_rate]).toEqual([
      { amount: 60, currency: 'USD' },
      { amount: 1061, currency: 'USD' },
      { amount: 7207, currency: 'CNY' },
      '7.20',
    ]);
    await payCard(o.provider.payment_id);
    expect(await deliver(o.provider.payment_id)).toEqual(['processed']);
    expect((await get(o.id)).body.credited).toEqual({ amount: 7207, currency: 'CNY' });
    expect((await h.balance(customer, 'wallet')).posted).toBe(7207);
  });

  it('the same event delivered twice at once is processed once', async () => {
    const customer = await h.newCustomer();
    const o = await created(cardBody(customer, 5000));
    await payCard(o.provider.payment_id);
    const [row] = await db
      .selectFrom('sandbox_deliveries')
      .select('body')
      .where('payment_id', '=', o.provider.payment_id)
      .execute();
    const results = await Promise.all([webhookRaw(row.body), webhookRaw(row.body), webhookRaw(row.body)]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.map((r) => r.body.result).sort()).toEqual(['duplicate', 'duplicate', 'processed']);
    expect((await h.balance(customer, 'wallet')).posted).toBe(5000);
    expect(await transfersOf(o.id)).toHaveLength(2);
  });
});

describe('crypto', () => {
  it('create: crypto_transfer next action with the address, network and decimal amount', async () => {
    const customer = await h.newCustomer();
    const o = await created(cryptoBody(customer, 20_123_457));
    const pid = o.provider.payment_id;
    expect(o).toMatchObject({
      status: 'pending',
      method: 'crypto',
      network: 'TRC20',
      amount: { amount: 20_123_457, currency: 'USDT' },
      pay: { amount: 20_123_457, currency: 'USDT' },
      fee: { amount: 0, currency: 'USDT' },
      credit: { amount: 2008, currency: 'USD' }, // 20.123457 × 0.998 = 20.0832 → down
      fx_rate: '0.998',
      fx: { base: 'USDT', quote: 'USD', rate: '0.998' },
      provider: { name: 'sandbox', payment_id: pid },
    });
    expect(o.next_action).toEqual({
      type: 'crypto_transfer',
      asset: 'USDT',
      network: 'TRC20',
      address: sandboxAddress(pid, 'TRC20'),
      amount: '20.123457',
      expires_at: o.expires_at,
      simulator_url: `${PUBLIC}/sandbox/crypto/${pid}`,
    });
    expect(o.next_action.address).toMatch(/^T[1-9A-HJ-NP-Za-km-z]{33}$/);
    expect(Date.parse(o.expires_at) - Date.parse(o.created_at)).toBe(3600_000);
  });

  it('exact: processing after the deposit, succeeded after the confirmations', async () => {
    const customer = await h.newCustomer();
    const o = await created(cryptoBody(customer));
    expect(o.credit).toEqual({ amount: 1996, currency: 'USD' });
    const pid = o.provider.payment_id;
    await deposit(pid, '20.00', 'TRC20');
    expect(await deliver(pid)).toEqual(['processed']);
    expect((await get(o.id)).body).toMatchObject({
      status: 'processing',
      needs_review: false,
      received: null,
      credited: null,
      next_action: null,
    });
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
    await confirmDeposit(pid);
    expect(await deliver(pid)).toEqual(['processed']);
    const done = (await get(o.id)).body;
    expect(done).toMatchObject({
      status: 'succeeded',
      needs_review: false,
      paid_late: false,
      received: { amount: 20_000_000, currency: 'USDT' },
      credited: { amount: 1996, currency: 'USD' },
    });
    expect(timelineOf(done)).toEqual([
      ['pending', 'Order created: crypto', 'api'],
      ['processing', 'Payment seen; waiting for confirmation', 'provider:sandbox'],
      ['succeeded', 'Paid', 'provider:sandbox'],
    ]);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1996, held: 0, available: 1996 });
  });

  it('under-payment: processing with needs_review, nothing credited', async () => {
    const customer = await h.newCustomer();
    const o = await created(cryptoBody(customer));
    const pid = o.provider.payment_id;
    await deposit(pid, '15.00', 'TRC20');
    await confirmDeposit(pid);
    expect(await deliver(pid)).toEqual(['processed', 'processed']);
    const got = (await get(o.id)).body;
    expect(got).toMatchObject({
      status: 'processing',
      needs_review: true,
      paid_late: false,
      received: { amount: 15_000_000, currency: 'USDT' },
      credited: null,
      succeeded_at: null,
    });
    expect(timelineOf(got).at(-1)).toEqual([
      'processing',
      'Under-payment: 15000000 of 20000000 arrived; it needs review',
      'provider:sandbox',
    ]);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 0, held: 0, available: 0 });
    expect(await transfersOf(o.id)).toEqual([]);
  });

  it('over-payment (form body): credits what arrived at the locked rate', async () => {
    const customer = await h.newCustomer();
    const o = await created(cryptoBody(customer));
    const pid = o.provider.payment_id;
    await deposit(pid, '25.5', 'TRC20', true);
    await confirmDeposit(pid);
    expect(await deliver(pid)).toEqual(['processed', 'processed']);
    const got = (await get(o.id)).body;
    // 25.500000 USDT × 0.998 = 25.449 USD → 25.44
    expect(got).toMatchObject({
      status: 'succeeded',
      needs_review: false,
      received: { amount: 25_500_000, currency: 'USDT' },
      credited: { amount: 2544, currency: 'USD' },
      credit: { amount: 1996, currency: 'USD' },
    });
    expect(timelineOf(got).at(-1)).toEqual([
      'succeeded',
      'Paid (over-payment: 25500000 of 20000000)',
      'provider:sandbox',
    ]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(2544);
  });

  it('wrong network: a TRC20 order paid on ERC20 goes to review, not credited', async () => {
    const customer = await h.newCustomer();
    const o = await created(cryptoBody(customer));
    const pid = o.provider.payment_id;
    await deposit(pid, '20.00', 'ERC20');
    await confirmDeposit(pid);
    expect(await deliver(pid)).toEqual(['processed', 'processed']);
    const got = (await get(o.id)).body;
    expect(got).toMatchObject({
      status: 'processing',
      needs_review: true,
      received: { amount: 20_000_000, currency: 'USDT' },
      credited: null,
    });
    expect(timelineOf(got).at(-1)).toEqual([
      'processing',
      'Payment arrived on ERC20 instead of TRC20; it needs review',
      'provider:sandbox',
    ]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
  });

  it('lists and the CSV expire pending orders past their time first (the check on read)', async () => {
    const customer = await h.newCustomer();
    const o = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 5000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    await db
      .updateTable('orders')
      .set({ expires_at: sql`now() - interval '1 second'` })
      .where('id', '=', o.body.id)
      .execute();
    expect((await h.call('GET', `/v1/topups?customer=${customer}&status=pending`)).body.data).toEqual([]);
    const listed = (await h.call('GET', `/v1/topups?customer=${customer}`)).body.data;
    expect(listed.map((x: any) => [x.id, x.status])).toEqual([[o.body.id, 'expired']]);
    expect(listed[0].timeline.at(-1)).toMatchObject({ status: 'expired', actor: 'system' });
  });

  it('late: an expired order paid afterwards is credited and marked paid_late', async () => {
    const customer = await h.newCustomer();
    const o = await created(cryptoBody(customer));
    const pid = o.provider.payment_id;
    await db
      .updateTable('orders')
      .set({ expires_at: sql`now() - interval '1 minute'` })
      .where('id', '=', o.id)
      .execute();
    const expired = (await get(o.id)).body;
    expect(expired).toMatchObject({ status: 'expired', next_action: null, paid_late: false });
    expect(timelineOf(expired)).toEqual([
      ['pending', 'Order created: crypto', 'api'],
      ['expired', 'The order expired before payment arrived', 'system'],
    ]);
    await deposit(pid, '20.00', 'TRC20');
    await confirmDeposit(pid);
    expect(await deliver(pid)).toEqual(['processed', 'processed']);
    const results = await db
      .selectFrom('provider_events')
      .select('result')
      .where('order_id', '=', o.id)
      .orderBy('received_at')
      .execute();
    expect(results.map((r) => r.result)).toEqual([
      'Payment processing reported while expired; no change',
      'Paid late (order was expired)',
    ]);
    const got = (await get(o.id)).body;
    expect(got).toMatchObject({
      status: 'succeeded',
      paid_late: true,
      needs_review: false,
      credited: { amount: 1996, currency: 'USD' },
    });
    expect(timelineOf(got).at(-1)).toEqual(['succeeded', 'Paid late (order was expired)', 'provider:sandbox']);
    expect((await h.balance(customer, 'wallet')).posted).toBe(1996);
  });

  it('a processing order is not expired by time: it still succeeds on time', async () => {
    const customer = await h.newCustomer();
    const o = await created(cryptoBody(customer));
    const pid = o.provider.payment_id;
    await deposit(pid, '20.00', 'TRC20');
    expect(await deliver(pid)).toEqual(['processed']);
    await db
      .updateTable('orders')
      .set({ expires_at: sql`now() - interval '1 minute'` })
      .where('id', '=', o.id)
      .execute();
    expect((await get(o.id)).body.status).toBe('processing');
    await confirmDeposit(pid);
    expect(await deliver(pid)).toEqual(['processed']);
    expect((await get(o.id)).body).toMatchObject({
      status: 'succeeded',
      paid_late: false,
      credited: { amount: 1996, currency: 'USD' },
    });
  });
});

describe('bank_transfer', () => {
  it('create: bank_transfer next action with the reference and the receiving account', async () => {
    const customer = await h.newCustomer();
    const o = await created({ customer, balance: 'wallet', amount: 10_000, currency: 'CNY', method: 'bank_transfer' });
    const ref = o.provider.payment_id;
    expect(ref).toMatch(/^CF-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z*~$=U]$/);
    expect(o).toMatchObject({
      status: 'pending',
      pay: { amount: 10_000, currency: 'CNY' },
      fee: { amount: 0, currency: 'CNY' },
      credit: { amount: 1388, currency: 'USD' }, // 100.00 / 7.20 = 13.888… → 13.88
      fx_rate: '7.20',
      fx: { base: 'USD', quote: 'CNY', rate: '7.20' },
      provider: { name: 'manual', payment_id: ref },
    });
    expect(o.next_action).toEqual({
      type: 'bank_transfer',
      currency: 'CNY',
      amount: 10_000,
      amount_decimal: '100.00',
      reference: ref,
      account: h.config.bankAccounts.CNY,
    });
    expect(o.next_action.account).toMatchObject({
      beneficiary: expect.any(String),
      bank_name: expect.any(String),
      account_number: expect.any(String),
    });
    expect(Date.parse(o.expires_at) - Date.parse(o.created_at)).toBe(3 * 24 * 3600_000);
  });

  it.each([
    ['in full', 10_000, 1388],
    ['partially', 5_000, 694], // 50.00 / 7.2 = 6.944…
    ['over-paid', 20_000, 2777], // 200.00 / 7.2 = 27.777…
  ])('confirm %s: credits what arrived at the locked rate', async (what, received, credited) => {
    const customer = await h.newCustomer();
    const o = await created({ customer, balance: 'wallet', amount: 10_000, currency: 'CNY', method: 'bank_transfer' });
    // a newer rate must not change a locked quote
    expect((await h.post('/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '6.00' })).status).toBe(201);
    try {
      const res = await h.post(`/v1/topups/${o.id}/confirm`, { amount_received: received, note: 'seen on statement' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({
        status: 'succeeded',
        received: { amount: received, currency: 'CNY' },
        credited: { amount: credited, currency: 'USD' },
        credit: { amount: 1388, currency: 'USD' },
        fx_rate: '7.20',
        next_action: null,
        succeeded_at: expect.stringMatching(ISO),
      });
      expect(timelineOf(res.body).at(-1)).toEqual([
        'succeeded',
        `Bank transfer confirmed ${what}: ${received} of 10000 — seen on statement`,
        'api',
      ]);
      expect(await h.balance(customer, 'wallet')).toEqual({ posted: credited, held: 0, available: credited });
    } finally {
      expect((await h.post('/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '7.20' })).status).toBe(201);
    }
  });

  it('confirm twice → 409 invalid_state; confirm a card order → 409 invalid_state', async () => {
    const customer = await h.newCustomer();
    const o = await created({ customer, balance: 'wallet', amount: 3000, currency: 'USD', method: 'bank_transfer' });
    expect((await h.post(`/v1/topups/${o.id}/confirm`, { amount_received: 3000 })).status).toBe(200);
    const again = await h.post(`/v1/topups/${o.id}/confirm`, { amount_received: 3000 });
    expectError(again, 409, 'invalid_state');
    expect(again.body.error.details).toEqual({ status: 'succeeded' });
    expect((await h.balance(customer, 'wallet')).posted).toBe(3000);

    const c = await created(cardBody(customer, 3000));
    const before = (await get(c.id)).body;
    const card = await h.post(`/v1/topups/${c.id}/confirm`, { amount_received: 3119 });
    expectError(card, 409, 'invalid_state');
    expect(card.body.error.details).toEqual({ method: 'card' });
    expect((await get(c.id)).body).toEqual(before);
    expect((await h.balance(customer, 'wallet')).posted).toBe(3000);

    expectError(await h.post(`/v1/topups/${MISSING_ORDER}/confirm`, { amount_received: 1 }), 404, 'not_found');
    expectInvalid(await h.post(`/v1/topups/${o.id}/confirm`, { amount_received: 1, extra: true }), 'extra');
  });

  it('amount_received ≤ fee → 400, nothing credited', async () => {
    const customer = await h.newCustomer();
    // staff set a fixed fee of USD 0.50 on bank transfers for this order
    await db
      .updateTable('payment_methods')
      .set({ fee_fixed_minor: 50n })
      .where('method', '=', 'bank_transfer')
      .execute();
    let o: any;
    try {
      o = await created({ customer, balance: 'wallet', amount: 5000, currency: 'USD', method: 'bank_transfer' });
    } finally {
      await db
        .updateTable('payment_methods')
        .set({ fee_fixed_minor: 0n })
        .where('method', '=', 'bank_transfer')
        .execute();
    }
    expect([o.fee.amount, o.pay.amount, o.credit.amount]).toEqual([50, 5050, 5000]);
    const before = (await get(o.id)).body;
    for (const amount of [50, 1]) {
      const res = await h.post(`/v1/topups/${o.id}/confirm`, { amount_received: amount });
      expectInvalid(res, 'amount_received');
      expect(res.body.error.message).toBe('amount_received must be more than the fee (50).');
    }
    for (const [, bad] of BAD_AMOUNTS)
      expectInvalid(await h.post(`/v1/topups/${o.id}/confirm`, { amount_received: bad }), 'amount_received');
    expectInvalid(await h.post(`/v1/topups/${o.id}/confirm`, {}), 'amount_received');
    expect((await get(o.id)).body).toEqual(before);
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);
    // one unit above the fee is the smallest confirmable amount
    const ok = await h.post(`/v1/topups/${o.id}/confirm`, { amount_received: 51 });
    expect(ok.status).toBe(200);
    expect(ok.body.credited).toEqual({ amount: 1, currency: 'USD' });
  });

  it('confirming an expired or cancelled bank transfer still credits it, marked paid late', async () => {
    const customer = await h.newCustomer();
    const expired = await created({
      customer,
      balance: 'wallet',
      amount: 2000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    await db
      .updateTable('orders')
      .set({ expires_at: sql`now() - interval '1 day'` })
      .where('id', '=', expired.id)
      .execute();
    const e = await h.post(`/v1/topups/${expired.id}/confirm`, { amount_received: 2000 });
    expect(e.status, JSON.stringify(e.body)).toBe(200);
    expect(e.body).toMatchObject({ status: 'succeeded', paid_late: true, credited: { amount: 2000, currency: 'USD' } });
    expect(timelineOf(e.body).map((t: string[]) => t[0])).toEqual(['pending', 'expired', 'succeeded']);

    const cancelled = await created({
      customer,
      balance: 'wallet',
      amount: 3000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect((await h.post(`/v1/topups/${cancelled.id}/cancel`, undefined)).status).toBe(200);
    const c = await h.post(`/v1/topups/${cancelled.id}/confirm`, { amount_received: 3000 });
    expect(c.body).toMatchObject({ status: 'succeeded', paid_late: true, credited: { amount: 3000, currency: 'USD' } });
    expect((await h.balance(customer, 'wallet')).posted).toBe(5000);
  });
});

describe('balance method', () => {
  it('product top-up from a wallet with enough: 201 succeeded at once, wallet down, product up', async () => {
    const customer = await h.newCustomer({ wallet: 5000 });
    const res = await topup({ customer, balance: 'sms', amount: 2000, currency: 'USD', method: 'balance' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      balance: 'sms',
      method: 'balance',
      status: 'succeeded',
      pay: { amount: 2000, currency: 'USD' },
      fee: { amount: 0, currency: 'USD' },
      credit: { amount: 2000, currency: 'USD' },
      received: { amount: 2000, currency: 'USD' },
      credited: { amount: 2000, currency: 'USD' },
      provider: { name: 'internal', payment_id: null },
      next_action: null,
      succeeded_at: expect.stringMatching(ISO),
    });
    expect(timelineOf(res.body)).toEqual([
      ['pending', 'Order created: balance', 'api'],
      ['succeeded', 'Paid from the wallet', 'api'],
    ]);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 3000, held: 0, available: 3000 });
    expect(await h.balance(customer, 'sms')).toEqual({ posted: 2000, held: 0, available: 2000 });
    expect((await get(res.body.id)).body).toEqual(res.body);
  });

  it('not enough in the wallet: 402 insufficient_funds, nothing changes, no order', async () => {
    const customer = await h.newCustomer({ wallet: 3000 });
    const hold = await h.post('/v1/holds', { customer, balance: 'wallet', amount: 1000, currency: 'USD' });
    expect(hold.status).toBe(201);
    const before = await world(customer);
    // 3000 posted but only 2000 available
    const res = await topup({ customer, balance: 'sms', amount: 2001, currency: 'USD', method: 'balance' });
    expectError(res, 402, 'insufficient_funds');
    expect(res.body.error.details).toEqual({ available: 2000, currency: 'USD' });
    expect(await world(customer)).toEqual(before);
    expect(await db.selectFrom('orders').select('id').where('customer_id', '=', customer).execute()).toEqual([]);
    expect((await topup({ customer, balance: 'sms', amount: 2000, currency: 'USD', method: 'balance' })).status).toBe(
      201,
    );
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1000, held: 1000, available: 0 });
  });

  it('the balance method cannot top up the wallet; a frozen customer cannot spend the wallet', async () => {
    const customer = await h.newCustomer({ wallet: 5000 });
    const before = await world(customer);
    const res = await topup({ customer, balance: 'wallet', amount: 2000, currency: 'USD', method: 'balance' });
    expectError(res, 422, 'method_not_available');
    expect(res.body.error.details).toEqual({ method: 'balance', balance: 'wallet' });
    expect(await world(customer)).toEqual(before);

    const frozen = await h.newCustomer({ wallet: 5000 });
    await db.updateTable('customers').set({ status: 'frozen' }).where('id', '=', frozen).execute();
    const fb = await world(frozen);
    const f = await topup({ customer: frozen, balance: 'sms', amount: 2000, currency: 'USD', method: 'balance' });
    expectError(f, 403, 'customer_frozen');
    expect(f.body.error.details).toEqual({ customer: frozen });
    expect(await world(frozen)).toEqual(fb);
  });
});

describe('minimum', () => {
  it('USD: 999 refused, 1000 accepted (the fee on top)', async () => {
    const customer = await h.newCustomer();
    const before = await world(customer);
    const low = await topup(cardBody(customer, 999));
    expectError(low, 422, 'amount_below_minimum');
    expect(low.body.error.details).toEqual({ minimum: { amount: 1000, currency: 'USD' } });
    expect(low.body.error.message).toBe('The minimum top-up is 10.00 USD.');
    expect(await world(customer)).toEqual(before);
    const ok = await created(cardBody(customer, 1000));
    expect([ok.amount, ok.fee, ok.pay, ok.credit]).toEqual([
      { amount: 1000, currency: 'USD' },
      { amount: 59, currency: 'USD' }, // ceil(29) + 30
      { amount: 1059, currency: 'USD' },
      { amount: 1000, currency: 'USD' },
    ]);
  });

  it('CNY at 7.20: 7199 refused with the minimum stated in CNY, 7200 accepted; pay = amount + fee', async () => {
    const customer = await h.newCustomer();
    for (const method of ['card', 'bank_transfer']) {
      const low = await topup({ customer, balance: 'wallet', amount: 7199, currency: 'CNY', method });
      expectError(low, 422, 'amount_below_minimum');
      expect(low.body.error.details).toEqual({ minimum: { amount: 7200, currency: 'CNY' } });
      expect(low.body.error.message).toBe('The minimum top-up is 72.00 CNY.');
    }
    const o = await created({ customer, balance: 'wallet', amount: 7200, currency: 'CNY', method: 'card' });
    expect([o.amount, o.fee, o.pay, o.credit, o.fx_rate]).toEqual([
      { amount: 7200, currency: 'CNY' },
      { amount: 425, currency: 'CNY' }, // ceil(208.8) = 209 + USD 0.30 = CNY 2.16
      { amount: 7625, currency: 'CNY' },
      { amount: 1000, currency: 'USD' },
      '7.20',
    ]);
    // the card amount limit: USD 10,000 = CNY 72,000.00
    const high = await topup({ customer, balance: 'wallet', amount: 7_200_001, currency: 'CNY', method: 'card' });
    expectError(high, 422, 'amount_above_maximum');
    expect(high.body.error.details).toEqual({ maximum: { amount: 7_200_000, currency: 'CNY' } });
    expect(
      (await topup({ customer, balance: 'wallet', amount: 7_200_000, currency: 'CNY', method: 'card' })).status,
    ).toBe(201);
  });
});

describe('errors: refused requests change nothing', () => {
  it('each refusal has its documented status, code and field', async () => {
    const customer = await h.newCustomer({ wallet: 1000 });
    const before = await world(customer);
    const ok = cardBody(customer, 5000);
    const check = async () => expect(await world(customer)).toEqual(before);

    // missing Idempotency-Key
    const noKey = await h.call('POST', '/v1/topups', ok);
    expectInvalid(noKey, 'Idempotency-Key');
    await check();

    const notFound = await topup(cardBody(MISSING_CUSTOMER));
    expectError(notFound, 404, 'not_found');
    expect(notFound.body.error.details).toEqual({ id: MISSING_CUSTOMER });
    await check();

    const unknown = await topup({ ...ok, balance: 'nope' });
    expectError(unknown, 422, 'unknown_balance');
    expect(unknown.body.error.details).toEqual({ balance: 'nope' });
    await check();

    const noNetwork = await topup({
      customer,
      balance: 'wallet',
      amount: 20_000_000,
      currency: 'USDT',
      method: 'crypto',
    });
    expectInvalid(noNetwork, 'network');
    expect(noNetwork.body.error.message).toBe('network is required for crypto (one of TRC20, ERC20, BEP20).');
    expectInvalid(await topup(cryptoBody(customer, 20_000_000, 'SOL')), 'network');
    expectInvalid(await topup({ ...ok, network: 'TRC20' }), 'network');
    await check();

    const unsupported: [Body, string[]][] = [
      [{ ...ok, currency: 'GBP' }, ['USD', 'CNY', 'EUR']],
      [{ ...cryptoBody(customer), currency: 'USD', amount: 5000 }, ['USDT']],
      [{ ...ok, method: 'bank_transfer', currency: 'EUR' }, ['CNY', 'USD']],
    ];
    for (const [body, currencies] of unsupported) {
      const res = await topup(body);
      expectError(res, 422, 'currency_not_supported');
      expect(res.body.error.details).toEqual({ method: body.method, currencies });
    }
    await check();

    // EUR is accepted by card, but there is no EUR rate
    const noRate = await topup({ ...ok, currency: 'EUR' });
    expectError(noRate, 422, 'currency_not_supported');
    expect(noRate.body.error.details).toEqual({ from: 'EUR', to: 'USD' });
    await check();

    for (const [label, bad] of BAD_AMOUNTS) {
      const res = await topup({ ...ok, amount: bad });
      expectInvalid(res, 'amount');
      expect(
        res.body.error.details.fields.map((f: { field: string }) => f.field),
        label,
      ).toEqual(['amount']);
    }
    const { amount: _amount, ...noAmount } = ok;
    expectInvalid(await topup(noAmount), 'amount');
    for (const [field, value] of [
      ['customer', 123],
      ['customer', 'cus_short'],
      ['balance', 'Wallet'],
      ['currency', 'usd'],
      ['currency', 5],
      ['method', 'paypal'],
      ['network', 'trc20'],
      ['return_url', 'javascript:alert(1)'],
    ] as const) {
      expectInvalid(await topup({ ...ok, [field]: value }), field);
    }
    expectInvalid(await topup({ ...ok, unexpected: true }), 'unexpected');
    const malformed = await h.call('POST', '/v1/topups', '{"customer":', { 'idempotency-key': 'malformed-1' });
    expectInvalid(malformed, 'body');
    await check();
    expect(await db.selectFrom('orders').select('id').where('customer_id', '=', customer).execute()).toEqual([]);
  });
});

describe('idempotency', () => {
  it('same key and body → the same response, replayed; same key, another body → 409', async () => {
    const customer = await h.newCustomer();
    const key = `topup-${customer}`;
    const first = await topup(cardBody(customer, 4000), key);
    expect(first.status).toBe(201);
    const again = await topup(cardBody(customer, 4000), key);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.body.next_action).toEqual({
      type: 'redirect',
      url: `${PUBLIC}/sandbox/checkout/${first.body.provider.payment_id}`,
    });
    // key order in the body does not matter
    const { amount, ...rest } = cardBody(customer, 4000);
    expect((await topup({ amount, ...rest }, key)).headers['idempotent-replayed']).toBe('true');
    expect(await db.selectFrom('orders').select('id').where('customer_id', '=', customer).execute()).toEqual([
      { id: first.body.id },
    ]);
    expect(
      await db.selectFrom('sandbox_payments').select('id').where('order_id', '=', first.body.id).execute(),
    ).toHaveLength(1);

    const reused = await topup(cardBody(customer, 4001), key);
    expectError(reused, 409, 'idempotency_key_reused');
    expect(await db.selectFrom('orders').select('id').where('customer_id', '=', customer).execute()).toHaveLength(1);

    // a refusal is replayed too
    const low1 = await topup(cardBody(customer, 10), `low-${customer}`);
    const low2 = await topup(cardBody(customer, 10), `low-${customer}`);
    expectError(low2, 422, 'amount_below_minimum');
    expect(low2.headers['idempotent-replayed']).toBe('true');
    expect(low2.body).toEqual(low1.body);
  });
});

describe('cancel', () => {
  it('pending → cancelled; again → 409; a payment after the cancel is still credited, paid late', async () => {
    const customer = await h.newCustomer();
    const o = await created(cardBody(customer, 5000));
    const res = await h.post(`/v1/topups/${o.id}/cancel`, undefined);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: o.id, status: 'cancelled', next_action: null, credited: null });
    expect(timelineOf(res.body)).toEqual([
      ['pending', 'Order created: card', 'api'],
      ['cancelled', 'Cancelled', 'api'],
    ]);
    const again = await h.post(`/v1/topups/${o.id}/cancel`, undefined);
    expectError(again, 409, 'invalid_state');
    expect(again.body.error.details).toEqual({ status: 'cancelled' });
    expectError(await h.post(`/v1/topups/${MISSING_ORDER}/cancel`, undefined), 404, 'not_found');

    // the customer still pays on the checkout page they had open
    await payCard(o.provider.payment_id);
    expect(await deliver(o.provider.payment_id)).toEqual(['processed']);
    const got = (await get(o.id)).body;
    expect(got).toMatchObject({ status: 'succeeded', paid_late: true, credited: { amount: 5000, currency: 'USD' } });
    expect(timelineOf(got).at(-1)).toEqual(['succeeded', 'Paid late (order was cancelled)', 'provider:sandbox']);
    expect((await h.balance(customer, 'wallet')).posted).toBe(5000);
    expectError(await h.post(`/v1/topups/${o.id}/cancel`, undefined), 409, 'invalid_state');
  });

  it('an order past its expiry cannot be cancelled: it is expired', async () => {
    const customer = await h.newCustomer();
    const o = await created(cardBody(customer, 5000));
    await db
      .updateTable('orders')
      .set({ expires_at: sql`now() - interval '1 second'` })
      .where('id', '=', o.id)
      .execute();
    const res = await h.post(`/v1/topups/${o.id}/cancel`, undefined);
    expectError(res, 409, 'invalid_state');
    expect(res.body.error.details).toEqual({ status: 'expired' });
    expect((await get(o.id)).body.status).toBe('expired');
  });
});

describe('GET /v1/topups/{id}', () => {
  it('404 for an unknown id, whatever its shape', async () => {
    const res = await get(MISSING_ORDER);
    expectError(res, 404, 'not_found');
    expect(res.body.error.details).toEqual({ id: MISSING_ORDER });
    expectError(await get('ord_123'), 404, 'not_found');
  });

  it('a pending order past expires_at is returned as expired', async () => {
    const customer = await h.newCustomer();
    const o = await created(cardBody(customer, 5000));
    expect((await get(o.id)).body.status).toBe('pending');
    await db
      .updateTable('orders')
      .set({ expires_at: sql`now() - interval '1 second'` })
      .where('id', '=', o.id)
      .execute();
    const got = (await get(o.id)).body;
    expect(got).toMatchObject({ status: 'expired', next_action: null, credited: null });
    expect(timelineOf(got)).toEqual([
      ['pending', 'Order created: card', 'api'],
      ['expired', 'The order expired before payment arrived', 'system'],
    ]);
    // reading again does not add a second expiry
    expect((await get(o.id)).body).toEqual(got);
  });
});

describe('recharge history', () => {
  let a = '';
  let b = '';
  const orders: any[] = [];
  beforeAll(async () => {
    a = await h.newCustomer({ wallet: 5000 });
    b = await h.newCustomer();
    const bodies: Body[] = [
      cardBody(a, 1000),
      { customer: a, balance: 'wallet', amount: 7200, currency: 'CNY', method: 'bank_transfer' },
      { customer: a, balance: 'sms', amount: 1000, currency: 'USD', method: 'balance' },
      cryptoBody(a, 20_123_457),
      cardBody(a, 2000, { balance: 'sms' }),
    ];
    for (const body of bodies) {
      orders.push(await created(body));
      await sleep(3);
    }
    const cancelled = await h.post(`/v1/topups/${orders[1].id}/cancel`, undefined);
    expect(cancelled.status).toBe(200);
    orders[1] = cancelled.body;
    await created(cardBody(b, 1000));
  });
  const ids = (...n: number[]) => n.map((i) => orders[i].id);
  const list = async (query: string) => {
    const res = await h.call('GET', `/v1/topups?${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const idsOf = (body: any) => body.data.map((o: any) => o.id);

  it('filters by customer, status, method, balance and creation time; newest first', async () => {
    const all = await list(`customer=${a}`);
    expect(idsOf(all)).toEqual(ids(4, 3, 2, 1, 0));
    expect(all.has_more).toBe(false);
    expect(all.data[1]).toEqual((await get(orders[3].id)).body);
    expect(new Set(orders.map((o) => o.created_at)).size).toBe(5);
    expect(idsOf(await list(`customer=${a}&status=cancelled`))).toEqual(ids(1));
    expect(idsOf(await list(`customer=${a}&status=succeeded`))).toEqual(ids(2));
    expect(idsOf(await list(`customer=${a}&status=pending`))).toEqual(ids(4, 3, 0));
    expect(idsOf(await list(`customer=${a}&status=failed`))).toEqual([]);
    expect(idsOf(await list(`customer=${a}&method=card`))).toEqual(ids(4, 0));
    expect(idsOf(await list(`customer=${a}&method=crypto`))).toEqual(ids(3));
    expect(idsOf(await list(`customer=${a}&balance=sms`))).toEqual(ids(4, 2));
    expect(idsOf(await list(`customer=${a}&balance=wallet&method=card`))).toEqual(ids(0));
    const at = (i: number) => encodeURIComponent(orders[i].created_at);
    expect(idsOf(await list(`customer=${a}&created_gte=${at(2)}`))).toEqual(ids(4, 3, 2));
    expect(idsOf(await list(`customer=${a}&created_lt=${at(2)}`))).toEqual(ids(1, 0));
    expect(idsOf(await list(`customer=${a}&created_gte=${at(1)}&created_lt=${at(3)}`))).toEqual(ids(2, 1));
    // without a customer filter, both customers' orders appear (b's is the newest)
    const mine = idsOf(await list('limit=100')).filter((id: string) => orders.some((o) => o.id === id));
    expect(mine).toEqual(ids(4, 3, 2, 1, 0));
    expect(idsOf(await list(`customer=${b}`))).toHaveLength(1);
  });

  it('limit and starting_after page newest first with has_more', async () => {
    const p1 = await list(`customer=${a}&limit=2`);
    expect([idsOf(p1), p1.has_more]).toEqual([ids(4, 3), true]);
    const p2 = await list(`customer=${a}&limit=2&starting_after=${p1.data[1].id}`);
    expect([idsOf(p2), p2.has_more]).toEqual([ids(2, 1), true]);
    const p3 = await list(`customer=${a}&limit=2&starting_after=${p2.data[1].id}`);
    expect([idsOf(p3), p3.has_more]).toEqual([ids(0), false]);
    const exact = await list(`customer=${a}&limit=5`);
    expect([idsOf(exact).length, exact.has_more]).toEqual([5, false]);
    const filtered = await list(`customer=${a}&method=card&limit=1`);
    expect([idsOf(filtered), filtered.has_more]).toEqual([ids(4), true]);
    const next = await list(`customer=${a}&method=card&limit=1&starting_after=${orders[4].id}`);
    expect([idsOf(next), next.has_more]).toEqual([ids(0), false]);
  });

  it('bad filter values → 400 naming the field', async () => {
    for (const [query, field] of [
      ['status=bogus', 'status'],
      ['method=paypal', 'method'],
      ['balance=Wallet', 'balance'],
      ['customer=cus_x', 'customer'],
      ['created_gte=yesterday', 'created_gte'],
      ['created_lt=2024-13-45T00:00:00Z', 'created_lt'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['starting_after=chg_00000000000000000000000000', 'starting_after'],
      ['colour=red', 'colour'],
    ]) {
      const res = await h.call('GET', `/v1/topups?${query}`);
      expectInvalid(res, field);
      // the CSV takes the same filters (limit and starting_after are not among its parameters at all)
      expectInvalid(await h.call('GET', `/v1/topups.csv?${query}`), field);
    }
  });

  it('GET /v1/topups.csv: header, one line per order, decimals, quoting', async () => {
    const csv = async (query: string) => {
      const res = await h.app.inject({
        url: `/v1/topups.csv?${query}`,
        headers: { authorization: `Bearer ${h.apiKey}` },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="topups.csv"');
      expect(res.body.endsWith('\n')).toBe(true);
      return res.body.slice(0, -1).split('\n');
    };
    const HEADER =
      'id,created_at,customer,balance,method,status,needs_review,paid_late,amount,fee,pay_amount,pay_currency,fx_rate,credit_amount,credited_amount,credit_currency,network,provider,provider_payment_id,succeeded_at,refunded_amount,refund_status';
    const lines = await csv(`customer=${a}`);
    expect(lines[0]).toBe(HEADER);
    expect(lines).toHaveLength(6);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(ids(4, 3, 2, 1, 0));
    const o = (i: number) => orders[i];
    expect(lines[1]).toBe(
      `${o(4).id},${o(4).created_at},${a},sms,card,pending,false,false,20.00,0.88,20.88,USD,,20.00,,USD,,sandbox,${o(4).provider.payment_id},,0.00,none`,
    );
    expect(lines[2]).toBe(
      `${o(3).id},${o(3).created_at},${a},wallet,crypto,pending,false,false,20.123457,0.000000,20.123457,USDT,0.998,20.08,,USD,TRC20,sandbox,${o(3).provider.payment_id},,0.00,none`,
    );
    expect(lines[3]).toBe(
      `${o(2).id},${o(2).created_at},${a},sms,balance,succeeded,false,false,10.00,0.00,10.00,USD,,10.00,10.00,USD,,internal,,${o(2).succeeded_at},0.00,none`,
    );
    expect(lines[4]).toBe(
      `${o(1).id},${o(1).created_at},${a},wallet,bank_transfer,cancelled,false,false,72.00,0.00,72.00,CNY,7.20,10.00,,USD,,manual,${o(1).provider.payment_id},,0.00,none`,
    );
    // the same filters as the list
    expect((await csv(`customer=${a}&status=cancelled`)).slice(1).map((l) => l.split(',')[0])).toEqual(ids(1));
    expect((await csv(`customer=${a}&balance=sms&method=card`)).slice(1).map((l) => l.split(',')[0])).toEqual(ids(4));
    expect(
      (
        await csv(
          `customer=${a}&created_gte=${encodeURIComponent(o(1).created_at)}&created_lt=${encodeURIComponent(o(3).created_at)}`,
        )
      )
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(ids(2, 1));
    expect(await csv(`customer=${a}&method=crypto&status=succeeded`)).toEqual([HEADER]);

    // cells with commas and quotes are quoted; a leading formula character is neutralised
    await db.updateTable('orders').set({ provider_payment_id: 'ref,"x"' }).where('id', '=', o(1).id).execute();
    await db
      .updateTable('orders')
      .set({ provider_payment_id: '=HYPERLINK("http://x")' })
      .where('id', '=', o(0).id)
      .execute();
    await db.updateTable('orders').set({ provider_payment_id: '@cmd' }).where('id', '=', o(4).id).execute();
    const quoted = await csv(`customer=${a}`);
    expect(quoted).toHaveLength(6);
    expect(quoted[4]).toBe(
      `${o(1).id},${o(1).created_at},${a},wallet,bank_transfer,cancelled,false,false,72.00,0.00,72.00,CNY,7.20,10.00,,USD,,manual,"ref,""x""",,0.00,none`,
    );
    expect(quoted[5]).toBe(
      `${o(0).id},${o(0).created_at},${a},wallet,card,pending,false,false,10.00,0.59,10.59,USD,,10.00,,USD,,sandbox,"'=HYPERLINK(""http://x"")",,0.00,none`,
    );
    expect(quoted[1].split(',')[18]).toBe("'@cmd");
  });
});

describe('webhook ingestion', () => {
  it('rejections → 400 and nothing recorded; unknown payment → 200 unknown_payment', async () => {
    const customer = await h.newCustomer();
    const o = await created(cardBody(customer, 5000));
    const pid = o.provider.payment_id;
    await payCard(pid); // the provider really has the payment, so a valid event would credit it
    const event = (over: Body = {}) =>
      JSON.stringify({
        id: newId('evt'),
        type: 'payment.succeeded',
        data: { payment_id: pid, amount: 5175, currency: 'USD' },
        ...over,
      });
    const before = (await get(o.id)).body;
    const events = await count('provider_events');

    const cases: [string, string, string | null, string][] = [];
    const forged = event();
    cases.push([
      'forged',
      forged,
      signatureHeader('whsec_not_the_secret', forged),
      'Coffer-Signature does not match the body',
    ]);
    const stale = event();
    cases.push([
      'stale',
      stale,
      signatureHeader(h.sandboxSecret, stale, Date.now() - 301_000),
      'Coffer-Signature timestamp is outside the tolerance',
    ]);
    const future = event();
    cases.push([
      'future',
      future,
      signatureHeader(h.sandboxSecret, future, Date.now() + 360_000),
      'Coffer-Signature timestamp is outside the tolerance',
    ]);
    const signed = event();
    cases.push([
      'altered',
      signed.replace('"amount":5175', '"amount":9175'),
      signatureHeader(h.sandboxSecret, signed),
      'Coffer-Signature does not match the body',
    ]);
    const unsigned = event();
    cases.push(['missing header', unsigned, null, 'missing Coffer-Signature header']);
    const sig = signatureHeader(h.sandboxSecret, unsigned);
    cases.push(['no v1', unsigned, sig.split(',')[0], 'Coffer-Signature does not match the body']);
    const malformed = '{"id":"evt_1","type":';
    cases.push(['malformed JSON', malformed, signatureHeader(h.sandboxSecret, malformed), 'body is not JSON']);
    const unknownType = event({ type: 'payment.refunded' });
    cases.push([
      'unknown type',
      unknownType,
      signatureHeader(h.sandboxSecret, unknownType),
      'type is not a sandbox event type',
    ]);
    const badId = event({ id: 'evt_with space' });
    cases.push([
      'bad event id',
      badId,
      signatureHeader(h.sandboxSecret, badId),
      'id must be an evt_ id of at most 255 printable characters',
    ]);
    const badAmount = event({ data: { payment_id: pid, amount: 51.75, currency: 'USD' } });
    cases.push([
      'fractional amount',
      badAmount,
      signatureHeader(h.sandboxSecret, badAmount),
      'data.amount must be a non-negative integer',
    ]);

    for (const [label, raw, header, reason] of cases) {
      const res = await webhookRaw(raw, header);
      expect(res.status, label).toBe(400);
      expect(res.body, label).toEqual({ error: { code: 'invalid_request', message: `Webhook rejected: ${reason}.` } });
      expect(await count('provider_events'), label).toBe(events);
      expect((await get(o.id)).body, label).toEqual(before);
    }
    expect((await h.balance(customer, 'wallet')).posted).toBe(0);

    // the same event, properly signed, is accepted (so the rejections above were for the stated reasons)
    const good = await webhookRaw(signed);
    expect(good.body).toEqual({ received: true, result: 'processed' });
    expect((await h.balance(customer, 'wallet')).posted).toBe(5000);

    // an event for a payment nobody knows (signed 299 s ago: still inside the tolerance)
    const stranger = JSON.stringify({
      id: newId('evt'),
      type: 'payment.succeeded',
      data: { payment_id: 'sbxpay_nobody', amount: 100, currency: 'USD' },
    });
    const res = await webhookRaw(stranger, signatureHeader(h.sandboxSecret, stranger, Date.now() - 299_000));
    expect(res).toEqual({ status: 200, body: { received: true, result: 'unknown_payment' } });
    const row = await db
      .selectFrom('provider_events')
      .select(['result', 'order_id'])
      .where('event_id', '=', JSON.parse(stranger).id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ result: 'unknown payment', order_id: null });
    expect(await count('provider_events')).toBe(events + 2);

    // the accepted event again: a duplicate
    expect(await webhookRaw(signed)).toEqual({ status: 200, body: { received: true, result: 'duplicate' } });
    // no webhook endpoint for the manual provider
    const manual = await h.app.inject({
      method: 'POST',
      url: '/webhooks/manual',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(manual.statusCode).toBe(404);
  });
});
