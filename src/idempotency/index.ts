import crypto from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/pool.js';
import type { Database } from '../db/schema.js';
import { CofferError } from '../errors.js';
import { canonicalJson, toJson } from '../lib/json.js';

/** An Idempotency-Key as the API sees it: scoped to the API key, tied to one request. */
export interface IdempotencyContext {
  apiKeyId: bigint;
  key: string;
  requestHash: string;
}

export interface Outcome {
  status: number;
  /** the serialised response body, exactly as first sent */
  bodyText: string;
  replayed: boolean;
}

export type Work = (tx: Transaction<Database>) => Promise<{ status: number; body: unknown }>;

export function requestHash(method: string, path: string, body: unknown): string {
  return crypto
    .createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/** The ledger reference of a money movement made under an idempotency key. */
export const ledgerReference = (idem: IdempotencyContext): string => `${idem.apiKeyId}:${idem.key}`;

export const keyReused = (): CofferError =>
  new CofferError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request.');
export const keyInUse = (): CofferError =>
  new CofferError(
    'idempotency_key_in_use',
    'A request with this Idempotency-Key is still being processed; retry shortly.',
  );

// Refusals that describe the request itself, not the state it met: never recorded, so a
// corrected retry under the same key is judged afresh.
const NOT_RECORDED = new Set([
  'invalid_request',
  'idempotency_key_reused',
  'idempotency_key_in_use',
  'unavailable',
  'rate_limited',
  'unauthenticated',
]);

/** Keys being processed by this process: a concurrent repeat is answered `in_use` at once. */
const inFlight = new Set<string>();

export function claimInFlight(idem: IdempotencyContext): () => void {
  const id = `${idem.apiKeyId}:${idem.key}`;
  if (inFlight.has(id)) throw keyInUse();
  inFlight.add(id);
  return () => inFlight.delete(id);
}

/**
 * Runs `work` in one transaction together with the idempotency record, so the response is stored
 * if and only if the change committed. A repeat from another process waits on the key's row and
 * then replays; a repeat in this process while the first is running gets `in_use`.
 */
export async function runIdempotent(db: Db, idem: IdempotencyContext | null, work: Work): Promise<Outcome> {
  if (!idem) {
    const out = await db.transaction().execute(work).catch(asRefusal);
    return { status: out.status, bodyText: toJson(out.body), replayed: false };
  }
  const release = claimInFlight(idem);
  try {
    return await db.transaction().execute(async (tx) => {
      const inserted = await sql`
        INSERT INTO idempotency_keys (api_key_id, key, request_hash)
        VALUES (${idem.apiKeyId.toString()}, ${idem.key}, ${idem.requestHash})
        ON CONFLICT DO NOTHING RETURNING 1`.execute(tx);
      if (inserted.rows.length === 0) return replay(tx, idem);
      const out = await work(tx);
      const bodyText = toJson(out.body);
      await store(tx, idem, out.status, bodyText);
      return { status: out.status, bodyText, replayed: false };
    });
  } catch (err) {
    if (!(err instanceof CofferError) || NOT_RECORDED.has(err.code)) throw err;
    // The work rolled back; record the refusal so a retry with the same key gets the same answer.
    return db.transaction().execute(async (tx) => {
      const bodyText = toJson(err.toBody());
      const inserted = await sql`
        INSERT INTO idempotency_keys (api_key_id, key, request_hash, response_status, response_body)
        VALUES (${idem.apiKeyId.toString()}, ${idem.key}, ${idem.requestHash}, ${err.status}, ${bodyText})
        ON CONFLICT DO NOTHING RETURNING 1`.execute(tx);
      if (inserted.rows.length === 0) return replay(tx, idem);
      return { status: err.status, bodyText, replayed: false };
    });
  } finally {
    release();
  }
}

function asRefusal(err: unknown): { status: number; body: unknown } {
  if (err instanceof CofferError && err.status < 500) return { status: err.status, body: err.toBody() };
  throw err;
}

async function replay(tx: Transaction<Database>, idem: IdempotencyContext): Promise<Outcome> {
  const row = await tx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response_status', 'response_body'])
    .where('api_key_id', '=', idem.apiKeyId)
    .where('key', '=', idem.key)
    .executeTakeFirstOrThrow();
  if (row.request_hash !== idem.requestHash) throw keyReused();
  if (row.response_status === null || row.response_body === null) throw keyInUse();
  return { status: row.response_status, bodyText: row.response_body, replayed: true };
}

async function store(
  tx: Transaction<Database>,
  idem: IdempotencyContext,
  status: number,
  bodyText: string,
): Promise<void> {
  await tx
    .updateTable('idempotency_keys')
    .set({ response_status: status, response_body: bodyText })
    .where('api_key_id', '=', idem.apiKeyId)
    .where('key', '=', idem.key)
    .execute();
}

/**
 * Replaces the stored answer of a key whose work finished in a later step (a top-up's payment is
 * attached after its order commits), so a replay returns what the first caller finally got.
 */
export async function rewriteStoredResponse(db: Db, idem: IdempotencyContext, bodyText: string): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ response_body: bodyText })
    .where('api_key_id', '=', idem.apiKeyId)
    .where('key', '=', idem.key)
    .execute();
}
