import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createMailer, receiptMessage, type ReceiptOrder } from '../../src/mail/index.js';
import { startSmtpServer } from './smtp.js';

const order: ReceiptOrder = {
  id: 'ord_01jt0000000000000000000000',
  balance: 'wallet',
  method: 'alipay',
  pay: { amount: 7416n, currency: 'CNY' }, // 72.00 + 2.16 fee
  fee: { amount: 216n, currency: 'CNY' },
  credited: { amount: 1000n, currency: 'USD' },
  fx_rate: '7.20',
  succeeded_at: new Date('2025-03-04T05:06:07.000Z'),
  paid_late: true,
};
const customer = { email: 'ada@example.com', name: 'Ada' };
const publicUrl = 'https://coffer.example.com';

describe('receipt e-mail over SMTP', () => {
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

  beforeAll(async () => {
    smtp = await startSmtpServer();
  });

  afterAll(async () => {
    await smtp.close();
  });

  it('delivers the receipt with amounts, rate and order link', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'Coffer <no-reply@coffer.test>', log: { info() {} } });
    try {
      await mailer.send(receiptMessage(order, customer, publicUrl));
    } finally {
      mailer.close();
    }

    expect(smtp.mails).toHaveLength(1);
    const msg = smtp.mails[0];
    expect(msg.to).toEqual(['ada@example.com']);
    expect(msg.from).toBe('no-reply@coffer.test');
    const unfolded = msg.raw.replace(/\r?\n[ \t]+/g, ' ');
    expect(unfolded).toMatch(new RegExp(`^Subject: Receipt for your top-up ${order.id}\\r?$`, 'm'));
    const body = msg.text;
    expect(body).toContain('72.00 CNY');
    expect(body).toContain('2.16 CNY');
    expect(body).toContain('74.16 CNY');
    expect(body).toContain('10.00 USD');
    expect(body).toContain('7.20');
    expect(body).toContain('2025-03-04T05:06:07.000Z');
    expect(body).toContain(`${publicUrl}/orders/${order.id}`);
    expect(body).toContain('This payment arrived late');
  });
});

describe('receiptMessage', () => {
  it('escapes the customer name in the HTML', () => {
    const m = receiptMessage(order, { email: 'x@example.com', name: 'Eve <b>bold</b>' }, publicUrl);
    expect(m.html).not.toContain('<b>');
    expect(m.html).toContain('Eve &#60;b&#62;bold&#60;/b&#62;');
    expect(m.text).toContain('Hello Eve <b>bold</b>,');
  });

  it('leaves out the FX rate and the late line when they do not apply', () => {
    const m = receiptMessage({ ...order, fx_rate: null, paid_late: false }, customer, publicUrl);
    expect(m.text).not.toContain('FX rate');
    expect(m.text).not.toContain('late');
  });
});

describe('mailer without SMTP', () => {
  it('logs the message instead of sending it, and resolves', async () => {
    const calls: Array<{ obj: object; msg: string }> = [];
    const mailer = createMailer({
      smtpUrl: null,
      from: 'x@example.com',
      log: { info: (obj, msg) => calls.push({ obj, msg }) },
    });
    const m = receiptMessage(order, customer, publicUrl);
    await expect(mailer.send(m)).resolves.toBeUndefined();
    mailer.close();
    expect(calls).toEqual([
      { obj: { to: m.to, subject: m.subject, text: m.text }, msg: 'mail not sent (SMTP_URL is unset)' },
    ]);
  });
});
