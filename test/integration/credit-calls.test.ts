import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { CreditCaller, type CreditCall } from '../../src/topups/credit-calls.js';
import { setupHarness } from './harness.js';
import { deliverSandbox, paidCardOrders, type PaidOrder } from './sandbox-orders.js';

/**
 * Webhook credits that arrive together share one round trip (coffer_ingest_credits), but each is
 * still its own transaction: one item's failure or duplicate never touches another's outcome, and
 * every order is credited exactly once.
 */

const h = await setupHarness();

const deliver = (raw: string) => deliverSandbox(h, raw);

async function creditsOf(orderId: string) {
  return h.handle.db.selectFrom('transfers').select(['amount']).where('reference', '=', orderId).execute();
}

function callFor(o: PaidOrder, overrides: Partial<CreditCall> = {}): CreditCall {
  return {
    provider: 'sandbox',
    eventId: `evt_${newId('x').slice(2)}`,
    type: 'payment.succeeded',
    payloadJson: '{}',
    orderId: o.id,
    expectedStatus: 'pending',
    paidMinor: o.payAmount,
    creditMinor: o.creditAmount,
    paidLate: false,
    note: 'test credit',
    actor: 'provider:sandbox',
    transferIds: [newId('trf'), newId('trf'), newId('trf')],
    ...overrides,
  };
}

describe('webhook credits in shared round trips', () => {
  it('concurrent deliveries, each event twice, credit every order exactly once and share calls', async () => {
    const customers = [await h.newCustomer(), await h.newCustomer(), await h.newCustomer()];
    const orders = await paidCardOrders(h, customers, 30);
    const before = await h.app.inject('/metrics');
    const callsBefore = metric(before.body, 'coffer_webhook_credit_call_size_count');
    const itemsBefore = metric(before.body, 'coffer_webhook_credit_call_size_sum');

    const sends = [...orders, ...orders].map((o) => o.event).sort(() => Math.random() - 0.5);
    const answers = await Promise.all(sends.map((raw) => deliver(raw)));
    for (const a of answers) expect(a.statusCode, a.body).toBe(200);
    const results = answers.map((a) => JSON.parse(a.body).result as string);
    expect(results.filter((r) => r === 'processed')).toHaveLength(30);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(30);

    for (const o of orders) {
      const row = await h.handle.db
        .selectFrom('orders')
        .select(['status', 'credited_amount'])
        .where('id', '=', o.id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'succeeded', credited_amount: o.creditAmount });
      expect(await creditsOf(o.id)).toEqual([{ amount: o.creditAmount }]);
    }
    for (const c of customers) {
      const expected = orders.filter((o) => o.customer === c).reduce((s, o) => s + Number(o.creditAmount), 0);
      expect((await h.balance(c, 'wallet')).posted).toBe(expected);
    }
    // Some round trip carried more than one credit (the point of the call), and every credit went through one.
    const after = await h.app.inject('/metrics');
    const calls = metric(after.body, 'coffer_webhook_credit_call_size_count') - callsBefore;
    const items = metric(after.body, 'coffer_webhook_credit_call_size_sum') - itemsBefore;
    // (a repeat that finds its order already credited is answered on the general path, without a call)
    expect(items).toBeGreaterThanOrEqual(30);
    expect(calls).toBeLessThan(items);
  });

  it('one call: each credit is its own transaction, a stale decision or a repeated event changes only itself', async () => {
    const customer = await h.newCustomer();
    const orders = await paidCardOrders(h, [customer], 6);
    const caller = new CreditCaller(h.handle.pool, 1, 64);
    const [first, stale, ...rest] = orders;
    const repeated = callFor(rest[0]);
    const calls = [
      callFor(first), // all of these are asked for in one tick: they leave in one call
      callFor(stale, { expectedStatus: 'processing' }), // decided on a state the order is not in
      repeated,
      { ...repeated, transferIds: [newId('trf'), newId('trf'), newId('trf')] as [string, string, string] }, // the same event again
      ...rest.slice(1).map((o) => callFor(o)),
    ];
    const results = await Promise.all(calls.map((c) => caller.run(c)));
    expect(results[0]).toBe('processed');
    expect(results[1]).toMatch(/^error:CF001:/);
    expect(results[2]).toBe('processed');
    expect(results[3]).toBe('duplicate');
    expect(results.slice(4)).toEqual(['processed', 'processed', 'processed']);

    // The stale one wrote nothing: no event recorded, order still pending, no credit.
    expect(
      await h.handle.db
        .selectFrom('provider_events')
        .select('event_id')
        .where('event_id', '=', calls[1].eventId)
        .execute(),
    ).toEqual([]);
    const staleRow = await h.handle.db
      .selectFrom('orders')
      .select(['status'])
      .where('id', '=', stale.id)
      .executeTakeFirstOrThrow();
    expect(staleRow.status).toBe('pending');
    expect(await creditsOf(stale.id)).toEqual([]);

    // Every credited order committed in a transaction of its own.
    const credited = [first, ...rest];
    const { rows } = await h.handle.pool.query<{ xmin: string }>(
      'SELECT xmin::text FROM orders WHERE id = ANY($1::text[])',
      [credited.map((o) => o.id)],
    );
    expect(new Set(rows.map((r) => r.xmin)).size).toBe(credited.length);
    for (const o of credited) expect(await creditsOf(o.id)).toEqual([{ amount: o.creditAmount }]);
    expect((await h.balance(customer, 'wallet')).posted).toBe(credited.reduce((s, o) => s + Number(o.creditAmount), 0));

    // The stale order is still credited by its real webhook, on the general path if need be.
    const res = await deliver(stale.event);
    expect(JSON.parse(res.body).result).toBe('processed');
    expect(await creditsOf(stale.id)).toEqual([{ amount: stale.creditAmount }]);
  });
});

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
}
