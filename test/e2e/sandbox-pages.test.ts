import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCall, setupHarness, startServer, waitFor } from '../integration/harness.js';

// Real browser, real server: the sandbox's hosted pages as a paying customer sees them. The
// screenshots (1280×800 and 375×812) land in test-results/screenshots for a human to look at.
const SHOTS = path.resolve('test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// CI installs Chromium and must run these; a developer machine without it skips them, loudly.
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && process.env.CI)
  throw new Error(`browser tests need Chromium at ${CHROMIUM} (apt-get install chromium)`);
if (!HAVE_CHROMIUM)
  console.warn(`SKIPPING browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

const h = await setupHarness();
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let customer: string;

const api = (method: string, url: string, body?: unknown, key?: string) =>
  httpCall(server.baseUrl, h.apiKey, method, url, body, key);

async function topup(body: Record<string, unknown>) {
  const res = await api('POST', '/v1/topups', { customer, balance: 'wallet', ...body }, `e2e-${Math.random()}`);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; provider: { payment_id: string }; credit: { amount: number } };
}

const waitForStatus = (id: string, status: string) =>
  waitFor(`order ${id} to be ${status}`, 10_000, async () => {
    const o = await api('GET', `/v1/topups/${id}`);
    return o.body.status === status ? o.body : null;
  });

async function shot(page: Page, name: string) {
  for (const [w, hgt] of [
    [1280, 800],
    [375, 812],
  ]) {
    await page.setViewportSize({ width: w, height: hgt });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${w}x${hgt}.png`), fullPage: true });
  }
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  server = await startServer(h.url, { SANDBOX_RETRY_BASE_MS: '100' });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  await api('POST', '/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '7.20' });
  await api('POST', '/v1/fx-rates', { base: 'USD', quote: 'USDT', rate: '1.00' });
  const c = await api('POST', '/v1/customers', { external_id: 'e2e-payer', email: 'payer@example.com' });
  customer = c.body.id;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe.skipIf(!HAVE_CHROMIUM)('sandbox pages in a real browser', () => {
  it('card: the checkout page shows TEST MODE and the amount; Pay credits the wallet through the webhook', async () => {
    const order = await topup({ amount: 10_000, currency: 'CNY', method: 'card' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.baseUrl}/sandbox/checkout/${order.provider.payment_id}`);
    await expect(page.getByText('TEST MODE', { exact: false }).first().isVisible()).resolves.toBe(true);
    expect(await page.content()).toContain('105.06');
    await shot(page, 'sandbox-checkout');
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForLoadState();
    expect(await page.content()).toContain('Payment succeeded');
    await shot(page, 'sandbox-checkout-paid');
    const done = await waitForStatus(order.id, 'succeeded');
    expect(done.credited).toEqual({ amount: 1388, currency: 'USD' });
    await page.close();
  });

  it('card: Decline fails the order and credits nothing', async () => {
    const before = (await api('GET', `/v1/customers/${customer}/balances`)).body.data.find(
      (b: { balance: string }) => b.balance === 'wallet',
    ).posted;
    const order = await topup({ amount: 2000, currency: 'USD', method: 'card' });
    const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
    await page.goto(`${server.baseUrl}/sandbox/checkout/${order.provider.payment_id}`);
    await page.getByRole('button', { name: 'Decline' }).click();
    await page.waitForLoadState();
    expect(await page.content()).toContain('declined');
    await waitForStatus(order.id, 'failed');
    const after = (await api('GET', `/v1/customers/${customer}/balances`)).body.data.find(
      (b: { balance: string }) => b.balance === 'wallet',
    ).posted;
    expect(after).toBe(before);
    await page.close();
  });

  it('crypto: the page shows the network next to the address; a deposit plus confirmations credits the order', async () => {
    const order = await topup({ amount: 25_000_000, currency: 'USDT', method: 'crypto', network: 'TRC20' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.baseUrl}/sandbox/crypto/${order.provider.payment_id}`);
    const html = await page.content();
    expect(html).toContain('TRC20');
    expect(html).toMatch(/T[1-9A-HJ-NP-Za-km-z]{33}/);
    await shot(page, 'sandbox-crypto');
    await page.getByRole('button', { name: 'Simulate deposit' }).click();
    await page.waitForLoadState();
    await waitForStatus(order.id, 'processing');
    await shot(page, 'sandbox-crypto-deposited');
    await page.getByRole('button', { name: 'Add confirmations' }).click();
    await page.waitForLoadState();
    const done = await waitForStatus(order.id, 'succeeded');
    expect(done.credited).toEqual({ amount: 2500, currency: 'USD' });
    await page.close();
  });
});
