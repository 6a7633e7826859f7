import pg from 'pg';
import { Logger, run, runMigrations, type Runner, type TaskList } from 'graphile-worker';

/**
 * graphile-worker gets pools of its own: int8 job ids stay strings there (Coffer's pool parses
 * int8 as bigint for money), and its LISTEN connection never takes a slot from request handling.
 */
function workerPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: 'coffer-jobs',
    types: {
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text'),
    } as pg.CustomTypesConfig,
  });
  // A dropped connection must not crash the process (graphile-worker checks for both handlers).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

type Log = {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
};

function loggerFor(log: Log): Logger {
  return new Logger(() => (level, message, meta) => {
    const fn = level === 'error' ? log.error : level === 'warning' ? log.warn : level === 'info' ? log.info : log.debug;
    fn.call(log, { jobs: meta ?? {} }, message);
  });
}

/** Creates (or updates) graphile-worker's own schema; safe to run twice and concurrently. */
export async function migrateJobs(url: string): Promise<void> {
  const pool = workerPool(url, 2);
  try {
    await runMigrations({ pgPool: pool, logger: new Logger(() => () => undefined) });
  } finally {
    await pool.end();
  }
}

export interface JobsRunner {
  stop(): Promise<void>;
}

/** Runs the job queue in this process (every `coffer serve` runs one; jobs are taken once). */
export async function startJobs(
  url: string,
  tasks: TaskList,
  opts: { concurrency: number; log: Log },
): Promise<JobsRunner> {
  const pool = workerPool(url, opts.concurrency + 2);
  let runner: Runner;
  try {
    runner = await run({
      pgPool: pool,
      taskList: tasks,
      // No cron: without this graphile-worker reads `./crontab` from the working directory, so an
      // unrelated file of that name would schedule jobs or, unparsable, stop the server.
      parsedCronItems: [],
      concurrency: opts.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: loggerFor(opts.log),
    });
  } catch (err) {
    await pool.end();
    throw err;
  }
  return {
    async stop() {
      await runner.stop();
      await pool.end();
    },
  };
}
