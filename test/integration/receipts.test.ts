import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { createMailer, receiptMessage, type ReceiptOrder } from '../../src/mail/index.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

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

/** Undo quoted-printable (soft breaks, =XX), so assertions hold however nodemailer encodes a part. */
const decodeQp = (s: string): string =>
  s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

describe('receipt e-mail over SMTP', () => {
  const received: Received[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((a) => a.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(resolve));
  });

  it('delivers the receipt with amounts, rate and order link', async () => {
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'Coffer <no-reply@coffer.test>', log: { info() {} } });
    try {
      await mailer.send(receiptMessage(order, customer, publicUrl));
    } finally {
      mailer.close();
    }

    expect(received).toHaveLength(1);
    const msg = received[0];
    expect(msg.to).toEqual(['ada@example.com']);
    expect(msg.from).toBe('no-reply@coffer.test');
    const unfolded = msg.raw.replace(/\r?\n[ \t]+/g, ' ');
    expect(unfolded).toMatch(new RegExp(`^Subject: Receipt for your top-up ${order.id}\\r?$`, 'm'));
    const body = decodeQp(msg.raw);
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
    const mailer = createMailer({ smtpUrl: null, from: 'x@example.com', log: { info: (obj, msg) => calls.push({ obj, msg }) } });
    const m = receiptMessage(order, customer, publicUrl);
    await expect(mailer.send(m)).resolves.toBeUndefined();
    mailer.close();
    expect(calls).toEqual([{ obj: { to: m.to, subject: m.subject, text: m.text }, msg: 'mail not sent (SMTP_URL is unset)' }]);
  });
});
