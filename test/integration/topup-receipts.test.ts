import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCall, setupHarness, startServer, waitFor } from './harness.js';
import { startSmtpServer } from './smtp.js';

// The whole path: a top-up succeeds on a real `coffer serve`, the receipt job queued in the same
// transaction runs on graphile-worker, and the mail reaches a real SMTP server.
const h = await setupHarness();
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startServer(h.url, {
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Billing <billing@coffer.test>',
    PUBLIC_URL: 'https://pay.example.com',
  });
});

afterAll(async () => {
  await server?.stop();
  await smtp.close();
});

const api = (method: string, url: string, body?: unknown, key?: string) =>
  httpCall(server.baseUrl, h.apiKey, method, url, body, key);

describe('top-up receipts', () => {
  it('a succeeded top-up e-mails its receipt to the customer exactly once', async () => {
    const c = await api('POST', '/v1/customers', {
      external_id: 'receipt-1',
      email: 'grace@example.com',
      name: 'Grace',
    });
    const bank = await api(
      'POST',
      '/v1/topups',
      { customer: c.body.id, balance: 'wallet', amount: 5000, currency: 'USD', method: 'bank_transfer' },
      'r-1',
    );
    expect(bank.status).toBe(201);
    const confirmed = await api('POST', `/v1/topups/${bank.body.id}/confirm`, { amount_received: 5000 });
    expect(confirmed.status).toBe(200);
    const mail = await waitFor('the receipt', 15_000, async () =>
      smtp.mails.find((m) => m.text.includes(bank.body.id)),
    );
    expect(mail.to).toEqual(['grace@example.com']);
    expect(mail.text).toContain(`Subject: Receipt for your top-up ${bank.body.id}`);
    expect(mail.text).toContain('50.00 USD');
    expect(mail.text).toContain(`https://pay.example.com/orders/${bank.body.id}`);
    // the job is keyed by order: confirming cannot happen twice, and nothing else sends another
    await new Promise((r) => setTimeout(r, 1500));
    expect(smtp.mails.filter((m) => m.text.includes(bank.body.id))).toHaveLength(1);
  });

  it('an order that did not succeed sends nothing', async () => {
    const c = await api('POST', '/v1/customers', { external_id: 'receipt-2', email: 'linus@example.com' });
    const order = await api(
      'POST',
      '/v1/topups',
      { customer: c.body.id, balance: 'wallet', amount: 5000, currency: 'USD', method: 'bank_transfer' },
      'r-2',
    );
    expect((await api('POST', `/v1/topups/${order.body.id}/cancel`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(smtp.mails.some((m) => m.text.includes(order.body.id))).toBe(false);
  });
});

describe('mail outbox', () => {
  it('one round sends everything due, batch after batch, and leaves nothing behind', async () => {
    await server.stop(); // its own sender would take rows from under this one
    const { MailOutbox } = await import('../../src/mail/outbox.js');
    const { createMailer } = await import('../../src/mail/index.js');
    const db = h.handle.db;
    const ids = Array.from({ length: 45 }, (_, i) => `ord_outbox${String(i).padStart(17, '0')}`);
    await db
      .insertInto('mail_outbox')
      .values(ids.map((id) => ({ kind: 'topup_receipt' as const, object_id: id, customer_id: 'cus_none' })))
      .execute();
    const sent: string[] = [];
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'x@coffer.test', log: { info() {} } });
    const outbox = new MailOutbox(
      db,
      mailer,
      { topup_receipt: async (id) => (sent.push(id), { to: 'a@example.com', subject: id, text: id, html: id }) },
      { warn() {} },
    );
    try {
      expect(await outbox.round()).toBe(45);
    } finally {
      mailer.close();
    }
    expect(sent.sort()).toEqual([...ids].sort());
    const left = await db
      .selectFrom('mail_outbox')
      .select('object_id')
      .where('object_id', 'in', ids)
      .where('sent_at', 'is', null)
      .execute();
    expect(left).toEqual([]);
    expect(await outbox.round()).toBe(0);
  });
});
