import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * A secret from the environment, or else one generated once and kept in the database, so every
 * `coffer serve` process on that database signs and verifies with the same key.
 */
export async function sharedSecret(
  db: Kysely<Database>,
  key: string,
  configured: string | null,
  prefix = '',
): Promise<string> {
  if (configured) return configured;
  const generated = prefix + crypto.randomBytes(24).toString('base64url');
  await db
    .insertInto('settings')
    .values({ key, value: generated })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return row.value;
}
