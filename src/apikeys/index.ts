import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/pool.js';

export interface ApiKey {
  id: bigint;
  name: string;
}

const hash = (secret: string): string => crypto.createHash('sha256').update(secret).digest('hex');

/**
 * Creates an API key and returns its secret, which is never stored: only its SHA-256 is. The
 * secret has 192 random bits, so a fast hash is enough (no password stretching needed).
 */
export async function createApiKey(db: Db, name: string): Promise<{ id: bigint; secret: string }> {
  const secret = `sk_${crypto.randomBytes(24).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({ name, prefix: secret.slice(0, 7), secret_hash: hash(secret) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, secret };
}

/** Looks up API keys by secret with a short per-process cache (revocation takes effect within `ttlMs`). */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { key: ApiKey | null; until: number }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
  ) {}

  async authenticate(secret: string): Promise<ApiKey | null> {
    const now = Date.now();
    // Keyed by the secret itself (it is in this process's memory with every request anyway), so a
    // cache hit costs no hashing.
    const hit = this.cache.get(secret);
    if (hit && hit.until > now) return hit.key;
    const h = hash(secret);
    const row = await this.db
      .selectFrom('api_keys')
      .select(['id', 'name'])
      .where('secret_hash', '=', h)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    const key = row ? { id: row.id, name: row.name } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(secret, { key, until: now + this.ttlMs });
    return key;
  }
}

export interface ApiKeyListing {
  id: bigint;
  name: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** the newest request with an Idempotency-Key made with the key; reads are not recorded */
  lastWriteAt: Date | null;
}

/** Every API key, oldest first, with no secret (only the first characters everyone sees in logs). */
export async function listApiKeys(db: Db): Promise<ApiKeyListing[]> {
  const rows = await db
    .selectFrom('api_keys as k')
    .select((eb) => [
      'k.id',
      'k.name',
      'k.prefix',
      'k.created_at',
      'k.revoked_at',
      eb
        .selectFrom('idempotency_keys as i')
        .whereRef('i.api_key_id', '=', 'k.id')
        .select((e) => e.fn.max('i.created_at').as('t'))
        .as('last_write_at'),
    ])
    .orderBy('k.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastWriteAt: r.last_write_at ? new Date(r.last_write_at) : null,
  }));
}

/**
 * Revokes a key. Every process stops accepting it within its cache time (API_KEY_CACHE_MS), since
 * each authenticator re-reads the key at least that often. Returns what was found.
 */
export async function revokeApiKey(db: Db, id: bigint): Promise<'revoked' | 'already_revoked' | 'not_found'> {
  const updated = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (updated) return 'revoked';
  const exists = await db.selectFrom('api_keys').select('id').where('id', '=', id).executeTakeFirst();
  return exists ? 'already_revoked' : 'not_found';
}
