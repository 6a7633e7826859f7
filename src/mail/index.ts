import nodemailer from 'nodemailer';
import { formatDecimal } from '../money/index.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export interface MailerOptions {
  smtpUrl: string | null;
  from: string;
  log: { info(obj: object, msg: string): void };
}

// Only a server on this machine may skip certificate checks (a dev relay such as MailHog
// or a test server); anything remote must present a valid certificate.
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

export function createMailer(opts: MailerOptions): Mailer & { close(): void } {
  const { smtpUrl, from, log } = opts;
  if (!smtpUrl) {
    // Without SMTP the receipt still shows up in the log, so a dev setup can see what would be sent.
    return {
      async send({ to, subject, text }) {
        log.info({ to, subject, text }, 'mail not sent (SMTP_URL is unset)');
      },
      close() {},
    };
  }
  const local = LOCAL_HOSTS.has(new URL(smtpUrl).hostname);
  // Pooled: receipts come in bursts, and reusing connections spares a handshake per message.
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    ...(local ? { tls: { rejectUnauthorized: false } } : {}),
  });
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
    close() {
      transport.close();
    },
  };
}

interface Amount {
  amount: bigint;
  currency: string;
}

export interface ReceiptOrder {
  id: string;
  balance: string;
  method: string;
  pay: Amount;
  fee: Amount;
  credited: Amount;
  fx_rate: string | null;
  succeeded_at: Date;
  paid_late: boolean;
}

const show = (m: Amount): string => `${formatDecimal(m.amount, m.currency)} ${m.currency}`;

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function receiptMessage(
  order: ReceiptOrder,
  customer: { email: string; name: string | null },
  publicUrl: string,
): MailMessage {
  const link = `${publicUrl}/orders/${order.id}`;
  // The fee is charged on top of the top-up in the paying currency (pay = amount + fee),
  // so the receipt spells out all three.
  const amount: Amount = { amount: order.pay.amount - order.fee.amount, currency: order.pay.currency };
  const rows: Array<[string, string]> = [
    ['Order', order.id],
    ['Balance topped up', order.balance],
    ['Method', order.method],
    ['Amount', show(amount)],
    ['Fee', show(order.fee)],
    ['Amount paid', show(order.pay)],
    ['Amount credited', show(order.credited)],
    ...(order.fx_rate !== null ? [['FX rate', order.fx_rate] as [string, string]] : []),
    ['Date', order.succeeded_at.toISOString()],
  ];
  const greeting = customer.name ? `Hello ${customer.name},` : 'Hello,';
  const intro = 'Thank you for your top-up. Here is your receipt.';
  const late = 'This payment arrived late, after the order had closed; it was credited all the same.';

  const text = [
    greeting,
    '',
    intro,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    ...(order.paid_late ? ['', late] : []),
    '',
    `View the order: ${link}`,
    '',
  ].join('\n');

  const e = escapeHtml;
  const html = [
    '<!doctype html>',
    '<html><body>',
    `<p>${e(greeting)}</p>`,
    `<p>${e(intro)}</p>`,
    '<table>',
    ...rows.map(([k, v]) => `<tr><th align="left">${e(k)}</th><td>${e(v)}</td></tr>`),
    '</table>',
    ...(order.paid_late ? [`<p>${e(late)}</p>`] : []),
    `<p><a href="${e(link)}">View the order</a></p>`,
    '</body></html>',
    '',
  ].join('\n');

  return { to: customer.email, subject: `Receipt for your top-up ${order.id}`, text, html };
}
