import { createApiKey, listApiKeys, revokeApiKey } from './apikeys/index.js';
import { loadConfig, type Config } from './config.js';
import { seedDemo } from './demo.js';
import { currentRates, importRatesCsv } from './fx/index.js';
import { verifyLedger } from './ledger/index.js';
import { seedProducts } from './customers/index.js';
import { createSigninLink, portalSecret } from './portal/index.js';
import { createLogger, openConfiguredDatabase, serve } from './server.js';
import { migrateAll } from './services.js';

const USAGE = `usage: coffer <command>

  serve [--demo]             start the HTTP server (runs migrations first; --demo seeds and prints a demo login)
  migrate                    apply pending database migrations
  api-keys create --name N   create a platform API key; the secret is the last line printed
  api-keys list              list API keys: id, name, prefix, created, last write, revoked
  api-keys revoke <id>       revoke an API key; every server refuses it within API_KEY_CACHE_MS
  ledger verify              recompute every balance from the ledger; exit 1 on any mismatch
  fx import <file.csv>       add FX rates from lines "base,quote,rate[,source]" (all or nothing)
  fx list                    print the current rate of every pair
  demo                       seed a demo customer with balances and print how to use it
  portal-link <customer>     print a one-time portal sign-in link (5 minutes) for a customer id or external id
`;

class UsageError extends Error {}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i === -1) return undefined;
  const value = args[i + 1];
  if (!value || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  return value;
}

/** Runs a one-shot command against the configured database (embedded one started and stopped around it). */
async function withDatabase<T>(
  config: Config,
  fn: (db: Awaited<ReturnType<typeof openConfiguredDatabase>>['handle']) => Promise<T>,
): Promise<T> {
  const log = createLogger(process.env.LOG_LEVEL || 'warn');
  const { handle, embedded } = await openConfiguredDatabase(config, log);
  try {
    await migrateAll(handle);
    await seedProducts(handle.db, config.products);
    return await fn(handle);
  } finally {
    await handle.close();
    if (embedded?.owned) await embedded.stop();
  }
}

async function run(args: string[]): Promise<number> {
  const [command, sub] = args;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 1;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const running = await serve(config, { demo: args.includes('--demo') });
      // process.on, not once: a terminal's Ctrl-C and `npm start` may both deliver SIGINT, and a
      // second one without a listener would kill the process halfway through its shutdown.
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        running.app.log.info(`${signal} received, shutting down`);
        running.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            running.app.log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => shutdown('SIGINT'));
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      return -1; // keep running
    }
    case 'migrate': {
      const log = createLogger('warn');
      const { handle, embedded } = await openConfiguredDatabase(config, log);
      try {
        const applied = await migrateAll(handle);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
      } finally {
        await handle.close();
        if (embedded?.owned) await embedded.stop();
      }
      return 0;
    }
    case 'api-keys': {
      if (sub === 'list') {
        const keys = await withDatabase(config, (h) => listApiKeys(h.db));
        const when = (d: Date | null) => (d ? d.toISOString().replace(/\.\d+Z$/, 'Z') : '-');
        const rows = [['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST WRITE', 'REVOKED']].concat(
          keys.map((k) => [String(k.id), k.name, k.prefix, when(k.createdAt), when(k.lastWriteAt), when(k.revokedAt)]),
        );
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        for (const r of rows)
          console.log(
            r
              .map((c, i) => c.padEnd(widths[i]))
              .join('  ')
              .trimEnd(),
          );
        return 0;
      }
      if (sub === 'revoke') {
        const raw = args[2];
        if (!raw || !/^\d{1,18}$/.test(raw))
          throw new UsageError('usage: coffer api-keys revoke <id> (the id from `coffer api-keys list`)');
        const outcome = await withDatabase(config, (h) => revokeApiKey(h.db, BigInt(raw)));
        if (outcome === 'not_found') throw new Error(`no API key with id ${raw}`);
        console.log(
          outcome === 'revoked'
            ? `API key ${raw} revoked; servers refuse it within API_KEY_CACHE_MS (${config.apiKeyCacheMs} ms)`
            : `API key ${raw} was already revoked`,
        );
        return 0;
      }
      if (sub !== 'create') throw new UsageError('usage: coffer api-keys create --name <name> | list | revoke <id>');
      const name = flag(args, '--name');
      if (!name) throw new UsageError('coffer api-keys create needs --name <name>');
      const key = await withDatabase(config, (h) => createApiKey(h.db, name));
      console.log(`API key "${name}" created (id ${key.id}). The secret is shown once; store it now:`);
      console.log(key.secret);
      return 0;
    }
    case 'ledger': {
      if (sub !== 'verify') throw new UsageError('usage: coffer ledger verify');
      const report = await withDatabase(config, (h) => verifyLedger(h.db));
      const c = report.checked;
      if (report.ok) {
        console.log(
          `ledger OK: ${c.accounts} accounts, ${c.transfers} transfers, ${c.entries} entries, ${c.holds} holds checked`,
        );
        return 0;
      }
      for (const p of report.problems) console.error(`MISMATCH ${p}`);
      console.error(`ledger verify failed: ${report.problems.length} problem(s)`);
      return 1;
    }
    case 'fx': {
      if (sub === 'list') {
        const rates = await withDatabase(config, (h) => currentRates(h.db));
        for (const r of rates)
          console.log(`1 ${r.base} = ${r.rate} ${r.quote}  (${r.source}, ${r.createdAt.toISOString()})`);
        if (rates.length === 0)
          console.log('no FX rates yet: add them with `coffer fx import <file.csv>` or POST /v1/fx-rates');
        return 0;
      }
      if (sub !== 'import' || !args[2]) throw new UsageError('usage: coffer fx import <file.csv> | coffer fx list');
      const file = args[2];
      const count = await withDatabase(config, (h) => importRatesCsv(h.db, file));
      console.log(`imported ${count} FX rate(s) from ${file}`);
      return 0;
    }
    case 'demo': {
      const text = await withDatabase(config, (h) => seedDemo(h, config));
      console.log(text);
      return 0;
    }
    case 'portal-link': {
      if (!sub) throw new UsageError('usage: coffer portal-link <customer id or external id>');
      const link = await withDatabase(config, async (h) => {
        const c = await h.db
          .selectFrom('customers')
          .select('id')
          .where((eb) => eb.or([eb('id', '=', sub), eb('external_id', '=', sub)]))
          .executeTakeFirst();
        if (!c) throw new Error(`no customer with id or external id "${sub}"`);
        return createSigninLink(h.db, await portalSecret(h.db, config), config, c.id, {
          returnUrl: null,
          locale: null,
          createdBy: 'cli',
        });
      });
      console.log(`${link.url}\n(one use, until ${link.expires_at})`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
  }
}

export function main(args: string[]): void {
  run(args).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`coffer: ${message}\n`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
