import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { CofferError } from '../../errors.js';
import { authenticate, unauthenticated, type PortalService } from '../../portal/index.js';
import type { AppContext } from '../context.js';
import { COOKIE, sameSecret } from './common.js';
import { eventRoutes } from './events.js';
import { moneyRoutes } from './money.js';
import { securityRoutes } from './security.js';
import { sessionRoutes } from './session.js';
import { topupRoutes } from './topups.js';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const csrfRefused = (): CofferError =>
  new CofferError('forbidden', 'Missing or wrong X-CSRF-Token header: send the csrf_token from GET /portal/api/me.');

/**
 * The customer portal's API (docs/portal.md), under /portal/api. Every route needs a session
 * cookie except the few marked `portalPublic`; every state-changing one also needs the session's
 * CSRF token in `X-CSRF-Token`. Internal (not in the platform API's OpenAPI document).
 */
export async function portalRoutes(app: FastifyInstance, ctx: AppContext, portal: PortalService): Promise<void> {
  portal.watcher.log = app.log;
  app.decorateRequest('portalSession', null);
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  // Limits are per route (`config.rateLimit`); answers use the API's error envelope.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, c) =>
      new CofferError('rate_limited', `Too many requests; retry in ${Math.ceil(c.ttl / 1000)} s.`, {
        retry_after_seconds: Math.ceil(c.ttl / 1000),
      }),
  });

  app.addHook('onRequest', async (request, reply) => {
    // Personal data: never stored by a cache on the way.
    reply.header('cache-control', 'no-store');
    if (request.routeOptions.config?.portalPublic) return;
    const token = request.cookies[COOKIE];
    const session = token ? await authenticate(ctx.db, token, ctx.pool) : null;
    if (!session) throw unauthenticated();
    if (STATE_CHANGING.has(request.method)) {
      const given = request.headers['x-csrf-token'];
      if (typeof given !== 'string' || !sameSecret(given, session.csrfToken)) throw csrfRefused();
    }
    request.portalSession = session;
  });
  // Live order streams end before the server closes, so they never hold up a shutdown.
  app.addHook('preClose', (done) => {
    portal.watcher.stop();
    done();
  });

  await sessionRoutes(app, ctx, portal);
  await securityRoutes(app, ctx, portal);
  await moneyRoutes(app, ctx, portal);
  await topupRoutes(app, ctx, portal);
  await eventRoutes(app, ctx, portal);
}
