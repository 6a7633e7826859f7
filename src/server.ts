import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import type { Config } from './config.js';
import { seedProducts } from './customers/index.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './db/embedded.js';
import { openDatabase, type DbHandle } from './db/pool.js';
import { buildApp } from './http/app.js';
import { startJobs, type JobsRunner } from './jobs/worker.js';
import { sweepExpiredHolds } from './ledger/index.js';
import { createMailer } from './mail/index.js';
import { MailOutbox } from './mail/outbox.js';
import { OutboxPoller } from './db/outbox.js';
import { topupReceipts } from './topups/receipt.js';
import { taskList } from './topups/tasks.js';
import { SandboxDelivery } from './sandbox/index.js';
import { seedDemo } from './demo.js';
import { portalMailRenderers } from './portal/index.js';
import { createContext, migrateAll } from './services.js';

export type Logger = pino.Logger;

export const createLogger = (level: string): Logger => pino({ level });

/** The database Coffer uses: DATABASE_URL, or the embedded server in the data directory. */
export async function openConfiguredDatabase(
  config: Config,
  log: Logger,
): Promise<{ handle: DbHandle; embedded: EmbeddedServer | null }> {
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
  let built;
  try {
    const applied = await migrateAll(handle);
    if (applied.length) log.info({ applied }, 'migrations applied');
    await seedProducts(handle.db, config.products);
    built = await createContext(handle, config, () => shuttingDown);
    if (opts.demo) demoText = await seedDemo(handle, config);
  } catch (err) {
    await handle.close();
    await embedded?.stop();
    throw err;
  }
  const { ctx, sandboxSecret } = built;
  const app = await buildApp(ctx, { logger: { level: config.logLevel } });
  const address = await app.listen({ port: config.port, host: config.host });
  const delivery = new SandboxDelivery(handle.db, {
    url: config.sandboxWebhookUrl ?? `${config.publicUrlSet ? config.publicUrl : address}/webhooks/sandbox`,
    secret: sandboxSecret,
    retryBaseMs: config.sandboxRetryBaseMs,
    timeoutMs: 10_000,
  });
  const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, log });
  const renderers = {
    topup_receipt: topupReceipts(handle.db, config),
    ...(ctx.portal ? portalMailRenderers(handle.db, config, ctx.portal.secret) : {}),
  };
  // One poller drains both outboxes: mail, and the sandbox's webhook deliveries.
  const outboxes = new OutboxPoller([delivery, new MailOutbox(handle.db, mailer, renderers, log)], 500, log);
  outboxes.start();
  ctx.kickSandbox = () => outboxes.kick();
  const jobs: JobsRunner = await startJobs(handle.url, taskList({ db: handle.db }), {
    concurrency: config.jobsConcurrency,
    log,
  });
  // Printed whatever the log level: scripts and tests read the address from this line.
  process.stdout.write(
    `Coffer listening on ${address} (public URL ${config.publicUrl}); API docs at ${address}/docs\n`,
  );
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
      await outboxes.stop();
      await jobs.stop();
      mailer.close();
      await handle.close();
      if (embedded?.owned) await embedded.stop();
      log.info('Coffer stopped');
    })());
  return { app, address, stop };
}
