import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { migrateAll } from '../../src/services.js';
import { openDatabase } from '../../src/db/pool.js';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
  }
}

let embedded: EmbeddedServer | null = null;
let tmpDir: string | null = null;
let cleanup: (() => Promise<void>) | null = null;

/**
 * One PostgreSQL for the run: DATABASE_URL's server when set (CI's system PostgreSQL 15),
 * otherwise an embedded one in a temporary directory. A migrated template database is made
 * once; every test file clones it into a fresh database of its own.
 */
export async function setup(project: TestProject): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-test-'));
    fs.chmodSync(tmpDir, 0o711);
    embedded = await startEmbeddedPostgres(tmpDir, () => undefined);
    adminUrl = embedded.url;
  }
  const templateDb = `coffer_tpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${templateDb}`);
  await admin.query(`CREATE DATABASE ${templateDb}`);
  await admin.end();
  const handle = openDatabase(withDatabase(adminUrl, templateDb), 2);
  await migrateAll(handle);
  await handle.close();
  cleanup = async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${templateDb}`);
    await c.end();
  };
  project.provide('adminUrl', adminUrl);
  project.provide('templateDb', templateDb);
}

export async function teardown(): Promise<void> {
  await cleanup?.().catch(() => undefined);
  if (embedded) await embedded.stop();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
