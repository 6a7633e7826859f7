import { describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator } from '../../src/apikeys/index.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/pool.js';
import { ProviderRegistry, signatureHeader } from '../../src/providers/index.js';
import { SandboxProvider } from '../../src/sandbox/index.js';
import { buildApp } from '../../src/http/app.js';
import { ChargeBatcher } from '../../src/charges/index.js';
import { WebhookIngest } from '../../src/topups/index.js';
import { setupHarness } from './harness.js';

const h = await setupHarness();

describe('operations endpoints', () => {
  it('healthz, readyz and metrics answer', async () => {
    expect((await h.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await h.app.inject('/readyz')).json()).toEqual({ status: 'ready' });
    const customer = await h.newCustomer({ wallet: 500 });
    await h.post('/v1/charges', { customer, balance: 'wallet', amount: 100, currency: 'USD' });
    const metrics = (await h.app.inject('/metrics')).body;
    expect(metrics).toMatch(/coffer_charges_total\{outcome="succeeded"\} \d+/);
    expect(metrics).toMatch(/coffer_ledger_transfers_total\{kind="grant"\} \d+/);
    expect(metrics).toContain('coffer_http_request_duration_seconds_bucket');
  });

  it('serves the OpenAPI document with every platform route', async () => {
    const doc = (await h.app.inject('/docs/json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/v1/customers',
      '/v1/customers/{id}',
      '/v1/customers/{id}/balances',
      '/v1/customers/{id}/statement',
      '/v1/products',
      '/v1/charges',
      '/v1/holds',
      '/v1/holds/{id}/capture',
      '/v1/holds/{id}/void',
      '/v1/grants',
      '/v1/transfers',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect((await h.app.inject('/docs/')).statusCode).toBe(200);
  });

  it('unknown routes are a JSON 404', async () => {
    const res = await h.call('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('pages carry CSP with frame-ancestors none', async () => {
    const res = await h.app.inject('/healthz');
    expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('JSON answers of the API and webhooks carry the short API set: no-store, nosniff, nothing framed', async () => {
    const api = await h.call('GET', '/v1/fx-rates');
    const webhook = await h.app.inject({
      method: 'POST',
      url: '/webhooks/sandbox',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
    });
    for (const res of [api, { headers: webhook.headers }]) {
      expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBeUndefined();
    }
  });

  it('a database that cannot be reached gives 503 unavailable, never a 500', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'silent' });
    const handle = openDatabase(config.databaseUrl!, 2);
    const app = await buildApp(
      {
        config,
        db: handle.db,
        pool: handle.pool,
        batcher: new ChargeBatcher(handle.pool, handle.db, 10, 10),
        ingest: new WebhookIngest(handle.db, handle.pool),
        apiKeys: new ApiKeyAuthenticator(handle.db, 0),
        providers: new ProviderRegistry([new SandboxProvider(handle.db, 'whsec_test', config.publicUrl)]),
        kickSandbox: () => undefined,
        isShuttingDown: () => false,
      },
      { logger: false },
    );
    try {
      const res = await app.inject({ url: '/v1/products', headers: { authorization: 'Bearer sk_x' } });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('unavailable');
      expect((await app.inject('/readyz')).statusCode).toBe(503);
      // a correctly signed provider webhook gets 503 too, so the provider retries it later
      const raw = JSON.stringify({
        id: 'evt_1',
        type: 'payment.succeeded',
        data: { payment_id: 'sbxpay_x', amount: 1000, currency: 'USD' },
      });
      const hook = await app.inject({
        method: 'POST',
        url: '/webhooks/sandbox',
        headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader('whsec_test', raw) },
        payload: raw,
      });
      expect(hook.statusCode).toBe(503);
      expect(hook.json().error.code).toBe('unavailable');
    } finally {
      await app.close();
      await handle.close();
    }
  });
});

describe('JSON bodies', () => {
  it('an empty body with content-type application/json is no body (void a hold)', async () => {
    const customer = await h.newCustomer({ wallet: 1_000 });
    const hold = await h.post('/v1/holds', { customer, balance: 'wallet', amount: 300, currency: 'USD' });
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/holds/${hold.body.id}/void`,
      headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': 'application/json' },
      payload: '',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('voided');
  });

  it('malformed JSON is 400 invalid_request', async () => {
    const res = await h.call('POST', '/v1/charges', '{"amount": 1', { 'idempotency-key': 'bad-json' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });
});

describe('ledger history', () => {
  it('transfers and statement entries cannot be changed or deleted', async () => {
    const { sql } = await import('kysely');
    await h.newCustomer({ wallet: 700 });
    await expect(sql`UPDATE transfers SET amount = amount + 1`.execute(h.handle.db)).rejects.toThrow(/immutable/);
    await expect(sql`DELETE FROM entries`.execute(h.handle.db)).rejects.toThrow(/immutable/);
  });
});
