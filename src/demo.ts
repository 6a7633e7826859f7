import fs from 'node:fs';
import path from 'node:path';
import { createApiKey } from './apikeys/index.js';
import type { Config } from './config.js';
import { createCustomer } from './customers/index.js';
import type { DbHandle } from './db/pool.js';
import { createGrant } from './ledger/index.js';
import { currentRates, setRate } from './fx/index.js';
import { formatDecimal } from './money/index.js';
import { createSigninLink, LINK_TTL_SECONDS, portalSecret } from './portal/index.js';

/**
 * Seeds a demo customer (external id "demo") with wallet and product money and a demo API key,
 * and returns instructions. Safe to run again: the same customer and key are reused. The demo
 * key's secret is kept in the data directory so that later starts can print it again.
 */
export async function seedDemo(handle: DbHandle, config: Config): Promise<string> {
  const db = handle.db;
  const secretFile = path.join(config.dataDir, 'demo-api-key');
  let secret = fs.existsSync(secretFile) ? fs.readFileSync(secretFile, 'utf8').trim() : '';
  let apiKeyId: bigint;
  const existing = secret
    ? await db
        .selectFrom('api_keys')
        .select('id')
        .where('name', '=', 'demo')
        .where('revoked_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  if (existing) {
    apiKeyId = existing.id;
  } else {
    const key = await createApiKey(db, 'demo');
    apiKeyId = key.id;
    secret = key.secret;
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o711 });
    fs.writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
  }
  const created = await createCustomer(
    db,
    null,
    { externalId: 'demo', email: 'demo@example.com', name: 'Demo Customer', currency: null },
    config.platformCurrency,
  );
  const customer = JSON.parse(created.bodyText) as { id: string; currency: string };
  const currency = customer.currency;
  const seedGrant = async (balance: string, amount: bigint) =>
    createGrant(
      db,
      { apiKeyId, key: `demo-seed-${balance}`, requestHash: `demo-seed-${balance}` },
      {
        customer: customer.id,
        balance,
        amountMinor: amount,
        currency,
        reason: 'Demo credit',
      },
    );
  const scale = currency === 'JPY' ? 1n : 100n;
  await seedGrant('wallet', 100n * scale);
  for (const p of config.products.slice(0, 1)) await seedGrant(p.code, 20n * scale);
  // Sample rates so every method can be tried (there are no built-in rates: docs/api.md, FX rates).
  if ((await currentRates(db)).length === 0) {
    for (const [quote, rate] of [
      ['CNY', '7.20'],
      ['EUR', '0.92'],
      ['USDT', '1.00'],
    ])
      await setRate(db, { base: 'USD', quote, rate, source: 'demo sample' });
  }
  const base = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  // One use like every sign-in link, but valid for a day, so the banner can be read late.
  const link = await createSigninLink(db, await portalSecret(db, config), config, customer.id, {
    returnUrl: null,
    locale: null,
    createdBy: 'demo',
    ttlSeconds: LINK_TTL_SECONDS.demo,
  });
  // What is true now, not what was seeded: the demo money is spent and rates change between starts.
  const accounts = await db
    .selectFrom('accounts')
    .select(['code', 'currency', 'posted', 'held'])
    .where('customer_id', '=', customer.id)
    .execute();
  const shown = ['wallet', ...config.products.slice(0, 1).map((p) => p.code)];
  const balances = shown
    .map((code) => accounts.find((a) => a.code === code))
    .filter((a) => a !== undefined)
    .map(
      (a) =>
        `${a.code} ${formatDecimal(a.posted - a.held, a.currency)} ${a.currency}` +
        (a.held > 0n ? ` (${formatDecimal(a.held, a.currency)} held)` : ''),
    );
  const rates = await currentRates(db);
  const sample = rates.length > 0 && rates.every((r) => r.source === 'demo sample');
  return [
    `Demo customer ${customer.id} (external id "demo"), available: ${balances.join(', ')}`,
    `Demo API key: ${secret}`,
    `Customer portal: ${link.url}  (signs the demo customer in once; valid 24 hours)`,
    `Try: curl -s -H "Authorization: Bearer ${secret}" ${base}/v1/customers/${customer.id}/balances`,
    rates.length === 0
      ? 'FX rates: none (set them with POST /v1/fx-rates or `coffer fx import`)'
      : `FX rates now: ${rates.map((r) => `1 ${r.base} = ${r.rate} ${r.quote}`).join(', ')}` +
        (sample ? ' (demo samples; set real ones with POST /v1/fx-rates)' : ''),
  ].join('\n');
}
