import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { lastDays } from '../../src/portal/charts.js';
import { setupHarness } from './harness.js';
import { signIn, type Portal } from './portal-helpers.js';

const h = await setupHarness();
const db = h.handle.db;
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);

const bankOrder = async (p: Portal, amount = 2000, balance = 'wallet') => {
  const res = await p.call('POST', '/portal/api/topups', { balance, amount, currency: 'USD', method: 'bank_transfer' });
  expect(res.status).toBe(201);
  return res.body;
};
const confirm = async (id: string, amount: number) => {
  const res = await h.call('POST', `/v1/topups/${id}/confirm`, { amount_received: amount });
  expect(res.status).toBe(200);
  return res.body;
};

describe('portal top-ups are platform top-ups', () => {
  it('a portal order is the same order /v1 sees, for the session’s customer', async () => {
    const p = await signIn(h, await h.newCustomer());
    const made = await p.call(
      'POST',
      '/portal/api/topups',
      { balance: 'wallet', amount: 2500, currency: 'USD', method: 'card' },
      { 'idempotency-key': 'card-1' },
    );
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      customer: p.customer,
      status: 'pending',
      method: 'card',
      amount: { amount: 2500, currency: 'USD' },
    });
    expect(made.body.next_action).toBeTruthy();
    const viaApi = await h.call('GET', `/v1/topups/${made.body.id}`);
    const viaPortal = await p.call('GET', `/portal/api/topups/${made.body.id}`);
    expect(viaPortal.body).toEqual(viaApi.body);
    expect(made.body).toEqual(viaApi.body);
    // the same key replays; a platform key with the same name is another order
    const again = await p.call(
      'POST',
      '/portal/api/topups',
      { balance: 'wallet', amount: 2500, currency: 'USD', method: 'card' },
      { 'idempotency-key': 'card-1' },
    );
    expect(again.body.id).toBe(made.body.id);
    const platform = await h.post(
      '/v1/topups',
      { customer: p.customer, balance: 'wallet', amount: 2500, currency: 'USD', method: 'card' },
      'card-1',
    );
    expect(platform.status).toBe(201);
    expect(platform.body.id).not.toBe(made.body.id);
    // another customer's session with the same key makes its own order
    const q = await signIn(h, await h.newCustomer());
    const theirs = await q.call(
      'POST',
      '/portal/api/topups',
      { balance: 'wallet', amount: 2500, currency: 'USD', method: 'card' },
      { 'idempotency-key': 'card-1' },
    );
    expect(theirs.body.customer).toBe(q.customer);
    // a customer field is refused, never used
    expect(
      (
        await p.call('POST', '/portal/api/topups', {
          customer: q.customer,
          balance: 'wallet',
          amount: 2500,
          currency: 'USD',
          method: 'card',
        })
      ).status,
    ).toBe(400);
  });

  it('refuses like POST /v1/topups, and quotes with the same rules', async () => {
    const p = await signIn(h, await h.newCustomer());
    const low = await p.call('POST', '/portal/api/topups', {
      balance: 'wallet',
      amount: 999,
      currency: 'USD',
      method: 'card',
    });
    expect(low.body.error.code).toBe('amount_below_minimum');
    const q = (body: Record<string, unknown>) =>
      p.call('POST', '/portal/api/quote', {
        balance: 'wallet',
        amount: 2000,
        currency: 'USD',
        method: 'card',
        ...body,
      });
    expect((await q({ amount: 999 })).body.error.code).toBe('amount_below_minimum');
    expect((await q({ method: 'balance' })).body.error.code).toBe('method_not_available');
    expect((await q({ currency: 'JPY' })).body.error.code).toBe('currency_not_supported');
    expect((await q({ balance: 'nope' })).body.error.code).toBe('unknown_balance');
    expect((await q({ currency: 'EUR' })).status).toBe(422); // no EUR rate yet
    expect((await q({ amount: '2000' })).status).toBe(400);
    const ok = await q({});
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      amount: { amount: 2000, currency: 'USD' },
      fee: { amount: 88, currency: 'USD' },
      pay: { amount: 2088, currency: 'USD' },
      credit: { amount: 2000, currency: 'USD' },
      fx_rate: null,
    });
    expect(Date.parse(ok.body.valid_until) - Date.now()).toBeGreaterThan(14 * 60_000);
    // the order made from the same input has the quoted numbers
    const order = await p.call('POST', '/portal/api/topups', {
      balance: 'wallet',
      amount: 2000,
      currency: 'USD',
      method: 'card',
    });
    expect([order.body.fee.amount, order.body.pay.amount, order.body.credit.amount]).toEqual([88, 2088, 2000]);

    expect((await h.call('POST', '/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '7.20' })).status).toBe(201);
    const cny = await q({ currency: 'CNY', amount: 14400 });
    expect(cny.body).toMatchObject({ fx_rate: '7.20', pay: { currency: 'CNY' }, credit: { currency: 'USD' } });

    const methods = await p.call('GET', '/portal/api/payment-methods?balance=wallet&currency=USD');
    expect(methods.status).toBe(200);
    expect(methods.body.data.map((m: { method: string }) => m.method)).toEqual(['card', 'crypto', 'bank_transfer']);
    expect(
      (await p.call('GET', '/portal/api/payment-methods?balance=wallet&customer=cus_00000000000000000000000000'))
        .status,
    ).toBe(400);
  });

  it('cancels, marks paid and attaches proof as the customer; a succeeded order shows its balance change and receipt', async () => {
    const p = await signIn(h, await h.newCustomer({ wallet: 300 }));
    const a = await bankOrder(p);
    const cancelled = await p.call('POST', `/portal/api/topups/${a.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.timeline.at(-1).actor).toBe('customer');

    const b = await bankOrder(p);
    const proof = await p
      .call('POST', `/portal/api/topups/${b.id}/proof`, undefined, { 'content-type': 'image/png' })
      .catch(() => null);
    expect(proof?.status).toBe(400); // an empty body is not a proof
    const uploaded = await h.app.inject({
      method: 'POST',
      url: `/portal/api/topups/${b.id}/proof`,
      payload: PNG,
      headers: { cookie: p.cookie, 'x-csrf-token': p.csrf, 'content-type': 'image/png' },
    });
    expect(uploaded.statusCode).toBe(201);
    expect(uploaded.json().order.status).toBe('processing');
    const proofs = await p.call('GET', `/portal/api/topups/${b.id}/proofs`);
    expect(proofs.body.data).toHaveLength(1);
    const file = await h.app.inject({
      url: `/portal/api/topups/${b.id}/proofs/${proofs.body.data[0].id}`,
      headers: { cookie: p.cookie },
    });
    expect(file.rawPayload.equals(PNG)).toBe(true);

    const c = await bankOrder(p);
    const marked = await p.call('POST', `/portal/api/topups/${c.id}/mark_paid`);
    expect(marked.status).toBe(200);
    expect(marked.body.id).toBe(c.id);
    expect(marked.body.status).toBe('processing');
    expect(marked.body.timeline.at(-1).actor).toBe('customer');

    await confirm(c.id, 2000);
    const done = await p.call('GET', `/portal/api/topups/${c.id}`);
    expect(done.body.status).toBe('succeeded');
    expect(done.body.balance_change).toEqual({ before: 300, after: 2300, currency: 'USD' });
    const pending = await p.call('GET', `/portal/api/topups/${b.id}`);
    expect(pending.body.balance_change).toBeUndefined();

    const receipt = await h.app.inject({
      url: `/portal/api/topups/${c.id}/receipt.pdf`,
      headers: { cookie: p.cookie },
    });
    expect(receipt.statusCode).toBe(200);
    expect(receipt.headers['content-type']).toBe('application/pdf');
    expect(receipt.headers['content-disposition']).toBe(`attachment; filename="receipt-${c.id}.pdf"`);
    expect(receipt.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    expect((await p.call('GET', `/portal/api/topups/${b.id}/receipt.pdf`)).status).toBe(404); // not succeeded
  });

  it('lists the history (JSON and CSV) of the session’s customer only', async () => {
    const p = await signIn(h, await h.newCustomer());
    const q = await signIn(h, await h.newCustomer());
    const mine = await bankOrder(p);
    const theirs = await bankOrder(q);
    const list = await p.call('GET', '/portal/api/topups?limit=100');
    expect(list.body.data.map((o: { id: string }) => o.id)).toEqual([mine.id]);
    expect((await p.call('GET', '/portal/api/topups?status=pending&method=bank_transfer')).body.data).toHaveLength(1);
    expect((await p.call('GET', `/portal/api/topups?customer=${q.customer}`)).status).toBe(400);
    const csv = await h.app.inject({ url: '/portal/api/topups.csv', headers: { cookie: p.cookie } });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain(mine.id);
    expect(csv.body).not.toContain(theirs.id);
    expect(
      (await h.app.inject({ url: `/portal/api/topups.csv?customer=${q.customer}`, headers: { cookie: p.cookie } }))
        .statusCode,
    ).toBe(400);
  });
});

describe('isolation (IDOR)', () => {
  it('another customer’s orders answer 404 on every route, and nothing about them changes', async () => {
    const a = await signIn(h, await h.newCustomer({ wallet: 1000 }));
    const b = await signIn(h, await h.newCustomer({ wallet: 1000 }));
    const pending = await bankOrder(b);
    const succeeded = await bankOrder(b);
    await confirm(succeeded.id, 2000);
    const withProof = await bankOrder(b);
    const up = await h.app.inject({
      method: 'POST',
      url: `/portal/api/topups/${withProof.id}/proof`,
      payload: PNG,
      headers: { cookie: b.cookie, 'x-csrf-token': b.csrf, 'content-type': 'image/png' },
    });
    const proofId = up.json().proof.id;

    for (const order of [pending, succeeded, withProof]) {
      const calls: [string, string][] = [
        ['GET', `/portal/api/topups/${order.id}`],
        ['GET', `/portal/api/topups/${order.id}/events`],
        ['POST', `/portal/api/topups/${order.id}/cancel`],
        ['POST', `/portal/api/topups/${order.id}/mark_paid`],
        ['GET', `/portal/api/topups/${order.id}/receipt.pdf`],
        ['GET', `/portal/api/topups/${order.id}/proofs`],
        ['GET', `/portal/api/topups/${order.id}/proofs/${proofId}`],
      ];
      for (const [method, url] of calls) {
        const res = await a.call(method, url);
        expect(res.status, `${method} ${url}`).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
      const proof = await h.app.inject({
        method: 'POST',
        url: `/portal/api/topups/${order.id}/proof`,
        payload: PNG,
        headers: { cookie: a.cookie, 'x-csrf-token': a.csrf, 'content-type': 'image/png' },
      });
      expect(proof.statusCode).toBe(404);
    }
    // exactly like an order that does not exist
    expect((await a.call('GET', '/portal/api/topups/ord_00000000000000000000000000')).body.error.code).toBe(
      'not_found',
    );
    const after = await h.call('GET', `/v1/topups/${pending.id}`);
    expect(after.body.status).toBe('pending');
    expect(after.body.timeline).toHaveLength(1);
    expect((await h.call('GET', `/v1/topups/${withProof.id}/proofs`)).body.data).toHaveLength(1);

    // statements, balances and charts are the session's customer's, whatever the parameters
    for (const url of [
      `/portal/api/statement?customer=${b.customer}`,
      `/portal/api/statement?balance=wallet&customer_id=${b.customer}`,
      `/portal/api/home?customer=${b.customer}`,
      `/portal/api/statement/charts?customer=${b.customer}`,
    ]) {
      const res = await a.call('GET', url);
      expect([400, 200], url).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toContain(b.customer);
    }
    const statement = await a.call('GET', '/portal/api/statement?balance=wallet');
    expect(statement.body.data.map((e: { amount: number }) => e.amount)).toEqual([1000]);
    const home = await a.call('GET', '/portal/api/home');
    expect(home.body.balances.find((x: { balance: string }) => x.balance === 'wallet').posted).toBe(1000);
    expect(home.body.recent_orders).toEqual([]);
  });
});

describe('home and charts', () => {
  it('shows named balances, recent orders and charges, and 30 daily closing balances', async () => {
    const p = await signIn(h, await h.newCustomer({ wallet: 10_000, products: { sms: 500 } }));
    // usage on sms: two charges
    for (const amount of [120, 80]) {
      const res = await h.post('/v1/charges', {
        customer: p.customer,
        balance: 'sms',
        amount,
        currency: 'USD',
        description: 'usage',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const orders = [await bankOrder(p), await bankOrder(p)];
    const home = await p.call('GET', '/portal/api/home');
    expect(home.status).toBe(200);
    expect(home.body.balances).toEqual([
      { balance: 'wallet', name: 'Wallet', currency: 'USD', posted: 10_000, held: 0, available: 10_000 },
      { balance: 'sms', name: 'SMS', currency: 'USD', posted: 300, held: 0, available: 300 },
      { balance: 'whatsapp', name: 'WhatsApp', currency: 'USD', posted: 0, held: 0, available: 0 },
    ]);
    expect(home.body.recent_orders.map((o: { id: string }) => o.id)).toEqual(orders.map((o) => o.id).reverse());
    expect(
      home.body.recent_charges.map((e: { amount: number; balance: string; kind: string }) => [
        e.amount,
        e.balance,
        e.kind,
      ]),
    ).toEqual([
      [-80, 'sms', 'charge'],
      [-120, 'sms', 'charge'],
    ]);
    expect(home.body.recent_charges[0].id).toMatch(/^ent_/);

    const chart = home.body.chart;
    expect(chart).toHaveLength(30);
    expect(chart.map((d: { date: string }) => d.date)).toEqual(lastDays(30));
    expect(chart.at(-1)).toEqual({ date: lastDays(30)[29], wallet: 10_000, sms: 300, whatsapp: 0 });
    expect(chart[0]).toEqual({ date: lastDays(30)[0], wallet: 0, sms: 0, whatsapp: 0 });
  });

  it('dates the closing balances by the entries’ times (backdated in SQL here)', async () => {
    const p = await signIn(h, await h.newCustomer({ wallet: 1000 }));
    for (const amount of [200, 300])
      expect(
        (await h.post('/v1/grants', { customer: p.customer, balance: 'wallet', amount, currency: 'USD', reason: 'x' }))
          .status,
      ).toBe(201);
    expect(
      (await h.post('/v1/charges', { customer: p.customer, balance: 'wallet', amount: 100, currency: 'USD' })).status,
    ).toBe(201);
    // Entries are immutable (a trigger refuses updates); move them back in time with the trigger off.
    const days = lastDays(30);
    const at = (i: number) => `${days[i]}T12:00:00Z`;
    await sql`ALTER TABLE entries DISABLE TRIGGER entries_immutable`.execute(db);
    try {
      await sql`UPDATE entries e SET created_at = CASE e.seq WHEN 1 THEN ${at(2)}::timestamptz WHEN 2 THEN ${at(10)}::timestamptz WHEN 3 THEN ${at(10)}::timestamptz ELSE ${at(20)}::timestamptz END
                FROM accounts a WHERE a.id = e.account_id AND a.customer_id = ${p.customer} AND a.code = 'wallet'`.execute(
        db,
      );
    } finally {
      await sql`ALTER TABLE entries ENABLE TRIGGER entries_immutable`.execute(db);
    }
    const chart = (await p.call('GET', '/portal/api/home')).body.chart as { date: string; wallet: number }[];
    const wallet = chart.map((d) => d.wallet);
    expect(wallet.slice(0, 2)).toEqual([0, 0]);
    expect(wallet.slice(2, 10)).toEqual(Array(8).fill(1000));
    expect(wallet.slice(10, 20)).toEqual(Array(10).fill(1500));
    expect(wallet.slice(20)).toEqual(Array(10).fill(1400));

    const charts = await p.call('GET', '/portal/api/statement/charts?days=15');
    expect(charts.status).toBe(200);
    expect(charts.body.balance_over_time).toHaveLength(15);
    expect(charts.body.balance_over_time[0]).toMatchObject({ date: days[15], wallet: 1500 });
    expect(charts.body.spend_by_product.map((s: { balance: string }) => s.balance)).toEqual(['sms', 'whatsapp']);
    expect((await p.call('GET', '/portal/api/statement/charts?days=0')).status).toBe(400);
    expect((await p.call('GET', '/portal/api/statement/charts?days=400')).status).toBe(400);
  });

  it('sums usage per product over the window', async () => {
    const p = await signIn(h, await h.newCustomer({ products: { sms: 1000, whatsapp: 1000 } }));
    for (const [balance, amount] of [
      ['sms', 100],
      ['sms', 50],
      ['whatsapp', 70],
    ] as const) {
      expect((await h.post('/v1/charges', { customer: p.customer, balance, amount, currency: 'USD' })).status).toBe(
        201,
      );
    }
    const charts = await p.call('GET', '/portal/api/statement/charts');
    expect(charts.body.balance_over_time).toHaveLength(30);
    expect(charts.body.spend_by_product).toEqual([
      { balance: 'sms', name: 'SMS', amount: 150 },
      { balance: 'whatsapp', name: 'WhatsApp', amount: 70 },
    ]);
    const statement = await p.call('GET', '/portal/api/statement?balance=sms&limit=2');
    expect(statement.body.data.map((e: { amount: number }) => e.amount)).toEqual([-50, -100]);
    expect(statement.body.has_more).toBe(true);
  });
});
