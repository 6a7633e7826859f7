import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { toJson } from '../../src/lib/json.js';
import { orderJson } from '../../src/topups/order-json.js';
import { presentOrder } from '../../src/topups/present.js';
import { setupHarness } from './harness.js';

// The history page renders orders in PostgreSQL (order-json.ts); every other answer renders them
// in Node (present.ts). This holds the two to each other over every shape an order can take.
const h = await setupHarness();

async function renderedBoth(ids: string[]) {
  return h.handle.db.transaction().execute(async (db) => {
    // A server whose time zone is not UTC must still print UTC times.
    await sql`SET LOCAL TimeZone = 'America/New_York'`.execute(db);
    const rows = await db
      .selectFrom('orders as o')
      .selectAll()
      .select(orderJson.as('body'))
      .where('o.id', 'in', ids)
      .execute();
    const timeline = await db
      .selectFrom('order_timeline')
      .select(['order_id', 'at', 'status', 'note', 'actor'])
      .where('order_id', 'in', ids)
      .orderBy('id')
      .execute();
    return rows.map(({ body, ...order }) => ({
      id: order.id,
      sql: body,
      node: toJson(
        presentOrder(
          order,
          timeline.filter((t) => t.order_id === order.id),
        ),
      ),
    }));
  });
}

async function created(body: Record<string, unknown>): Promise<string> {
  const res = await h.post('/v1/topups', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

describe('orders rendered by PostgreSQL', () => {
  it('equal the Node presenter for every shape, byte for byte where there is no next_action', async () => {
    const customer = await h.newCustomer();
    expect((await h.post('/v1/fx-rates', { base: 'USDT', quote: 'USD', rate: '1.0005' })).status).toBe(201);
    const card = await created({
      customer,
      balance: 'wallet',
      amount: 5000,
      currency: 'USD',
      method: 'card',
      return_url: 'https://shop.example/back?a="b"&c=\\d',
    });
    const crypto = await created({
      customer,
      balance: 'wallet',
      amount: 20_000_000,
      currency: 'USDT',
      method: 'crypto',
      network: 'TRC20',
    });
    const bank = await created({ customer, balance: 'wallet', amount: 3000, currency: 'USD', method: 'bank_transfer' });
    const partial = await created({
      customer,
      balance: 'wallet',
      amount: 4000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    const cancelled = await created({
      customer,
      balance: 'wallet',
      amount: 2500,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect(
      (await h.post(`/v1/topups/${bank}/confirm`, { amount_received: 3000, note: 'seen on statement' })).status,
    ).toBe(200);
    expect(
      (
        await h.post(`/v1/topups/${partial}/confirm`, {
          amount_received: 1000,
          note: 'short: "1,000" \\ paid\n\ttwice \u0001 ✓ 雨',
        })
      ).status,
    ).toBe(200);
    expect((await h.post(`/v1/topups/${cancelled}/cancel`, {})).status).toBe(200);
    // Values the API does not produce on its own: microseconds (cut to milliseconds by both),
    // a refund, a late payment, text that needs escaping everywhere.
    await sql`UPDATE orders SET created_at = '2026-03-04 05:06:07.891999+00', expires_at = '2026-03-04 06:06:07.000001+00',
      refunded_amount = 1000, refund_status = 'partial', paid_late = true, network = 'net "x"\\y'
      WHERE id = ${bank}`.execute(h.handle.db);
    await sql`UPDATE orders SET status = 'processing', needs_review = true, received_amount = 5000000 WHERE id = ${crypto}`.execute(
      h.handle.db,
    );
    await sql`INSERT INTO order_timeline (order_id, customer_id, at, status, note, actor)
      VALUES (${bank}, ${customer}, '1999-12-31 23:59:59.999999+00', 'succeeded', ${'quote " backslash \\ ctrl \u0002 \u007f end'}, 'staff:"x"')`.execute(
      h.handle.db,
    );

    const all = [card, crypto, bank, partial, cancelled];
    const rendered = await renderedBoth(all);
    expect(rendered.map((r) => r.id).sort()).toEqual([...all].sort());
    for (const r of rendered) {
      expect(JSON.parse(r.sql), r.id).toEqual(JSON.parse(r.node));
      // next_action is jsonb: PostgreSQL prints it with spaces after separators, Node without.
      if (JSON.parse(r.node).next_action === null) expect(r.sql, r.id).toBe(r.node);
    }
    const shapes = rendered.map((r) => JSON.parse(r.sql));
    expect(shapes.map((o) => o.status).sort()).toEqual([
      'cancelled',
      'pending',
      'processing',
      'succeeded',
      'succeeded',
    ]);
    expect(shapes.find((o) => o.id === crypto)).toMatchObject({
      fx: { base: 'USDT', quote: 'USD', rate: '1.0005' },
      needs_review: true,
      received: { amount: 5000000, currency: 'USDT' },
    });
    expect(shapes.find((o) => o.id === card).next_action).not.toBeNull();
    expect(shapes.find((o) => o.id === bank).created_at).toBe('2026-03-04T05:06:07.891Z');
  });

  it('make up the history page exactly as the single-order answer presents them', async () => {
    const customer = await h.newCustomer();
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        await created({ customer, balance: 'wallet', amount: 1000 + i, currency: 'USD', method: 'bank_transfer' }),
      );
    await h.post(`/v1/topups/${ids[1]}/confirm`, { amount_received: 1001 });
    const page = await h.call('GET', `/v1/topups?customer=${customer}&limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.has_more).toBe(true);
    expect(page.body.data.map((o: { id: string }) => o.id)).toEqual([ids[2], ids[1]]);
    for (const o of page.body.data) expect(o).toEqual((await h.call('GET', `/v1/topups/${o.id}`)).body);
    const rest = await h.call('GET', `/v1/topups?customer=${customer}&limit=2&starting_after=${ids[1]}`);
    expect(rest.body).toEqual({ data: [(await h.call('GET', `/v1/topups/${ids[0]}`)).body], has_more: false });
    const none = await h.call('GET', `/v1/topups?customer=${customer}&status=failed`);
    expect(none.body).toEqual({ data: [], has_more: false });
  });
});
