import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { ApiKey, ApiKeyAuthenticator } from '../apikeys/index.js';
import type { Config } from '../config.js';
import type { Db } from '../db/pool.js';
import { invalidRequest } from '../errors.js';
import { requestHash, type IdempotencyContext, type Outcome } from '../idempotency/index.js';
import type { ChargeBatcher } from '../charges/index.js';
import type { PortalService } from '../portal/index.js';
import type { ProviderRegistry } from '../providers/index.js';
import type { WebhookIngest } from '../topups/index.js';
import { toJson } from '../lib/json.js';

/** What route handlers need: configuration and the use cases' dependencies. */
export interface AppContext {
  config: Config;
  db: Db;
  pool: pg.Pool;
  batcher: ChargeBatcher;
  ingest: WebhookIngest;
  apiKeys: ApiKeyAuthenticator;
  providers: ProviderRegistry;
  /** the customer portal's secret, idempotency scope and order watcher (a bare context built by a test may leave it out: no portal then) */
  portal?: PortalService;
  /** asks the sandbox to deliver its queued webhooks now */
  kickSandbox(): void;
  isShuttingDown(): boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: ApiKey | null;
  }
}

/**
 * The request's Idempotency-Key, validated; null when absent and not required. `hashed` is what
 * the request hash covers: the body, unless the route gives a stand-in (a file's digest).
 */
export function idempotencyOf(request: FastifyRequest, required: true, hashed?: unknown): IdempotencyContext;
export function idempotencyOf(request: FastifyRequest, required: false, hashed?: unknown): IdempotencyContext | null;
export function idempotencyOf(
  request: FastifyRequest,
  required: boolean,
  hashed: unknown = request.body,
): IdempotencyContext | null {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) {
    if (required) throw invalidRequest('Idempotency-Key', 'header is required on this endpoint');
    return null;
  }
  if (typeof raw !== 'string' || raw.length < 1 || raw.length > 255) {
    throw invalidRequest('Idempotency-Key', 'header must be 1–255 characters');
  }
  // Stored as text: a control character (NUL above all) is refused here, not by PostgreSQL.
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(raw))
    throw invalidRequest('Idempotency-Key', 'header must not contain control characters');
  return {
    apiKeyId: request.apiKey!.id,
    key: raw,
    requestHash: requestHash(request.method, request.url.split('?')[0], hashed),
  };
}

export function sendOutcome(reply: FastifyReply, outcome: Outcome): FastifyReply {
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return sendJsonText(reply, outcome.status, outcome.bodyText);
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return sendJsonText(reply, status, toJson(body));
}

/** A body that is JSON text already (rendered by PostgreSQL or stored with an idempotency key). */
export function sendJsonText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(text);
}
