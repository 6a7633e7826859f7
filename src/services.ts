import { ApiKeyAuthenticator } from './apikeys/index.js';
import { ConfigError, type Config } from './config.js';
import { migrateToLatest } from './db/migrate.js';
import type { DbHandle } from './db/pool.js';
import type { AppContext } from './http/context.js';
import { migrateJobs } from './jobs/worker.js';
import { ChargeBatcher } from './charges/index.js';
import { createPortalService } from './portal/index.js';
import {
  ManualBankProvider,
  NowPaymentsProvider,
  ProviderRegistry,
  StripeProvider,
  type PaymentProvider,
} from './providers/index.js';
import { SandboxProvider } from './sandbox/index.js';
import { sharedSecret } from './settings/index.js';
import { listMethods, seedMethods, WebhookIngest } from './topups/index.js';

/** Coffer's schema, then the job queue's (graphile-worker keeps its own, versioned the same way). */
export async function migrateAll(handle: DbHandle): Promise<string[]> {
  const applied = await migrateToLatest(handle.db);
  await migrateJobs(handle.url);
  return applied;
}

/**
 * Everything the HTTP layer needs, built the same way by `coffer serve` and by the tests:
 * the charge batcher, API keys, and the payment providers with their secrets.
 */
export async function createContext(
  handle: DbHandle,
  config: Config,
  isShuttingDown: () => boolean,
): Promise<{ ctx: AppContext; sandboxSecret: string }> {
  await seedMethods(handle.db, config);
  await resolveMethodProviders(handle.db, config);
  const methods = await listMethods(handle.db);
  const sandboxUsed = methods.some((m) => m.enabled && m.provider === 'sandbox');
  if (sandboxUsed && config.nodeEnv === 'production' && !config.sandboxAllowProduction) {
    throw new ConfigError(
      'SANDBOX_ALLOW_PRODUCTION',
      `the sandbox provider (test mode) backs ${methods
        .filter((m) => m.provider === 'sandbox')
        .map((m) => m.method)
        .join(
          ', ',
        )} and NODE_ENV=production; configure real providers, or set SANDBOX_ALLOW_PRODUCTION=true for a demo`,
    );
  }
  const sandboxSecret = await sharedSecret(handle.db, 'sandbox_webhook_secret', config.sandboxWebhookSecret, 'whsec_');
  const real: PaymentProvider[] = [];
  if (config.stripe) real.push(new StripeProvider({ ...config.stripe, publicUrl: config.publicUrl }));
  if (config.nowpayments) real.push(new NowPaymentsProvider({ ...config.nowpayments, publicUrl: config.publicUrl }));
  // The sandbox stays registered even when real providers back every method: orders made while it
  // did still receive its webhooks.
  const providers = new ProviderRegistry([
    new SandboxProvider(handle.db, sandboxSecret, config.publicUrl),
    new ManualBankProvider(config.bankAccounts),
    ...real,
  ]);
  const unknown = methods.find((m) => m.enabled && m.provider !== 'internal' && !providers.has(m.provider));
  if (unknown)
    throw new ConfigError(
      'payment_methods',
      `method ${unknown.method} names provider "${unknown.provider}", which is not configured`,
    );
  const ctx: AppContext = {
    config,
    db: handle.db,
    pool: handle.pool,
    batcher: new ChargeBatcher(
      handle.pool,
      handle.db,
      config.chargeBatchMax,
      config.chargeQueueMax,
      config.chargePipelineDepth,
      config.chargeCallsMax,
    ),
    ingest: new WebhookIngest(handle.db, handle.pool),
    apiKeys: new ApiKeyAuthenticator(handle.db, config.apiKeyCacheMs),
    providers,
    portal: await createPortalService(handle.db, config),
    kickSandbox: () => undefined,
    isShuttingDown,
  };
  return { ctx, sandboxSecret };
}

/**
 * Which provider backs each method: the real one when it is configured, else the sandbox. Orders
 * keep the provider they were made with, so switching never strands a payment in flight.
 */
async function resolveMethodProviders(db: DbHandle['db'], config: Config): Promise<void> {
  const wanted: Record<string, string> = {
    card: config.stripe ? 'stripe' : 'sandbox',
    crypto: config.nowpayments ? 'nowpayments' : 'sandbox',
  };
  for (const [method, provider] of Object.entries(wanted)) {
    await db
      .updateTable('payment_methods')
      .set({ provider })
      .where('method', '=', method)
      .where('provider', '<>', provider)
      .execute();
  }
}
