import { expect } from 'vitest';
import { signatureHeader } from '../../src/providers/index.js';
import type { Harness } from './harness.js';

export interface PaidOrder {
  id: string;
  customer: string;
  paymentId: string;
  payAmount: bigint;
  creditAmount: bigint;
  /** the payment.succeeded webhook the sandbox queued for it, as it would deliver it */
  event: string;
}

/** Card top-ups of 10.00, 10.01, … paid on the sandbox's checkout page, over the customers in turn. */
export async function paidCardOrders(h: Harness, customers: string[], n: number): Promise<PaidOrder[]> {
  const out: PaidOrder[] = [];
  for (let i = 0; i < n; i++) {
    const customer = customers[i % customers.length];
    const res = await h.post('/v1/topups', {
      customer,
      balance: 'wallet',
      amount: 1000 + i,
      currency: 'USD',
      method: 'card',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const paymentId = res.body.provider.payment_id as string;
    const pay = await h.app.inject({ method: 'POST', url: `/sandbox/checkout/${paymentId}/pay` });
    expect(pay.statusCode).toBe(303);
    const queued = await h.handle.db
      .selectFrom('sandbox_deliveries')
      .select('body')
      .where('payment_id', '=', paymentId)
      .execute();
    const delivery = queued.find((d) => JSON.parse(d.body).type === 'payment.succeeded')!;
    const row = await h.handle.db
      .selectFrom('orders')
      .select(['pay_amount', 'credit_amount'])
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    out.push({
      id: res.body.id,
      customer,
      paymentId,
      payAmount: row.pay_amount,
      creditAmount: row.credit_amount,
      event: delivery.body,
    });
  }
  return out;
}

/** Delivers a webhook body to Coffer signed as the sandbox signs it. */
export const deliverSandbox = (h: Harness, raw: string) =>
  h.app.inject({
    method: 'POST',
    url: '/webhooks/sandbox',
    headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader(h.sandboxSecret, raw) },
    payload: raw,
  });
