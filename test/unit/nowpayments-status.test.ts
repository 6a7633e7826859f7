import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookRejected } from '../../src/providers/contract.js';
import {
  NowPaymentsProvider,
  PAY_CURRENCIES,
  STATUS_TABLE,
  amountMinor,
  decimalText,
  payCurrencyFor,
  signedString,
  statusMeaning,
} from '../../src/providers/nowpayments/index.js';
import { amountNumber } from '../../src/providers/nowpayments/amounts.js';
import { decide } from '../../src/topups/states.js';

const SECRET = 'ipn_x';
// No API is reachable at this URL: parseWebhook and refund must not call it.
const provider = new NowPaymentsProvider({
  apiKey: 'np_x',
  ipnSecret: SECRET,
  apiUrl: 'http://127.0.0.1:9',
  publicUrl: 'http://localhost:8080',
});

function ipn(fields: Record<string, unknown>) {
  const body = {
    payment_id: 5745459419,
    payment_status: 'finished',
    pay_address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
    price_amount: 20,
    price_currency: 'usdttrc20',
    pay_amount: 20,
    actually_paid: 20,
    pay_currency: 'usdttrc20',
    order_id: 'ord_1',
    ...fields,
  };
  const signature = crypto.createHmac('sha512', SECRET).update(signedString(body)).digest('hex');
  return provider.parseWebhook(Buffer.from(JSON.stringify(body)), { 'x-nowpayments-sig': signature });
}

describe('pay_currency table', () => {
  it('names USDT on each network Coffer offers', () => {
    expect(payCurrencyFor('USDT', 'TRC20')).toBe('usdttrc20');
    expect(payCurrencyFor('USDT', 'ERC20')).toBe('usdterc20');
    expect(payCurrencyFor('USDT', 'BEP20')).toBe('usdtbsc');
    expect(PAY_CURRENCIES).toHaveLength(3);
  });

  it('has nothing for other pairs', () => {
    expect(payCurrencyFor('USDT', 'SOL')).toBeNull();
    expect(payCurrencyFor('USDT', null)).toBeNull();
    expect(payCurrencyFor('USDC', 'ERC20')).toBeNull();
  });
});

describe('amounts', () => {
  it.each([
    [20, '20', 20_000_000n],
    [20.123457, '20.123457', 20_123_457n],
    [19.36121163, '19.36121163', 19_361_211n], // digits past USDT's 6 are dropped (rounded down)
    [1e-7, '0.0000001', 0n],
    [0.000001, '0.000001', 1n],
    [0, '0', 0n],
    ['12.5', '12.5', 12_500_000n],
  ])('%j reads as %s, %s minor units of USDT', (value, text, minor) => {
    expect(decimalText(value)).toBe(text);
    expect(amountMinor(value, 'USDT')).toBe(minor);
  });

  it.each([
    [-1],
    [Number.NaN],
    [Infinity],
    ['1e5'],
    ['1,5'],
    [' 1'],
    [''],
    [null],
    [undefined],
    [{}],
    [true],
    ['9'.repeat(40)],
  ])('%j is not an amount', (value) => {
    expect(amountMinor(value, 'USDT')).toBeNull();
  });

  it('sends amounts a double carries exactly, and refuses the rest', () => {
    expect(amountNumber(20_123_457n, 'USDT')).toBe(20.123457);
    expect(amountNumber(1n, 'USDT')).toBe(0.000001);
    expect(() => amountNumber(12_345_678_901_234_567n, 'USDT')).toThrow(/too many digits/);
  });
});

describe('status table', () => {
  it.each([
    ['waiting', 'none', 'requires_payment'],
    ['confirming', 'processing', 'processing'],
    ['confirmed', 'processing', 'processing'],
    ['sending', 'processing', 'processing'],
    ['partially_paid', 'succeeded', 'succeeded'],
    ['finished', 'succeeded', 'succeeded'],
    ['failed', 'failed', 'failed'],
    ['refunded', 'refunded', 'failed'],
    ['expired', 'expired', 'failed'],
    ['wrong_asset_confirmed', 'none', 'processing'],
    ['toString', 'none', 'processing'],
  ])('%s → news %s, payment %s', (status, news, state) => {
    expect(statusMeaning(status)).toMatchObject({ news, state });
  });

  it('covers every documented status', () => {
    expect(Object.keys(STATUS_TABLE).sort()).toEqual([
      'confirmed',
      'confirming',
      'expired',
      'failed',
      'finished',
      'partially_paid',
      'refunded',
      'sending',
      'waiting',
    ]);
  });
});

describe('parseWebhook', () => {
  it.each([
    ['waiting', { actually_paid: 0 }, null],
    ['confirming', {}, { kind: 'processing' }],
    ['confirmed', {}, { kind: 'processing' }],
    ['sending', {}, { kind: 'processing' }],
    [
      'partially_paid',
      { actually_paid: 12.5 },
      { kind: 'succeeded', amountMinor: 12_500_000n, currency: 'USDT', network: 'TRC20' },
    ],
    ['finished', {}, { kind: 'succeeded', amountMinor: 20_000_000n, currency: 'USDT', network: 'TRC20' }],
    [
      'finished',
      { pay_currency: 'usdtbsc' },
      { kind: 'succeeded', amountMinor: 20_000_000n, currency: 'USDT', network: 'BEP20' },
    ],
    ['failed', {}, { kind: 'failed', reason: 'NOWPayments reported the payment as failed' }],
    ['refunded', {}, { kind: 'refunded', totalRefundedMinor: 20_000_000n, currency: 'USDT' }],
    ['refunded', { actually_paid: 0 }, { kind: 'refunded', totalRefundedMinor: 20_000_000n, currency: 'USDT' }],
    ['expired', { actually_paid: 0 }, { kind: 'expired' }],
    ['finished', { pay_currency: 'btc', actually_paid: 0.001 }, null],
  ])('%s with %j', async (payment_status, fields, news) => {
    const event = await ipn({ payment_status, ...fields });
    expect(event).toMatchObject({ type: payment_status, paymentId: '5745459419', orderId: 'ord_1' });
    expect(event.news).toEqual(news);
  });

  it('names the event by payment, status and amount received', async () => {
    expect((await ipn({ payment_status: 'finished', actually_paid: 19.36121163 })).eventId).toBe(
      '5745459419:finished:19.36121163',
    );
    expect((await ipn({ payment_status: 'waiting', actually_paid: null })).eventId).toBe('5745459419:waiting:-');
    expect((await ipn({ payment_id: '5745459419' })).eventId).toBe('5745459419:finished:20');
  });

  it('partially_paid, read by the decision table, is an under-payment to review', async () => {
    const event = await ipn({ payment_status: 'partially_paid', actually_paid: 12.5 });
    const d = decide({ status: 'pending', payMinor: 20_000_000n, payCurrency: 'USDT', network: 'TRC20' }, event.news!);
    expect([d.to, d.needsReview, d.creditPaidMinor, d.receivedMinor]).toEqual(['processing', true, null, 12_500_000n]);
  });

  it.each([
    [{ payment_id: null }, 'payment_id must be a NOWPayments payment id'],
    [{ payment_id: 1.5 }, 'payment_id must be a NOWPayments payment id'],
    [{ payment_id: '12a' }, 'payment_id must be a NOWPayments payment id'],
    [{ payment_status: 'Finished!' }, 'payment_status must be a status name'],
    [{ actually_paid: '-1' }, 'actually_paid must be a decimal amount'],
    [{ actually_paid: undefined }, 'actually_paid is missing'],
  ])('refuses a signed but unreadable IPN %j', async (fields, reason) => {
    await expect(ipn(fields)).rejects.toThrow(new WebhookRejected(reason));
  });

  it('refunds are pending: staff return the funds by hand', async () => {
    expect(await provider.refund('5745459419', 1n, 'USDT', 'ref_1')).toEqual({
      refundId: 'nprefund_5745459419_ref_1',
      status: 'pending',
    });
  });
});
