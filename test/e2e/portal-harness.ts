import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll } from 'vitest';
import { httpCall, setupHarness, startServer, type Res } from '../integration/harness.js';

// The portal in a real browser against a real `coffer serve` on a fresh database. Screenshots land
// in test-results/screenshots (1280×800 and 375×812) for a person to look at.
export const SHOTS = path.resolve('test-results/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && process.env.CI)
  throw new Error(`browser tests need Chromium at ${CHROMIUM} (apt-get install chromium)`);
if (!HAVE_CHROMIUM)
  console.warn(`SKIPPING browser tests: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

export interface PortalEnv {
  baseUrl: string;
  browser: Browser;
  /** the platform API with the test's key; `key` = Idempotency-Key */
  api(method: string, url: string, body?: unknown, key?: string): Promise<Res>;
  /** a customer (with optional grants, minor units) and its id */
  newCustomer(opts?: {
    email?: string;
    wallet?: number;
    products?: Record<string, number>;
    currency?: string;
  }): Promise<string>;
  /** a fresh browser context signed in as `customer` through a platform sign-in link */
  signIn(
    customer: string,
    opts?: { locale?: string; returnUrl?: string; viewport?: { width: number; height: number } },
  ): Promise<{ context: BrowserContext; page: Page }>;
  /** full-page screenshots at 1280×800 and 375×812 (restores 1280×800 afterwards) */
  shot(page: Page, name: string): Promise<void>;
  output(): string;
}

let seq = 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Call at the top of a test file (it registers its own afterAll). Sample FX rates are set. */
export async function setupPortal(env: Record<string, string> = {}): Promise<PortalEnv> {
  const h = await setupHarness();
  if (!HAVE_CHROMIUM)
    return {
      baseUrl: '',
      browser: null as unknown as Browser,
      api: (m, u, b, key) => h.call(m, u, b, key ? { 'idempotency-key': key } : {}),
      newCustomer: async () => '',
      signIn: async () => ({}) as never,
      shot: async () => {},
      output: () => '',
    };
  fs.mkdirSync(SHOTS, { recursive: true });
  // PUBLIC_URL is the address the browser uses, so that links Coffer makes (sign-in, card
  // checkout, return to the order) stay on the session cookie's origin. Every test signs in afresh
  // from 127.0.0.1: the per-IP sign-in limit is lifted (its own tests live in test/integration).
  const port = await freePort();
  const server = await startServer(h.url, {
    SANDBOX_RETRY_BASE_MS: '100',
    PORTAL_SIGNIN_PER_MINUTE: '1000',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...env,
  });
  const browser = await chromium.launch({
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
  afterAll(async () => {
    await browser.close();
    await server.stop();
  });
  const api: PortalEnv['api'] = (method, url, body, key) => httpCall(server.baseUrl, h.apiKey, method, url, body, key);
  for (const [quote, rate] of [
    ['CNY', '7.20'],
    ['USDT', '1.00'],
  ])
    await api('POST', '/v1/fx-rates', { base: 'USD', quote, rate });
  return {
    baseUrl: server.baseUrl,
    browser,
    api,
    output: server.output,
    async newCustomer(opts = {}) {
      const c = await api('POST', '/v1/customers', {
        external_id: `e2e-${Date.now()}-${++seq}`,
        email: opts.email ?? `c${seq}@example.com`,
        name: 'Ada Lovelace',
        currency: opts.currency,
      });
      if (c.status !== 201) throw new Error(`customer: ${c.status} ${JSON.stringify(c.body)}`);
      const grants = { ...(opts.wallet ? { wallet: opts.wallet } : {}), ...(opts.products ?? {}) };
      for (const [balance, amount] of Object.entries(grants)) {
        const g = await api(
          'POST',
          '/v1/grants',
          { customer: c.body.id, balance, amount, currency: c.body.currency, reason: 'e2e funds' },
          `g-${c.body.id}-${balance}`,
        );
        if (g.status !== 201) throw new Error(`grant: ${g.status} ${JSON.stringify(g.body)}`);
      }
      return c.body.id as string;
    },
    async signIn(customer, opts = {}) {
      const link = await api('POST', `/v1/customers/${customer}/portal_sessions`, {
        locale: opts.locale,
        return_url: opts.returnUrl,
      });
      if (link.status !== 201) throw new Error(`portal session: ${link.status} ${JSON.stringify(link.body)}`);
      // The link names PUBLIC_URL; the test server listens on a free port of its own.
      const url = new URL(link.body.url);
      const context = await browser.newContext({
        viewport: opts.viewport ?? { width: 1280, height: 800 },
        acceptDownloads: true,
      });
      const page = await context.newPage();
      await page.goto(server.baseUrl + url.pathname + url.search);
      await page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 15_000 });
      return { context, page };
    },
    async shot(page, name) {
      for (const [width, height] of [
        [1280, 800],
        [375, 812],
      ]) {
        await page.setViewportSize({ width, height });
        await page.waitForTimeout(150);
        await page.screenshot({ path: path.join(SHOTS, `portal-${name}-${width}x${height}.png`), fullPage: true });
      }
      await page.setViewportSize({ width: 1280, height: 800 });
    },
  };
}
