import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrateSchemaTo, migrateToLatest } from '../../src/db/migrate.js';
import { openDatabase, type DbHandle } from '../../src/db/pool.js';
import { installRoutines, readRoutines, ROUTINE_FILES } from '../../src/db/routines.js';
import { withDatabase } from './global-setup.js';

/**
 * Each database routine has one current text, a .sql file (src/db/routines.ts). A database
 * migrated at once and one upgraded step by step from the first migration end with the same
 * routines and triggers, and those are exactly the files: none missing, none left over.
 */

const SRC = path.resolve(import.meta.dirname, '../../src');
const created: string[] = [];
const handles: DbHandle[] = [];

async function freshDatabase(label: string): Promise<DbHandle> {
  const name = `coffer_rt_${label}_${crypto.randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  created.push(name);
  const handle = openDatabase(withDatabase(inject('adminUrl'), name), 2);
  handles.push(handle);
  return handle;
}

afterAll(async () => {
  for (const h of handles) await h.close();
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

/** Every routine and trigger of the public schema, as PostgreSQL prints them. */
async function installed(h: DbHandle) {
  const routines = await h.pool.query<{ name: string; def: string; src: string }>(
    `SELECT p.proname AS name, pg_get_functiondef(p.oid) AS def, p.prosrc AS src
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'public' ORDER BY 1, 2`,
  );
  const triggers = await h.pool.query<{ name: string; def: string }>(
    `SELECT tgname AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`,
  );
  return { routines: routines.rows, triggers: triggers.rows };
}

describe('database routines', () => {
  it('a database migrated at once and one upgraded from the first migration have the same routines, exactly the files', async () => {
    const atOnce = await freshDatabase('once');
    await migrateToLatest(atOnce.db);
    const stepwise = await freshDatabase('steps');
    await migrateSchemaTo(stepwise.db, '0001_ledger');
    await migrateSchemaTo(stepwise.db, '0008_credit_calls');
    await migrateToLatest(stepwise.db);

    const a = await installed(atOnce);
    const b = await installed(stepwise);
    expect(b).toEqual(a);

    // The files: every routine they define is installed with the file's body, and nothing else is.
    const files = await readRoutines();
    const bodies = new Map<string, string>();
    const triggers: string[] = [];
    for (const f of files) {
      for (const m of f.text.matchAll(
        /CREATE OR REPLACE (?:FUNCTION|PROCEDURE) (\w+)\([\s\S]*?\bAS \$fn\$([\s\S]*?)\$fn\$;/g,
      ))
        bodies.set(m[1], m[2]);
      for (const m of f.text.matchAll(/CREATE OR REPLACE TRIGGER (\w+)/g)) triggers.push(m[1]);
    }
    expect(a.routines.map((r) => r.name).sort()).toEqual([...bodies.keys()].sort());
    for (const r of a.routines) expect(r.src, r.name).toBe(bodies.get(r.name));
    expect(a.triggers.map((t) => t.name).sort()).toEqual(triggers.sort());
  });

  it('the files are listed once each, and every .sql file under src is listed', () => {
    const onDisk = fs
      .readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(SRC, d.name, 'sql')))
      .flatMap((d) => fs.readdirSync(path.join(SRC, d.name, 'sql')).map((f) => `${d.name}/sql/${f}`));
    expect([...ROUTINE_FILES].sort()).toEqual(onDisk.sort());
    expect(new Set(ROUTINE_FILES).size).toBe(ROUTINE_FILES.length);
  });

  it('an unchanged set is not applied again; a changed one is, and puts back what was altered', async () => {
    const h = await freshDatabase('digest');
    await migrateToLatest(h.db);
    const first = await h.pool.query<{ installed_at: Date }>('SELECT installed_at FROM coffer_routines');
    await migrateToLatest(h.db);
    const second = await h.pool.query<{ installed_at: Date }>('SELECT installed_at FROM coffer_routines');
    expect(second.rows).toEqual(first.rows);

    // Someone altered a routine by hand; the next version of the files (another digest) restores it.
    await h.pool.query(
      `CREATE OR REPLACE FUNCTION coffer_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`,
    );
    await h.pool.query(`UPDATE coffer_routines SET digest = 'an older version'`);
    const applied = await h.db.connection().execute((conn) => installRoutines(conn));
    expect(applied).toBe(true);
    const { rows } = await h.pool.query<{ src: string }>(
      `SELECT prosrc AS src FROM pg_proc WHERE proname = 'coffer_refuse_change'`,
    );
    expect(rows[0].src).toContain('rows are immutable');
  });
});
