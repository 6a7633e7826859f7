import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/providers/index.js';
import { expectError, expectInvalid } from './assertions.js';
import { setupHarness } from './harness.js';

// Issue 15, "Where the API departs from its contract": each test here failed before its fix.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-contract-'));
const h = await setupHarness({ COFFER_DATA_DIR: dataDir });
const db = h.handle.db;

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 7)]);

async function newHold(customer: string, amount: number): Promise<{ id: string }> {
  const res = await h.post('/v1/holds', { customer, balance: 'wallet', amount, currency: 'USD' });
  expect(res.status).toBe(201);
  return res.body;
}

async function bankOrder(
  customer?: string,
): Promise<{ id: string; customer: string; pay: { amount: number }; credit: { amount: number } }> {
  const res = await h.post('/v1/topups', {
    customer: customer ?? (await h.newCustomer()),
    balance: 'wallet',
    amount: 5000,
    currency: 'USD',
    method: 'bank_transfer',
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function upload(id: string, body: Buffer, key?: string) {
  const res = await h.app.inject({
    method: 'POST',
    url: `/v1/topups/${id}/proof`,
    headers: {
      authorization: `Bearer ${h.apiKey}`,
      'content-type': 'image/png',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    payload: body,
  });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

const timelineNotes = async (orderId: string) =>
  (await db.selectFrom('order_timeline').select('note').where('order_id', '=', orderId).orderBy('id').execute()).map(
    (t) => t.note,
  );

describe('holds: capture and void are idempotent money POSTs', () => {
  it('concurrent captures under one key capture once; the others replay it or are told the key is in use', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 400);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => h.post(`/v1/holds/${hold.id}/capture`, { amount: 300 }, `cap-race-${hold.id}`)),
    );
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const a of answers) if (a.status !== 200) expectError(a, 409, 'idempotency_key_in_use');
    for (const a of ok) expect(a.body).toEqual(ok[0].body);
    // a later repeat is the replay of the one capture
    const again = await h.post(`/v1/holds/${hold.id}/capture`, { amount: 300 }, `cap-race-${hold.id}`);
    expect([again.status, again.headers['idempotent-replayed'], again.body]).toEqual([200, 'true', ok[0].body]);
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 700, held: 0, available: 700 });
  });

  it('a refusal under a key is replayed as the same refusal; the key with another body → 409 idempotency_key_reused', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 400);
    expect((await h.post(`/v1/holds/${hold.id}/void`, {}, `void-a-${hold.id}`)).status).toBe(200);
    const refused = await h.post(`/v1/holds/${hold.id}/capture`, {}, `cap-b-${hold.id}`);
    expectError(refused, 409, 'hold_not_active');
    const replay = await h.post(`/v1/holds/${hold.id}/capture`, {}, `cap-b-${hold.id}`);
    expect([replay.status, replay.headers['idempotent-replayed'], replay.body]).toEqual([409, 'true', refused.body]);
    expectError(
      await h.post(`/v1/holds/${hold.id}/capture`, { amount: 5 }, `cap-b-${hold.id}`),
      409,
      'idempotency_key_reused',
    );
    expectError(await h.post(`/v1/holds/${hold.id}/void`, {}, `cap-b-${hold.id}`), 409, 'idempotency_key_reused');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 1_000, held: 0, available: 1_000 });
  });

  it('without a key a repeat is still safe: the second capture is 409 hold_not_active', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await newHold(customer, 400);
    const res = await h.call('POST', `/v1/holds/${hold.id}/capture`, {});
    expect(res.status).toBe(200);
    expectError(await h.call('POST', `/v1/holds/${hold.id}/capture`, {}), 409, 'hold_not_active');
    expect(await h.balance(customer, 'wallet')).toEqual({ posted: 600, held: 0, available: 600 });
  });
});

describe('bank-transfer proof and mark_paid honour Idempotency-Key', () => {
  it('mark_paid: a repeat replays the first answer and notes the payment once; another request under the key → 409 reused', async () => {
    const order = await bankOrder();
    const first = await h.post(`/v1/topups/${order.id}/mark_paid`, undefined, `paid-${order.id}`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.order.status).toBe('processing');
    const again = await h.post(`/v1/topups/${order.id}/mark_paid`, undefined, `paid-${order.id}`);
    expect([again.status, again.headers['idempotent-replayed'], again.body]).toEqual([200, 'true', first.body]);
    expect((await timelineNotes(order.id)).filter((n) => n.startsWith('The customer reports'))).toHaveLength(1);
    expectError(
      await h.post(`/v1/topups/${order.id}/cancel`, undefined, `paid-${order.id}`),
      409,
      'idempotency_key_reused',
    );
  });

  it('proof: a repeat replays 201 with the same proof and stores no second file; other bytes under the key → 409 reused', async () => {
    const order = await bankOrder();
    const key = `proof-${order.id}`;
    const first = await upload(order.id, PNG, key);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const again = await upload(order.id, PNG, key);
    expect([again.status, again.headers['idempotent-replayed'], again.body]).toEqual([201, 'true', first.body]);
    const other = Buffer.concat([PNG, Buffer.from([1])]);
    expectError(await upload(order.id, other, key), 409, 'idempotency_key_reused');
    const rows = await db.selectFrom('payment_proofs').selectAll().where('order_id', '=', order.id).execute();
    expect(rows.map((r) => r.id)).toEqual([first.body.proof.id]);
    expect(fs.readdirSync(path.dirname(rows[0].storage_path))).toEqual([path.basename(rows[0].storage_path)]);
  });

  it('a refusal is recorded and replayed (a card order cannot be marked paid); without a key it is as before', async () => {
    const customer = await h.newCustomer();
    const card = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 5000,
      currency: 'USD',
      method: 'card',
    });
    expect(card.status).toBe(201);
    const refused = await h.post(`/v1/topups/${card.body.id}/mark_paid`, undefined, `paid-${card.body.id}`);
    expectError(refused, 409, 'invalid_state');
    const replay = await h.post(`/v1/topups/${card.body.id}/mark_paid`, undefined, `paid-${card.body.id}`);
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([409, 'true']);
    const order = await bankOrder(customer);
    expect((await h.call('POST', `/v1/topups/${order.id}/mark_paid`)).status).toBe(200);
    expect((await upload(order.id, PNG)).status).toBe(201);
  });
});

describe('POST /webhooks/sandbox event ids', () => {
  async function deliverWithId(eventId: string) {
    const customer = await h.newCustomer();
    const o = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 5000,
      currency: 'USD',
      method: 'card',
    });
    // the customer pays on the sandbox's page (the event is checked against the payment's state)
    expect(
      (await h.app.inject({ method: 'POST', url: `/sandbox/checkout/${o.body.provider.payment_id}/pay` })).statusCode,
    ).toBe(303);
    const raw = JSON.stringify({
      id: eventId,
      type: 'payment.succeeded',
      data: { payment_id: o.body.provider.payment_id, amount: o.body.pay.amount, currency: 'USD' },
    });
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/sandbox',
      headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader(h.sandboxSecret, raw) },
      payload: raw,
    });
    return { status: res.statusCode, body: res.json() };
  }

  it('accepts any evt_ id a real provider could send: mixed case, digits, underscores, up to 255 characters', async () => {
    for (const id of ['evt_1NG8Du2eZvKYlo2CUI79vXWy', 'evt_Test_Event_42', `evt_${'A'.repeat(251)}`]) {
      const res = await deliverWithId(id);
      expect(res, id).toMatchObject({ status: 200, body: { received: true, result: 'processed' } });
    }
  });

  it('refuses an id without the prefix, over 255 characters or with spaces or control characters', async () => {
    for (const id of ['1NG8Du2e', 'evt_', `evt_${'a'.repeat(252)}`, 'evt_a b', 'evt_a\tb']) {
      const res = await deliverWithId(id);
      expect(res.status, id).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
  });
});

describe('GET /v1/customers is a list', () => {
  it('pages newest first with limit and starting_after; external_id narrows it to that customer', async () => {
    const ids = [await h.newCustomer(), await h.newCustomer(), await h.newCustomer()];
    const page1 = await h.call('GET', '/v1/customers?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((c: any) => c.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.has_more).toBe(true);
    const page2 = await h.call('GET', `/v1/customers?limit=2&starting_after=${ids[1]}`);
    expect(page2.body.data[0].id).toBe(ids[0]);
    const one = (await h.call('GET', `/v1/customers/${ids[1]}`)).body;
    const found = await h.call('GET', `/v1/customers?external_id=${encodeURIComponent(one.external_id)}&limit=1`);
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ data: [one], has_more: false });
    const after = await h.call(
      'GET',
      `/v1/customers?external_id=${encodeURIComponent(one.external_id)}&starting_after=${ids[1]}`,
    );
    expect(after.body).toEqual({ data: [], has_more: false });
    expectInvalid(await h.call('GET', '/v1/customers?limit=0'), 'limit');
  });
});

describe('an unknown starting_after is 400 naming it, on every list', () => {
  it('customers, top-ups (another customer’s too) and statements', async () => {
    const customer = await h.newCustomer({ wallet: 100 });
    const other = await bankOrder();
    const unknownOrder = 'ord_00000000000000000000000000';
    expectInvalid(await h.call('GET', '/v1/customers?starting_after=cus_00000000000000000000000000'), 'starting_after');
    expectInvalid(await h.call('GET', '/v1/customers?starting_after=nope'), 'starting_after');
    expectInvalid(await h.call('GET', `/v1/topups?starting_after=${unknownOrder}`), 'starting_after');
    expectInvalid(await h.call('GET', `/v1/topups?customer=${customer}&starting_after=${other.id}`), 'starting_after');
    expect((await h.call('GET', `/v1/topups?customer=${other.customer}&starting_after=${other.id}`)).status).toBe(200);
    expect((await h.call('GET', `/v1/topups?starting_after=${other.id}`)).status).toBe(200);
    const st = await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet`);
    const entry = st.body.data[0].id as string;
    expect(
      (await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet&starting_after=${entry}`)).body,
    ).toEqual({ data: [], has_more: false });
    const beyond = entry.replace(/_[0-9a-z]+$/, '_zz');
    expectInvalid(
      await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet&starting_after=${beyond}`),
      'starting_after',
    );
    expectInvalid(
      await h.call('GET', `/v1/customers/${customer}/statement?balance=sms&starting_after=${entry}`),
      'starting_after',
    );
    expectInvalid(
      await h.call('GET', `/v1/customers/${customer}/statement?balance=wallet&starting_after=ent_x`),
      'starting_after',
    );
  });
});

describe('customer.frozen / customer.unfrozen events', () => {
  const statusEvents = (customer: string) =>
    db
      .selectFrom('events')
      .select(['id', 'type', 'data'])
      .where('customer_id', '=', customer)
      .where('type', 'like', 'customer.%')
      .orderBy('created_at')
      .orderBy('id')
      .execute();

  it('are written wherever the status changes, once per change, with the customer object', async () => {
    const customer = await h.newCustomer({ wallet: 100 });
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${customer}`.execute(db);
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${customer}`.execute(db); // no change, no event
    const [frozen, ...rest] = await statusEvents(customer);
    expect(rest).toEqual([]);
    expect(frozen.id).toMatch(/^evt_[0-9a-z]{26}$/);
    expect(frozen.type).toBe('customer.frozen');
    const { body: view } = await h.call('GET', `/v1/customers/${customer}`);
    expect((frozen.data as any).object).toEqual(view);
  });

  it('a top-up that repays the debt unfreezes the customer in SQL, and the event is written there too', async () => {
    const customer = await h.newCustomer();
    const order = await bankOrder(customer);
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${customer}`.execute(db);
    const confirmed = await h.post(`/v1/topups/${order.id}/confirm`, { amount_received: order.pay.amount });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect((await h.call('GET', `/v1/customers/${customer}`)).body.status).toBe('active');
    const events = await statusEvents(customer);
    expect(events.map((e) => [e.type, (e.data as any).object.status])).toEqual([
      ['customer.frozen', 'frozen'],
      ['customer.unfrozen', 'active'],
    ]);
    expect((events[1].data as any).object.balances[0]).toMatchObject({
      balance: 'wallet',
      posted: order.credit.amount,
    });
  });
});

describe('balance top-ups: succeeded_at is never before created_at', () => {
  it('for every order paid from the wallet, read back and as answered', async () => {
    const customer = await h.newCustomer({ wallet: 100_000 });
    for (let i = 0; i < 15; i++) {
      const res = await h.post('/v1/topups', {
        customer,
        balance: 'sms',
        amount: 2000,
        currency: 'USD',
        method: 'balance',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.status).toBe('succeeded');
      expect(Date.parse(res.body.succeeded_at)).toBeGreaterThanOrEqual(Date.parse(res.body.created_at));
      const read = (await h.call('GET', `/v1/topups/${res.body.id}`)).body;
      expect(Date.parse(read.succeeded_at)).toBeGreaterThanOrEqual(Date.parse(read.created_at));
    }
  });
});
