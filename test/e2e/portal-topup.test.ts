import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, setupPortal } from './portal-harness.js';

// Topping up in a real browser, the way a customer does it: sign in through the platform's
// link, Home, the top-up page with its live quote, and each method's order page until the money
// is on the balance — the order page turning to success by itself (server-sent events), never by
// a reload. Screenshots land in test-results/screenshots/portal-*.png (1280×800 and 375×812).

const env = await setupPortal();

/** Screenshots from the top of the page (a scrolled page would be captured mid-way). */
async function shot(page: Page, name: string) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await env.shot(page, name);
}

const balances = async (customer: string): Promise<Record<string, number>> => {
  const res = await env.api('GET', `/v1/customers/${customer}/balances`);
  return Object.fromEntries(
    (res.body.data as { balance: string; available: number }[]).map((b) => [b.balance, b.available]),
  );
};

/** The order page's status badge and its sentence. */
const status = (page: Page) => page.getByTestId('order-status');

/** Continue on the top-up page (the desktop quote card), then the new order's page. */
async function continueToOrder(page: Page, button = 'Continue'): Promise<string> {
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.waitForURL(/\/orders\/ord_[0-9a-z]+$/, { timeout: 15_000 });
  return page.url().split('/').pop()!;
}

/** Waits until the top-up page shows a fresh quote (pay and receive). */
async function quoteShown(page: Page, pay: string) {
  await expect.poll(() => page.getByTestId('quote-pay').textContent(), { timeout: 10_000 }).toContain(pay);
  await page
    .getByRole('button', { name: /^(Continue|Pay from wallet)$/ })
    .and(page.locator(':enabled'))
    .waitFor();
}

/** Types a 6-digit payment password into the PIN boxes labelled `label`. */
async function typePin(page: Page, label: string, pin: string) {
  await page.getByLabel(`${label}, digit 1 of 6`, { exact: true }).click();
  await page.keyboard.type(pin);
}

describe.skipIf(!HAVE_CHROMIUM)('portal: signing in and topping up', () => {
  it('a sign-in link opens Home with the balances; a spent link says so and offers the e-mail form', async () => {
    const customer = await env.newCustomer({
      email: 'home@example.com',
      wallet: 12_000,
      products: { whatsapp: 2_500 },
    });
    const { context, page } = await env.signIn(customer, { returnUrl: 'https://platform.example/billing' });
    await page.getByRole('heading', { level: 1, name: 'Hello, Ada Lovelace' }).waitFor();
    await expect(page.getByTestId('wallet-available').textContent()).resolves.toContain('120.00');
    await expect(page.getByTestId('product-whatsapp').textContent()).resolves.toContain('25.00');
    await page.getByRole('link', { name: 'Back to platform.example' }).waitFor();
    expect(await page.getByRole('link', { name: 'Home' }).first().getAttribute('aria-current')).toBe('page');
    await page.getByRole('heading', { name: 'Balance over the last 30 days' }).waitFor();
    await shot(page, 'home');

    // The language switch changes the page at once and is remembered for the customer.
    await page.getByRole('button', { name: /^Language: English/ }).click();
    await page.getByRole('menuitem', { name: '简体中文' }).click();
    await page.getByRole('heading', { level: 1, name: '您好，Ada Lovelace' }).waitFor();
    await page.getByRole('heading', { name: '近 30 天余额' }).waitFor();
    await shot(page, 'home-zh');
    await expect
      .poll(async () => (await page.request.get(`${env.baseUrl}/portal/api/me`)).json().then((m) => m.locale))
      .toBe('zh-CN');
    await context.close();

    // A link works once: opened again it is refused in plain words, with the e-mail form offered.
    const link = await env.api('POST', `/v1/customers/${customer}/portal_sessions`, {});
    const url = new URL(link.body.url);
    const first = await env.browser.newContext();
    const p1 = await first.newPage();
    await p1.goto(env.baseUrl + url.pathname + url.search);
    await p1.waitForURL((u) => u.pathname === '/', { timeout: 15_000 });
    await first.close();
    const second = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const p2 = await second.newPage();
    await p2.goto(`${env.baseUrl}${url.pathname}${url.search}&lang=en`);
    await p2.getByRole('alert').filter({ hasText: "This sign-in link can't be used" }).waitFor();
    await p2.getByRole('textbox', { name: /E-mail address/ }).waitFor();
    await shot(p2, 'signin-spent');

    await p2.goto(`${env.baseUrl}/signin?lang=en`);
    await p2.getByRole('heading', { name: 'Sign in' }).waitFor();
    await p2.getByText(/Only sign in on /).waitFor();
    await shot(p2, 'signin');
    await p2.getByRole('textbox', { name: /E-mail address/ }).fill('nobody-here@example.com');
    await p2.getByRole('button', { name: 'E-mail me a sign-in link' }).click();
    await p2.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await second.close();
  });

  it('card: amount, quote, Continue, the sandbox checkout; the open order page turns Succeeded by itself and Home shows the new amount', async () => {
    const customer = await env.newCustomer({ email: 'card@example.com', wallet: 12_000 });
    const { context, page } = await env.signIn(customer);
    await page.getByRole('link', { name: 'TOP UP', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Top up Wallet' }).waitFor();
    await page.getByText('Minimum top-up: 10.00 USD').waitFor();
    await page.getByLabel('Amount to top up').fill('25');
    await page.getByRole('radio', { name: 'Credit card' }).click();
    await quoteShown(page, '26.03'); // 25.00 + 2.9 % + 0.30 (server-side), shown as the server said
    await page
      .getByText(/Quote valid for 1[45]:\d\d/)
      .first()
      .waitFor();
    await shot(page, 'topup-quote');

    const id = await continueToOrder(page);
    await expect(status(page).textContent()).resolves.toBe('Pending');
    await page.getByText('Waiting for your payment. Finish it on the secure payment page.').waitFor();
    await shot(page, 'order-card');

    // The customer pays in another tab; this one is left alone and must update by itself.
    const href = await page.getByRole('link', { name: 'Continue to secure payment' }).getAttribute('href');
    const checkout = await context.newPage();
    await checkout.goto(env.baseUrl + new URL(href!).pathname);
    await checkout.getByRole('button', { name: 'Pay' }).click();
    await checkout.waitForLoadState();
    await checkout.close();
    await expect.poll(() => status(page).textContent(), { timeout: 15_000 }).toBe('Succeeded');
    await expect(page.getByTestId('balance-change').textContent()).resolves.toBe('120.00 → 145.00 USD');
    expect(await page.getByRole('link', { name: 'Download receipt (PDF)' }).getAttribute('href')).toBe(
      `/portal/api/topups/${id}/receipt.pdf`,
    );
    await shot(page, 'order-success');

    await page.getByRole('link', { name: 'Home' }).first().click();
    await expect
      .poll(() => page.getByTestId('wallet-available').textContent(), { timeout: 12_000 })
      .toContain('145.00');
    await page.getByRole('link', { name: /^Credit card top-up of Wallet, 25.00 USD, Succeeded/ }).waitFor();
    await context.close();
  });

  it('crypto: USDT on TRC20, the network box before the address and QR code; a simulated deposit turns the open order page to success', async () => {
    const customer = await env.newCustomer({ email: 'crypto@example.com' });
    const { context, page } = await env.signIn(customer);
    await page.goto(`${env.baseUrl}/topup?balance=wallet`);
    await page.getByRole('radio', { name: 'Cryptocurrency' }).click(); // switches the currency to USDT
    await expect.poll(() => page.getByRole('combobox', { name: 'Currency' }).inputValue()).toBe('USDT');
    await page.getByLabel('Amount to top up').fill('30');
    await page.getByRole('radio', { name: /TRC20/ }).click();
    await page.getByText('Send USDT only on TRC20. Sending on any other network loses the funds.').waitFor();
    await quoteShown(page, '30.000000');
    await shot(page, 'topup-crypto');
    const id = await continueToOrder(page);

    // The address stays hidden until the customer confirms the network.
    await page.getByText('Tick the box above to show the deposit address.').waitFor();
    expect(await page.getByText(/^T[1-9A-HJ-NP-Za-km-z]{33}$/).count()).toBe(0);
    await page.getByRole('checkbox', { name: 'I will send USDT on TRC20' }).check();
    await page.getByText(/^T[1-9A-HJ-NP-Za-km-z]{33}$/).waitFor();
    await page.getByRole('img', { name: /QR code of the TRC20 deposit address T/ }).waitFor();
    await page.getByText(/This payment expires in \d+:\d\d/).waitFor();
    await shot(page, 'order-crypto');

    const order = (await env.api('GET', `/v1/topups/${id}`)).body as { provider: { payment_id: string } };
    const sim = await context.newPage();
    await sim.goto(`${env.baseUrl}/sandbox/crypto/${order.provider.payment_id}`);
    await sim.getByRole('button', { name: 'Simulate deposit' }).click();
    await sim.waitForLoadState();
    await expect.poll(() => status(page).textContent(), { timeout: 15_000 }).toBe('Processing');
    await page.getByText('Payment seen, waiting for confirmation on TRC20 — usually 10–60 min.').waitFor();
    await sim.getByRole('button', { name: 'Add confirmations' }).click();
    await sim.waitForLoadState();
    await sim.close();
    await expect.poll(() => status(page).textContent(), { timeout: 15_000 }).toBe('Succeeded');
    await expect(page.getByTestId('balance-change').textContent()).resolves.toBe('0.00 → 30.00 USD');
    await context.close();
  });

  it('bank transfer: the reference and account, a PNG proof and "I have paid"; staff confirm and the open page shows success', async () => {
    const customer = await env.newCustomer({ email: 'bank@example.com' });
    const { context, page } = await env.signIn(customer);
    await page.goto(`${env.baseUrl}/topup?balance=wallet`);
    await page.getByRole('radio', { name: 'Bank transfer (offline)' }).click();
    await page.getByRole('combobox', { name: 'Currency' }).click();
    await page.getByRole('option', { name: 'CNY' }).click();
    await page.getByLabel('Amount to top up').fill('720');
    await quoteShown(page, '720.00');
    await page.getByText('1 USD = 7.20 CNY').waitFor();
    const id = await continueToOrder(page);

    await page.getByText('Write this reference in the transfer note').waitFor();
    await page.getByRole('button', { name: 'Copy Reference' }).waitFor();
    await page.getByRole('button', { name: 'Copy Account number' }).waitFor();
    await shot(page, 'order-bank');

    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    );
    await page.getByText('Proof of payment (optional)').waitFor();
    await page.locator('input[type=file]').setInputFiles({ name: 'transfer.png', mimeType: 'image/png', buffer: png });
    await page.getByRole('button', { name: 'I have paid' }).click();
    await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toBe('Processing');
    await page.getByText(/with proof prf_/).waitFor(); // the timeline names the uploaded proof

    const order = (await env.api('GET', `/v1/topups/${id}`)).body as { pay: { amount: number } };
    const confirmed = await env.api(
      'POST',
      `/v1/topups/${id}/confirm`,
      { amount_received: order.pay.amount },
      `confirm-${id}`,
    );
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    await expect.poll(() => status(page).textContent(), { timeout: 15_000 }).toBe('Succeeded');
    await expect(page.getByTestId('balance-change').textContent()).resolves.toBe('0.00 → 100.00 USD');
    await context.close();
  });

  it('product top-up from the wallet: set the payment password; a wrong one moves nothing, the right one moves the money', async () => {
    const customer = await env.newCustomer({ email: 'pin@example.com', wallet: 10_000, products: { whatsapp: 500 } });
    const { context, page } = await env.signIn(customer);
    await page.getByRole('link', { name: 'Top up WhatsApp' }).click();
    await page.getByRole('heading', { level: 1, name: 'Top up WhatsApp' }).waitFor();
    await page.getByRole('radio', { name: 'Wallet balance' }).click();
    await page.getByText('Paying from your wallet needs a payment password. Set one first.').waitFor();
    await typePin(page, 'New payment password', '246810');
    await typePin(page, 'Repeat the payment password', '246810');
    await page.getByRole('button', { name: 'Save payment password' }).click();

    await page.getByLabel('Payment password, digit 1 of 6', { exact: true }).waitFor();
    await page.getByLabel('Amount to top up').fill('40');
    await quoteShown(page, '40.00');
    await typePin(page, 'Payment password', '111111');
    await page.getByRole('button', { name: 'Pay from wallet' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong payment password. 4 tries left.' }).waitFor();
    expect(page.url()).toContain('/topup');
    expect(await balances(customer)).toMatchObject({ wallet: 10_000, whatsapp: 500 });
    await shot(page, 'topup-balance-wrong-pin');

    await typePin(page, 'Payment password', '246810');
    await continueToOrder(page, 'Pay from wallet');
    await expect.poll(() => status(page).textContent(), { timeout: 10_000 }).toBe('Succeeded');
    await expect(page.getByTestId('balance-change').textContent()).resolves.toBe('5.00 → 45.00 USD');
    expect(await balances(customer)).toMatchObject({ wallet: 6_000, whatsapp: 4_500 });

    // "Move to a product" from Home uses the same password.
    await page.getByRole('link', { name: 'Home' }).first().click();
    await page.getByRole('button', { name: 'Move to a product' }).click();
    await page.getByRole('combobox', { name: /^Product/ }).click();
    await page.getByRole('option', { name: 'WhatsApp' }).click();
    await page.getByRole('textbox', { name: /^Amount/ }).fill('10');
    await typePin(page, 'Payment password', '246810');
    await page.getByRole('button', { name: 'Move 10.00 USD to WhatsApp' }).click();
    await page.getByText('Moved 10.00 USD from your wallet to WhatsApp.').waitFor();
    expect(await balances(customer)).toMatchObject({ wallet: 5_000, whatsapp: 5_500 });
    await expect.poll(() => page.getByTestId('wallet-available').textContent()).toContain('50.00');
    await context.close();
  });
});
