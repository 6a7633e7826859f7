import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './pool.js';
import { installRoutines } from './routines.js';
import * as m0001 from './migrations/0001_ledger.js';
import * as m0002 from './migrations/0002_topups.js';
import * as m0003 from './migrations/0003_reversals.js';
import * as m0004 from './migrations/0004_payment_proofs.js';
import * as m0005 from './migrations/0005_history_indexes.js';
import * as m0006 from './migrations/0006_fast_credit.js';
import * as m0007 from './migrations/0007_events.js';
import * as m0008 from './migrations/0008_credit_calls.js';
import * as m0009 from './migrations/0009_open_status_index.js';
import * as m0010 from './migrations/0010_charge_writes.js';
import * as m0011 from './migrations/0011_portal.js';
import * as m0012 from './migrations/0012_customer_status_events.js';
import * as m0013 from './migrations/0013_isolated_charge_groups.js';
import * as m0014 from './migrations/0014_steady_charges.js';
import * as m0015 from './migrations/0015_routines.js';

// Migrations are listed here (not discovered on disk) so the compiled package needs no file scan.
const MIGRATIONS: Record<string, Migration> = {
  '0001_ledger': m0001,
  '0002_topups': m0002,
  '0003_reversals': m0003,
  '0004_payment_proofs': m0004,
  '0005_history_indexes': m0005,
  '0006_fast_credit': m0006,
  '0007_events': m0007,
  '0008_credit_calls': m0008,
  '0009_open_status_index': m0009,
  '0010_charge_writes': m0010,
  '0011_portal': m0011,
  '0012_customer_status_events': m0012,
  '0013_isolated_charge_groups': m0013,
  '0014_steady_charges': m0014,
  '0015_routines': m0015,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * Applies every pending migration, then the database routines (src/db/routines.ts). Kysely's
 * migrator serialises concurrent runs with an advisory lock inside one transaction, so two
 * processes starting at once are safe, and a second run finds nothing to do.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  // The migrator's own lock cannot cover the creation of its bookkeeping tables; a session
  // advisory lock around the whole run does.
  return db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_ID})`.execute(conn);
    try {
      const applied = await runMigrator(conn);
      await installRoutines(conn);
      return applied;
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_ID})`.execute(conn);
    }
  });
}

const MIGRATION_LOCK_ID = 4_242_001;

const migratorFor = (db: Db): Migrator =>
  new Migrator({
    db,
    provider: new StaticProvider(),
    migrationTableName: 'coffer_migrations',
    migrationLockTableName: 'coffer_migrations_lock',
  });

/**
 * Applies the migrations up to `target` only, without the routines (whose tables may not exist
 * yet): for tests that upgrade a database step by step, as an install that lived through the
 * versions did.
 */
export async function migrateSchemaTo(db: Db, target: string): Promise<void> {
  const { error } = await migratorFor(db).migrateTo(target);
  if (error) throw error;
}

async function runMigrator(db: Db): Promise<string[]> {
  const { error, results } = await migratorFor(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${reason}`.replace('  ', ' '));
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
