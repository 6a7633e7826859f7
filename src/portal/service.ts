import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { sharedSecret } from '../settings/index.js';
import { OrderWatcher } from './watch.js';

/** What the portal's routes need besides the database: its secret, its idempotency scope, the order watcher. */
export interface PortalService {
  /** signs one-time links (SESSION_SECRET, or one generated once and kept in the database) */
  secret: string;
  /**
   * The internal API key row that scopes the portal's Idempotency-Keys (as `<customer>:<key>`),
   * so they never meet a platform key's, nor another customer's. It has no secret.
   */
  apiKeyId: bigint;
  watcher: OrderWatcher;
}

export const portalSecret = (db: Db, config: Pick<Config, 'sessionSecret'>): Promise<string> =>
  sharedSecret(db, 'session_secret', config.sessionSecret);

const API_KEY_SETTING = 'portal_api_key_id';

/** The portal's internal API key row, made once per database (every process finds the same). */
async function portalApiKeyId(db: Db): Promise<bigint> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${API_KEY_SETTING}))`.execute(tx);
    const known = await tx.selectFrom('settings').select('value').where('key', '=', API_KEY_SETTING).executeTakeFirst();
    if (known) return BigInt(known.value);
    // Revoked from birth and hashed from random bytes nobody keeps: it can never authenticate.
    const key = await tx
      .insertInto('api_keys')
      .values({
        name: 'portal (internal)',
        prefix: 'portal',
        secret_hash: crypto.randomBytes(32).toString('hex'),
        revoked_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx.insertInto('settings').values({ key: API_KEY_SETTING, value: key.id.toString() }).execute();
    return key.id;
  });
}

export async function createPortalService(db: Db, config: Config): Promise<PortalService> {
  const [secret, apiKeyId] = await Promise.all([portalSecret(db, config), portalApiKeyId(db)]);
  return { secret, apiKeyId, watcher: new OrderWatcher(db) };
}
