import crypto from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../../errors.js';
import { OrderId } from '../schemas.js';
import { requestHash, type IdempotencyContext } from '../../idempotency/index.js';
import type { PortalService, PortalSession } from '../../portal/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the portal session (set by the portal's auth hook) */
    portalSession: PortalSession | null;
  }
  interface FastifyContextConfig {
    /** a portal route answered without a session (sign-in, public configuration) */
    portalPublic?: boolean;
  }
}

export const COOKIE = 'coffer_portal';

export const Locale = Type.Union([Type.Literal('en'), Type.Literal('zh-CN')]);
export const OrderParams = Type.Object({ id: OrderId }, { additionalProperties: false });
/** A 6-digit payment password; another shape is a bad request, not a wrong try. */
export const Pin = Type.String({ pattern: '^[0-9]{6}$' });

/** The signed-in session; the auth hook guarantees it on every non-public portal route. */
export function sessionOf(request: FastifyRequest): PortalSession {
  if (!request.portalSession) throw new Error('portal route without a session: the auth hook did not run');
  return request.portalSession;
}

/**
 * The Idempotency-Key of a portal request (optional; a fresh one when absent), scoped to the
 * portal's internal API key and the customer, so it can never collide with a platform key nor
 * with another customer's. The payment password is left out of the request's hash: a hash of a
 * 6-digit secret would give it away.
 */
export function portalIdempotency(request: FastifyRequest, portal: PortalService): IdempotencyContext {
  const raw = request.headers['idempotency-key'];
  if (raw !== undefined && (typeof raw !== 'string' || raw.length < 1 || raw.length > 255)) {
    throw invalidRequest('Idempotency-Key', 'header must be 1–255 characters');
  }
  const customer = sessionOf(request).customer.id;
  let body = request.body;
  if (body && typeof body === 'object' && 'payment_password' in body) {
    const { payment_password: _secret, ...rest } = body as Record<string, unknown>;
    body = rest;
  }
  return {
    apiKeyId: portal.apiKeyId,
    key: `${customer}:${raw ?? `auto-${crypto.randomUUID()}`}`,
    requestHash: requestHash(request.method, request.url.split('?')[0], body),
  };
}

/** Equality of two secrets in constant time (lengths are hidden by hashing first). */
export function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
