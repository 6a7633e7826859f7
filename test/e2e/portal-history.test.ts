import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, setupPortal } from './portal-harness.js';

// The customer's records in a real browser: recharge history (filters in the URL, CSV export),
// statement with running balances and charts, help, security (payment password, sessions), and
// the same pages in 简体中文. Screenshots land in test-results/screenshots/portal-*.png.

// An operator with a support address and an official domain, as a real deployment has.
const SUPPORT = 'help@acme.example';
const env = await setupPortal({
  OPERATOR_NAME: 'Acme Cloud',
  SUPPORT_EMAIL: SUPPORT,
  PUBLIC_URL: 'http://billing.acme.example',
});
let customer: string;
const ids: Record<string, string> = {};

async function topup(name: string, body: Record<string, unknown>) {
  const res = await env.api('POST', '/v1/topups', { customer, currency: 'USD', ...body }, `hist-${customer}-${name}`);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  ids[name] = res.body.id;
  return res.body as { id: string; status: string; pay: { amount: number } };
}

/** The visible table's rows (1280 px wide: the table; the phone cards are hidden). */
const tableRows = (page: Page) => page.locator('table tbody tr');

/** The orders page has finished loading (a row, or an empty state). */
async function ordersLoaded(page: Page) {
  await page.locator('table tbody tr, .mantine-EmptyState-root').first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
}

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return;
  customer = await env.newCustomer({ email: 'history@example.com', wallet: 50_000, products: { whatsapp: 2_000 } });
  const paid = await topup('balance', { balance: 'whatsapp', amount: 3_000, method: 'balance' });
  expect(paid.status).toBe('succeeded');
  await topup('card', { balance: 'wallet', amount: 2_500, method: 'card' });
  await topup('crypto', {
    balance: 'wallet',
    amount: 40_000_000,
    method: 'crypto',
    currency: 'USDT',
    network: 'TRC20',
  });
  const cancelled = await env.api('POST', `/v1/topups/${ids.crypto}/cancel`, undefined, `hist-cancel-${customer}`);
  expect(cancelled.body.status).toBe('cancelled');
  const bank = await topup('bank', { balance: 'wallet', amount: 10_000, method: 'bank_transfer' });
  const confirmed = await env.api(
    'POST',
    `/v1/topups/${ids.bank}/confirm`,
    { amount_received: bank.pay.amount },
    `hist-confirm-${customer}`,
  );
  expect(confirmed.body.status, JSON.stringify(confirmed.body)).toBe('succeeded');
  const charge = await env.api(
    'POST',
    '/v1/charges',
    { customer, balance: 'whatsapp', amount: 700, currency: 'USD', description: 'Messages sent' },
    `hist-charge-${customer}`,
  );
  expect(charge.status, JSON.stringify(charge.body)).toBe(201);
});

describe.skipIf(!HAVE_CHROMIUM)('portal: orders, statement, help, security', () => {
  it('orders: rows, filters kept in the URL, CSV export of the filtered view', async () => {
    const { context, page } = await env.signIn(customer);
    await page.goto(`${env.baseUrl}/orders`);
    await page.getByRole('heading', { level: 1, name: 'Recharge history' }).waitFor();
    await ordersLoaded(page);
    await expect.poll(() => tableRows(page).count()).toBe(4);
    await expect(page.getByRole('link', { name: ids.card }).getAttribute('href')).resolves.toBe(`/orders/${ids.card}`);
    await env.shot(page, 'orders');

    await page.getByLabel('Status').selectOption('pending');
    await page.waitForURL(/status=pending/);
    await ordersLoaded(page);
    await expect.poll(() => tableRows(page).count()).toBe(1);
    await tableRows(page).first().getByRole('link', { name: ids.card }).waitFor();

    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Payment method').selectOption('bank_transfer');
    await page.waitForURL((u) => u.searchParams.get('method') === 'bank_transfer' && !u.searchParams.has('status'));
    await ordersLoaded(page);
    await expect.poll(() => tableRows(page).count()).toBe(1);
    await tableRows(page).first().getByRole('link', { name: ids.bank }).waitFor();

    // A reload keeps the filter (it lives in the URL).
    await page.getByLabel('Payment method').selectOption('');
    await page.getByLabel('Status').selectOption('succeeded');
    await page.waitForURL(/status=succeeded/);
    await page.reload();
    await ordersLoaded(page);
    await expect(page.getByLabel('Status').inputValue()).resolves.toBe('succeeded');
    await expect.poll(() => tableRows(page).count()).toBe(2);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('topups.csv');
    const lines = fs
      .readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    const header = lines[0].split(',');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[header.indexOf('status')])).toEqual(['succeeded', 'succeeded']);
    expect(rows.map((r) => r[header.indexOf('id')]).sort()).toEqual([ids.balance, ids.bank].sort());

    // Filters that match nothing say so, and offer to clear them.
    await page.goto(`${env.baseUrl}/orders?status=failed`);
    await ordersLoaded(page);
    await page.getByText('No orders match these filters').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).last().click();
    await page.waitForURL((u) => u.search === '');
    await ordersLoaded(page);
    await expect.poll(() => tableRows(page).count()).toBe(4);
    await context.close();
  });

  it('orders: a customer with none sees how to make the first one', async () => {
    const fresh = await env.newCustomer({ email: 'fresh@example.com' });
    const { context, page } = await env.signIn(fresh);
    await page.goto(`${env.baseUrl}/orders`);
    await ordersLoaded(page);
    await page.getByText('No top-ups yet').waitFor();
    await expect(page.getByRole('link', { name: 'Top up' }).last().getAttribute('href')).resolves.toBe('/topup');
    await env.shot(page, 'orders-empty');
    await context.close();
  });

  it('orders: keyset pages, "Older" and "Newer"', async () => {
    const many = await env.newCustomer({ email: 'many@example.com' });
    for (let i = 0; i < 22; i++) {
      const r = await env.api(
        'POST',
        '/v1/topups',
        { customer: many, balance: 'wallet', amount: 1_000 + i, currency: 'USD', method: 'card' },
        `many-${many}-${i}`,
      );
      expect(r.status).toBe(201);
    }
    const { context, page } = await env.signIn(many);
    await page.goto(`${env.baseUrl}/orders`);
    await ordersLoaded(page);
    await expect.poll(() => tableRows(page).count()).toBe(20);
    await expect(page.getByRole('button', { name: 'Newer' }).isDisabled()).resolves.toBe(true);
    const newest = await tableRows(page).first().textContent();
    await page.getByRole('button', { name: 'Older' }).click();
    await page.waitForURL(/after=ord_/);
    await expect.poll(() => tableRows(page).count()).toBe(2);
    await expect(page.getByRole('button', { name: 'Older' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.waitForURL((u) => !u.searchParams.has('after'));
    await expect.poll(() => tableRows(page).count()).toBe(20);
    await expect(tableRows(page).first().textContent()).resolves.toBe(newest);
    await context.close();
  });

  it('statement: entries with running balances for the wallet and a product; the charts render', async () => {
    const { context, page } = await env.signIn(customer);
    await page.goto(`${env.baseUrl}/statement`);
    await page.getByRole('heading', { level: 1, name: 'Statement' }).waitFor();
    const rows = tableRows(page);
    await rows.first().waitFor();
    // Wallet, newest first: bank top-up +100.00 → 570.00; product payment −30.00 → 470.00; grant 500.00.
    await expect(rows.count()).resolves.toBe(3);
    const wallet = await rows.allTextContents();
    expect(wallet[0]).toContain('+100.00');
    expect(wallet[0]).toContain('570.00');
    expect(wallet[1]).toContain('−30.00');
    expect(wallet[1]).toContain('470.00');
    expect(wallet[2]).toContain('500.00');
    await page.locator('.recharts-surface').first().waitFor();
    await expect(page.locator('.recharts-area').count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('.recharts-bar-rectangle').count()).resolves.toBeGreaterThan(0);
    await env.shot(page, 'statement');

    await page.getByRole('tab', { name: 'WhatsApp' }).click();
    await page.waitForURL(/balance=whatsapp/);
    await rows.filter({ hasText: '−7.00' }).waitFor();
    const product = await rows.allTextContents();
    // Grant 20.00 → top-up +30.00 → 50.00 → charge −7.00 → 43.00.
    expect(product[0]).toContain('−7.00');
    expect(product[0]).toContain('43.00');
    expect(product[1]).toContain('+30.00');
    expect(product[1]).toContain('50.00');
    await page.getByRole('link', { name: ids.balance }).waitFor();
    await context.close();
  });

  it('help shows the minimum and the official host; security sets and changes the PIN and lists sessions', async () => {
    const other = await env.signIn(customer); // a second session, to be signed out from the first
    const { context, page } = await env.signIn(customer);
    const config = await (await page.request.get(`${env.baseUrl}/portal/api/config`)).json();
    await page.goto(`${env.baseUrl}/help#security`);
    await page.getByRole('heading', { level: 1, name: 'Help & security' }).waitFor();
    await expect(page.locator('#minimum').textContent()).resolves.toContain('10.00');
    expect(config.official_host).toBe('billing.acme.example');
    await expect(page.locator('#security').textContent()).resolves.toContain(config.official_host);
    await expect(page.getByRole('link', { name: SUPPORT }).getAttribute('href')).resolves.toBe(`mailto:${SUPPORT}`);
    await page.getByRole('heading', { name: 'Refund policy' }).waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await env.shot(page, 'help');

    await page.goto(`${env.baseUrl}/security`);
    await page.getByLabel('New payment password', { exact: true }).fill('135790');
    await page.getByLabel('Repeat the new payment password').fill('135790');
    await page.getByRole('button', { name: 'Set payment password' }).click();
    await page.getByText('Your payment password is set.').waitFor();
    await page.getByLabel('Current payment password').fill('000000');
    await page.getByLabel('New payment password', { exact: true }).fill('246802');
    await page.getByLabel('Repeat the new payment password').fill('246802');
    await page.getByRole('button', { name: 'Change payment password' }).click();
    await page.getByText('Wrong payment password').waitFor();
    await page.getByLabel('Current payment password').fill('135790');
    await page.getByRole('button', { name: 'Change payment password' }).click();
    await page.getByText('Your payment password has been changed.').waitFor();

    // Every sign-in of this customer so far is listed (earlier tests' and the second context's).
    const sessions = page.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    const listed = (await (await page.request.get(`${env.baseUrl}/portal/api/sessions`)).json()).data.length;
    expect(listed).toBeGreaterThanOrEqual(2);
    await expect.poll(() => sessions.count()).toBe(listed);
    await page.getByText('This device').waitFor();
    await env.shot(page, 'security');
    for (let left = listed; left > 1; left--) {
      await page
        .getByRole('button', { name: /^Sign out .*, last active/ })
        .first()
        .click();
      await expect.poll(() => sessions.count()).toBe(left - 1);
    }
    await page.getByText('This device').waitFor();
    expect((await other.page.request.get(`${env.baseUrl}/portal/api/me`)).status()).toBe(401);
    await other.context.close();
    await context.close();
  });

  it('简体中文: the orders page in Chinese, remembered after a reload', async () => {
    const { context, page } = await env.signIn(customer);
    await page.goto(`${env.baseUrl}/orders`);
    await ordersLoaded(page);
    await page.getByRole('button', { name: /English/ }).click();
    await page.getByRole('menuitem', { name: '简体中文' }).click();
    await page.getByRole('heading', { level: 1, name: '充值记录' }).waitFor();
    await page.getByRole('columnheader', { name: '支付方式' }).waitFor();
    await page.reload();
    await ordersLoaded(page);
    await page.getByRole('heading', { level: 1, name: '充值记录' }).waitFor();
    await page.locator('table').getByText('成功').first().waitFor();
    await env.shot(page, 'orders-zh');
    await page.goto(`${env.baseUrl}/statement`);
    await tableRows(page).first().waitFor();
    await env.shot(page, 'statement-zh');
    await context.close();
  });
});
