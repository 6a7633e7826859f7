import crypto from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect, type CompiledQuery, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from './schema.js';

// int8 columns carry money in minor units: parse them as bigint, never as a float-prone number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => BigInt(value));

export type Db = Kysely<Database>;
/** A transaction on Coffer's database: a use case's one money action. */
export type Tx = Transaction<Database>;

export interface DbHandle {
  url: string;
  pool: pg.Pool;
  db: Db;
  close(): Promise<void>;
}

export function openDatabase(url: string, poolSize: number, applicationName = 'coffer'): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    url,
    pool,
    db,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** True when the error means the database cannot be reached (the request should get 503, not 500). */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (
    e.code &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      '57P01',
      '57P02',
      '57P03',
      '53300',
      '08006',
      '08001',
      '08003',
      '08004',
    ].includes(e.code)
  ) {
    return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}

// Statement text -> name; one entry per query shape (the history's filter combinations).
const statementNames = new Map<string, string>();

/**
 * Runs a compiled Kysely query as a named prepared statement: each connection parses and analyses
 * its text once, and PostgreSQL may keep a generic plan for it. For large statements run often
 * (the history page renders 50 orders with ~100 function calls; parsing them was ~1 ms a page).
 * The statement's text must not vary with the values: those travel as parameters.
 */
export async function queryNamed<R>(pool: pg.Pool, q: CompiledQuery<R>): Promise<R[]> {
  let name = statementNames.get(q.sql);
  if (name === undefined) {
    name = `k_${crypto.createHash('sha1').update(q.sql).digest('hex').slice(0, 20)}`;
    statementNames.set(q.sql, name);
  }
  const res = await pool.query({ name, text: q.sql, values: q.parameters as unknown[] });
  return res.rows as R[];
}

/** A raw query as a named prepared statement when the pool is at hand (the server), else as a plain query (scripts, transactions). */
export async function readNamed<R>(db: Db, pool: pg.Pool | undefined, query: RawBuilder<R>): Promise<R[]> {
  if (pool) return queryNamed(pool, query.compile(db));
  return (await query.execute(db)).rows;
}
