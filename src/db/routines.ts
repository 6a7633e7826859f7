import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { sql } from 'kysely';
import type { Db } from './pool.js';

/**
 * Every database routine (function, procedure, and the triggers that call them) has exactly one
 * current text: a `.sql` file beside the module that owns it. Migrations hold only tables,
 * indexes and constraints; after them, every `coffer migrate` (and `coffer serve`'s start)
 * applies these files with CREATE OR REPLACE, in this order (a trigger after its function), paths
 * from `src/` (copied to `dist/` by the build). docs/operations.md, "Database routines".
 */
export const ROUTINE_FILES = [
  'db/sql/new_id.sql',
  'db/sql/make_commit_flush.sql',
  'ledger/sql/immutable.sql',
  'ledger/sql/system_account.sql',
  'ledger/sql/expire_holds.sql',
  'charges/sql/charge_batch.sql',
  'charges/sql/charge_groups.sql',
  'customers/sql/unfreeze_if_repaid.sql',
  'customers/sql/status_event.sql',
  'topups/sql/post_credit.sql',
  'topups/sql/credit_order.sql',
  'topups/sql/ingest_credit.sql',
  'topups/sql/ingest_credits.sql',
] as const;

export interface RoutineFile {
  file: string;
  text: string;
}

export async function readRoutines(): Promise<RoutineFile[]> {
  return Promise.all(
    ROUTINE_FILES.map(async (file) => ({
      file,
      text: await fs.readFile(new URL(`../${file}`, import.meta.url), 'utf8'),
    })),
  );
}

/** One digest of every file's name and text: equal digests, same routines. */
export function routinesDigest(files: RoutineFile[]): string {
  const hash = crypto.createHash('sha256');
  for (const f of files) hash.update(`${f.file}\u0000${f.text}\u0000`);
  return hash.digest('hex');
}

/**
 * Applies the routine files in one transaction, unless the database already has exactly these
 * (the digest recorded in `coffer_routines`): replacing a trigger locks its table against writes,
 * so a process that starts beside running ones changes nothing when nothing changed. Runs under
 * the migration lock (migrate.ts). Returns whether it applied them.
 */
export async function installRoutines(conn: Db): Promise<boolean> {
  const files = await readRoutines();
  const digest = routinesDigest(files);
  const current = await sql<{ digest: string }>`SELECT digest FROM coffer_routines`.execute(conn);
  if (current.rows[0]?.digest === digest) return false;
  await sql`BEGIN`.execute(conn);
  try {
    for (const f of files) {
      await sql
        .raw(f.text)
        .execute(conn)
        .catch((err: unknown) => {
          throw new Error(`routine file ${f.file}: ${err instanceof Error ? err.message : String(err)}`);
        });
    }
    await sql`INSERT INTO coffer_routines (id, digest) VALUES (true, ${digest})
      ON CONFLICT (id) DO UPDATE SET digest = EXCLUDED.digest, installed_at = now()`.execute(conn);
    await sql`COMMIT`.execute(conn);
  } catch (err) {
    await sql`ROLLBACK`.execute(conn);
    throw err;
  }
  return true;
}
