import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { ApiKeyAuthenticator } from './apikeys/index.js';
import type { Config } from './config.js';
import { seedProducts } from './customers/index.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './db/embedded.js';
import { migrateToLatest } from './db/migrate.js';
import { openDatabase, type DbHandle } from './db/pool.js';
import { buildApp } from './http/app.js';
import type { AppContext } from './http/context.js';
import { ChargeBatcher, sweepExpiredHolds } from './ledger/index.js';
import { seedDemo } from './demo.js';

export type Logger = pino.Logger;

export const createLogger = (level: string): Logger => pino({ level });

/** The database Coffer uses: DATABASE_URL, or the embedded server in the data directory. */
export async function openConfiguredDatabase(config: Config, log: Logger): Promise<{ handle: DbHandle; embedded: EmbeddedServer | null }> {
  let url = config.databaseUrl;
  let embedded: EmbeddedServer | null = null;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.dataDir, (m) => log.info(m));
    url = embedded.url;
  }
  return { handle: openDatabase(url, config.databasePoolSize), embedded };
}

export interface Running {
  app: FastifyInstance;
  address: string;
  stop(): Promise<void>;
}

/** `coffer serve`: database, migrations, products, then HTTP; stops cleanly on SIGINT/SIGTERM. */
export async function serve(config: Config, opts: { demo?: boolean } = {}): Promise<Running> {
  const log = createLogger(config.logLevel);
  const { handle, embedded } = await openConfiguredDatabase(config, log);
  let shuttingDown = false;
  let demoText = '';
  try {
    const applied = await migrateToLatest(handle.db);
    if (applied.length) log.info({ applied }, 'migrations applied');
    await seedProducts(handle.db, config.products);
    if (opts.demo) demoText = await seedDemo(handle, config);
  } catch (err) {
    await handle.close();
    await embedded?.stop();
    throw err;
  }
  const ctx: AppContext = {
    config,
    db: handle.db,
    pool: handle.pool,
    batcher: new ChargeBatcher(handle.pool, handle.db, config.chargeBatchMax, config.chargeQueueMax, config.chargePipelineDepth, config.chargeCallsMax),
    apiKeys: new ApiKeyAuthenticator(handle.db, config.apiKeyCacheMs),
    isShuttingDown: () => shuttingDown,
  };
  const app = await buildApp(ctx, { logger: { level: config.logLevel } });
  const address = await app.listen({ port: config.port, host: config.host });
  // Printed whatever the log level: scripts and tests read the address from this line.
  process.stdout.write(`Coffer listening on ${address} (public URL ${config.publicUrl}); API docs at ${address}/docs\n`);
  if (demoText) process.stdout.write(`\n${demoText}\n\n`);

  const sweeper =
    config.holdSweepIntervalMs > 0
      ? setInterval(() => {
          sweepExpiredHolds(handle.db).catch((err) => log.warn({ err }, 'hold sweep failed'));
        }, config.holdSweepIntervalMs)
      : null;
  sweeper?.unref();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      shuttingDown = true;
      if (sweeper) clearInterval(sweeper);
      await app.close();
      await handle.close();
      if (embedded?.owned) await embedded.stop();
      log.info('Coffer stopped');
    })());
  return { app, address, stop };
}
