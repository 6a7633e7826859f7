import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../src/providers/index.js';
import { receiptPdf } from '../../src/topups/receipt-pdf.js';
import { setupHarness } from './harness.js';

const h = await setupHarness({ PRODUCTS: 'sms:短信,whatsapp:WhatsApp', PUBLIC_URL: 'https://pay.example.com' });
const db = h.handle.db;
const MISSING_ORDER = 'ord_00000000000000000000000000';

// 1 USD = 7.20 CNY: a CNY top-up of a USD customer's balance goes through it.
expect((await h.post('/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '7.20' })).status).toBe(201);

const PDFTOTEXT = '/usr/bin/pdftotext';

/** The text of a PDF as poppler reads it, or null (with a warning) where poppler-utils is missing outside CI. */
function pdfText(pdf: Buffer): string | null {
  if (!existsSync(PDFTOTEXT)) {
    if (process.env.CI) throw new Error(`${PDFTOTEXT} is missing: CI must install poppler-utils`);
    console.warn(`${PDFTOTEXT} is missing (apt-get install poppler-utils): the receipt's text is not checked`);
    return null;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'receipt-'));
  try {
    const file = path.join(dir, 'receipt.pdf');
    writeFileSync(file, pdf);
    return execFileSync(PDFTOTEXT, ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function customer(name: string | null, email: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await h.post('/v1/customers', { external_id: `ext-${email}`, email, name, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function topup(body: Record<string, unknown>): Promise<any> {
  const res = await h.post('/v1/topups', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A sandbox page's button, then every webhook it queued, delivered as the sandbox would. */
async function sandbox(url: string, pid: string, payload?: Record<string, string>): Promise<void> {
  const page = await h.app.inject({ method: 'POST', url, ...(payload ? { payload } : {}) });
  expect(page.statusCode, page.body).toBe(303);
  const rows = await db
    .selectFrom('sandbox_deliveries')
    .select(['id', 'body'])
    .where('payment_id', '=', pid)
    .where('delivered_at', 'is', null)
    .orderBy('id')
    .execute();
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/webhooks/sandbox',
      headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader(h.sandboxSecret, row.body) },
      payload: row.body,
    });
    expect(res.statusCode, res.body).toBe(200);
    await db.updateTable('sandbox_deliveries').set({ delivered_at: new Date() }).where('id', '=', row.id).execute();
  }
}
const payCard = (pid: string) => sandbox(`/sandbox/checkout/${pid}/pay`, pid);

const isPdf = (b: Buffer | null): b is Buffer => b !== null && b.subarray(0, 5).toString('latin1') === '%PDF-';

describe('receiptPdf', () => {
  it('a CNY card top-up of a product balance: every fact of the receipt, Chinese included, is in the PDF', async () => {
    const zhang = await customer('张伟', 'zhang.wei@example.com');
    // CNY 100.00 + fee (2.9 % = 2.90, and the fixed USD 0.30 = CNY 2.16) = CNY 105.06, credited in USD
    const o = await topup({ customer: zhang, balance: 'sms', amount: 10_000, currency: 'CNY', method: 'card' });
    expect([o.fee, o.pay, o.fx_rate]).toEqual([
      { amount: 506, currency: 'CNY' },
      { amount: 10_506, currency: 'CNY' },
      '7.20',
    ]);
    await payCard(o.provider.payment_id);
    const done = (await h.call('GET', `/v1/topups/${o.id}`)).body;
    expect(done.status).toBe('succeeded');

    const pdf = await receiptPdf(db, h.config, zhang, o.id);
    expect(isPdf(pdf)).toBe(true);
    expect(pdf!.length).toBeLessThan(200_000); // the font is subset, not embedded whole
    const text = pdfText(pdf!);
    if (text === null) return;
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Receipt');
    expect(flat).toContain('pay.example.com');
    expect(flat).toContain(o.id);
    expect(flat).toContain('张伟');
    expect(flat).toContain('zhang.wei@example.com');
    expect(flat).toContain('短信');
    expect(flat).toContain('Card');
    expect(flat).toContain(o.provider.payment_id);
    expect(flat).toMatch(/100\.00 CNY/);
    expect(flat).toMatch(/5\.06 CNY/);
    expect(flat).toMatch(/105\.06 CNY/);
    expect(flat).toContain('1 USD = 7.20 CNY');
    const credited = `${(done.credited.amount / 100).toFixed(2)} USD`; // a USD amount of a few dollars: exact as a float
    expect(flat).toContain(credited);
    const paidAt = new Date(done.succeeded_at).toISOString().slice(0, 19).replace('T', ' ');
    expect(flat).toContain(`${paidAt} UTC`);
    expect(flat).toContain('This receipt confirms a prepaid balance top-up. It is not a tax invoice.');
    expect(flat).not.toContain('Paid late');
    expect(flat).not.toContain('Refunded');
  });

  it('a product top-up paid from the wallet, with a paid-late order and a refund shown as notes', async () => {
    const c = await customer(null, 'ana@example.com');
    expect(
      (
        await h.post('/v1/grants', {
          customer: c,
          balance: 'wallet',
          amount: 5000,
          currency: 'USD',
          reason: 'test funds',
        })
      ).status,
    ).toBe(201);
    const o = await topup({ customer: c, balance: 'whatsapp', amount: 1234, currency: 'USD', method: 'balance' });
    expect(o.status).toBe('succeeded');
    const plain = await receiptPdf(db, h.config, c, o.id);
    expect(isPdf(plain)).toBe(true);
    const text = pdfText(plain!);
    if (text !== null) {
      const flat = text.replace(/\s+/g, ' ');
      expect(flat).toContain('ana@example.com');
      expect(flat).toContain('WhatsApp');
      expect(flat).toContain('Wallet balance');
      expect(flat).toMatch(/12\.34 USD/);
      expect(flat).toMatch(/0\.00 USD/);
      expect(flat).not.toContain('Exchange rate');
    }

    // the notes: set on the row, as a late payment and a refund would leave it
    await db
      .updateTable('orders')
      .set({ paid_late: true, refunded_amount: 234n, refund_status: 'partial' })
      .where('id', '=', o.id)
      .execute();
    const noted = pdfText((await receiptPdf(db, h.config, c, o.id))!);
    if (noted !== null) {
      const flat = noted.replace(/\s+/g, ' ');
      expect(flat).toContain('Paid late');
      expect(flat).toMatch(/Refunded.*2\.34 USD/);
    }
  });

  it('a crypto top-up names its network and prints USDT with its six decimals', async () => {
    expect((await h.post('/v1/fx-rates', { base: 'USDT', quote: 'USD', rate: '0.998' })).status).toBe(201);
    const c = await customer('Li Na 李娜', 'li.na@example.com');
    const o = await topup({
      customer: c,
      balance: 'wallet',
      amount: 20_000_000,
      currency: 'USDT',
      method: 'crypto',
      network: 'TRC20',
    });
    const pid = o.provider.payment_id;
    const due = (o.pay.amount / 1e6).toFixed(6); // the six-decimal amount the page asks for, exact as a float here
    await sandbox(`/sandbox/crypto/${pid}/deposit`, pid, { amount: due, network: 'TRC20' });
    await sandbox(`/sandbox/crypto/${pid}/confirm`, pid);
    expect((await h.call('GET', `/v1/topups/${o.id}`)).body.status).toBe('succeeded');
    const pdf = await receiptPdf(db, h.config, c, o.id);
    expect(isPdf(pdf)).toBe(true);
    const text = pdfText(pdf!);
    if (text === null) return;
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('Li Na 李娜');
    expect(flat).toContain('TRC20');
    expect(flat).toContain(pid);
    expect(flat).toContain(`${due} USDT`);
    expect(flat).toContain('1 USDT = 0.998 USD');
  });

  it('null for a pending order, another customer’s order and an unknown order', async () => {
    const c = await customer('Owner', 'owner@example.com');
    const other = await customer('Other', 'other@example.com');
    const pending = await topup({
      customer: c,
      balance: 'wallet',
      amount: 5000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect(await receiptPdf(db, h.config, c, pending.id)).toBeNull();
    const confirmed = await h.post(`/v1/topups/${pending.id}/confirm`, { amount_received: 5000 });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    expect(isPdf(await receiptPdf(db, h.config, c, pending.id))).toBe(true);
    expect(await receiptPdf(db, h.config, other, pending.id)).toBeNull();
    expect(await receiptPdf(db, h.config, c, MISSING_ORDER)).toBeNull();

    const cancelled = await topup({
      customer: c,
      balance: 'wallet',
      amount: 5000,
      currency: 'USD',
      method: 'bank_transfer',
    });
    expect((await h.post(`/v1/topups/${cancelled.id}/cancel`, undefined)).status).toBe(200);
    expect(await receiptPdf(db, h.config, c, cancelled.id)).toBeNull();
  });
});
