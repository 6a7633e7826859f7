import { ApiKeyAuthenticator } from './apikeys/index.js';
import { ConfigError, type Config } from './config.js';
import type { DbHandle } from './db/pool.js';
import type { AppContext } from './http/context.js';
import { ChargeBatcher } from './ledger/index.js';
import { ManualBankProvider, ProviderRegistry, SandboxProvider } from './providers/index.js';
import { sharedSecret } from './settings/index.js';
import { listMethods, seedMethods } from './topups/index.js';

/**
 * Everything the HTTP layer needs, built the same way by `coffer serve` and by the tests:
 * the charge batcher, API keys, and the payment providers with their secrets.
 */
export async function createContext(handle: DbHandle, config: Config, isShuttingDown: () => boolean): Promise<{ ctx: AppContext; sandboxSecret: string }> {
  await seedMethods(handle.db, config);
  const methods = await listMethods(handle.db);
  const sandboxUsed = methods.some((m) => m.enabled && m.provider === 'sandbox');
  if (sandboxUsed && config.nodeEnv === 'production' && !config.sandboxAllowProduction) {
    throw new ConfigError(
      'SANDBOX_ALLOW_PRODUCTION',
      `the sandbox provider (test mode) backs ${methods.filter((m) => m.provider === 'sandbox').map((m) => m.method).join(', ')} and NODE_ENV=production; configure real providers, or set SANDBOX_ALLOW_PRODUCTION=true for a demo`,
    );
  }
  const sandboxSecret = await sharedSecret(handle.db, 'sandbox_webhook_secret', config.sandboxWebhookSecret, 'whsec_');
  const providers = new ProviderRegistry([new SandboxProvider(handle.db, sandboxSecret, config.publicUrl), new ManualBankProvider(config.bankAccounts)]);
  const ctx: AppContext = {
    config,
    db: handle.db,
    pool: handle.pool,
    batcher: new ChargeBatcher(handle.pool, handle.db, config.chargeBatchMax, config.chargeQueueMax, config.chargePipelineDepth, config.chargeCallsMax),
    apiKeys: new ApiKeyAuthenticator(handle.db, config.apiKeyCacheMs),
    providers,
    kickSandbox: () => undefined,
    isShuttingDown,
  };
  return { ctx, sandboxSecret };
}
