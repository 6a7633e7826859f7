import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupHarness, startServer } from './harness.js';

// The web app as `coffer serve` hands it to browsers: index.html for the app's own paths (never
// cached), hashed assets cached as immutable (compressed copies when accepted), page security
// headers, and JSON 404s for everything else.
const h = await setupHarness();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-web-'));
const script = 'console.log("portal");'.repeat(50);
let server: Awaited<ReturnType<typeof startServer>>;
let bare: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    '<!doctype html><title>Coffer</title><script type="module" src="/assets/index-Ab12.js"></script>',
  );
  fs.writeFileSync(path.join(dir, 'assets', 'index-Ab12.js'), script);
  fs.writeFileSync(path.join(dir, 'assets', 'index-Ab12.js.gz'), zlib.gzipSync(script));
  fs.writeFileSync(path.join(dir, 'assets', 'index-Ab12.js.br'), zlib.brotliCompressSync(script));
  server = await startServer(h.url, { COFFER_WEB_DIR: dir });
  bare = await startServer(h.url, { COFFER_WEB_DIR: path.join(dir, 'missing') });
});

afterAll(async () => {
  await server?.stop();
  await bare?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the web app', () => {
  it.each([
    '/',
    '/signin?token=x',
    '/topup?balance=wallet',
    '/orders',
    '/orders/ord_0123456789abcdefghijklmnop',
    '/statement',
    '/help',
    '/security',
    '/console',
    '/console/orders/1',
  ])('%s answers the app page with page security headers, never cached', async (url) => {
    const res = await fetch(server.baseUrl + url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('/assets/index-Ab12.js');
  });

  it('hashed assets are immutable for a year, compressed when the browser accepts it', async () => {
    const plain = await fetch(server.baseUrl + '/assets/index-Ab12.js', { headers: { 'accept-encoding': 'identity' } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-type')).toMatch(/javascript/);
    expect(await plain.text()).toBe(script);
    // fetch() decompresses by itself: read the raw encoding header and the decoded body.
    const br = await fetch(server.baseUrl + '/assets/index-Ab12.js', { headers: { 'accept-encoding': 'br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(await br.text()).toBe(script);
    const gz = await fetch(server.baseUrl + '/assets/index-Ab12.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
  });

  it('other paths stay JSON 404s in the error envelope, assets included', async () => {
    for (const url of ['/nope', '/orders/a/b', '/v1/nope', '/assets/missing.js', '/portal/api/nope']) {
      const res = await fetch(server.baseUrl + url);
      expect(res.status, url).toBe(404);
      const body = await res.json();
      expect(body.error.code, url).toBe('not_found');
    }
  });

  it('without a built app the page says how to build it (503), and the API still works', async () => {
    const res = await fetch(bare.baseUrl + '/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
    expect((await fetch(bare.baseUrl + '/healthz')).status).toBe(200);
  });
});
