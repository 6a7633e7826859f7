import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sql } from 'kysely';
import { CofferError } from '../errors.js';
import { httpDuration, registry } from '../metrics.js';
import type { AppContext } from './context.js';
import { clientErrorHandler, frameworkErrors, MAX_PARAM_LENGTH, registerErrorHandling } from './errors.js';
import { apiHeaders, isApiPath, securityHeaders } from './security-headers.js';
import { portalRoutes } from './portal/index.js';
import { v1Routes } from './v1/index.js';
import { sandboxRoutes } from '../sandbox/index.js';
import { refuseUnstorableStrings } from './storable.js';
import { webhookRoutes } from './webhooks.js';
import { webRoutes } from './web.js';

/** Trust the first `hops` proxies in front of Coffer (the nearest first). */
const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops;

export interface BuildOptions {
  logger?: boolean | { level: string };
}

/** Builds the HTTP application around already-open dependencies (tests call this and use inject()). */
export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const pageHeaders = securityHeaders(ctx.config.publicUrl.startsWith('https://'));
  const jsonHeaders = apiHeaders(pageHeaders);
  const app = Fastify({
    logger: opts.logger ?? { level: ctx.config.logLevel },
    // One log line per request costs more than a charge on the hot path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.bodyLimitBytes,
    // Behind a reverse proxy, TRUST_PROXY makes request.ip the client's (rate limits are per client).
    trustProxy: typeof ctx.config.trustProxy === 'number' ? trustHops(ctx.config.trustProxy) : ctx.config.trustProxy,
    // Router and socket-level refusals are answered in the error envelope too (src/http/errors.ts).
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, request, reply) => frameworkErrors(err, request, reply.headers(jsonHeaders)),
    clientErrorHandler,
    ajv: {
      // Wrong types are errors, never coerced; unknown fields are errors, never dropped.
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: true, useDefaults: true },
    },
  });
  registerErrorHandling(app);
  app.addHook('preValidation', refuseUnstorableStrings);
  // Many clients send `content-type: application/json` on body-less POSTs (void, capture):
  // an empty body is no body, not malformed JSON.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });

  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(isApiPath(request.url) ? jsonHeaders : pageHeaders);
    done();
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Coffer platform API',
        version: '1',
        description: 'Prepaid balances, usage charges and holds. Amounts are integers in minor units.',
      },
      // Relative: "Try it out" calls the origin the page was loaded from (the page's CSP allows no other).
      servers: [{ url: '/' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', (_request, _reply, done) => {
    if (ctx.isShuttingDown())
      return done(new CofferError('unavailable', 'The server is shutting down; retry on another instance.'));
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
    done();
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`SELECT 1`.execute(ctx.db);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ error: { code: 'unavailable', message: 'The database is not reachable.' } });
    }
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  await app.register(async (scope) => v1Routes(scope, ctx), { prefix: '/v1' });
  const portal = ctx.portal;
  if (portal) {
    // Cookies are parsed for the portal only: the platform API's hot path never pays for it.
    await app.register(
      async (scope) => {
        await scope.register(cookie);
        await portalRoutes(scope, ctx, portal);
      },
      { prefix: '/portal/api' },
    );
  }
  await app.register(async (scope) => webhookRoutes(scope, ctx));
  await sandboxRoutes(app, { db: ctx.db, kick: () => ctx.kickSandbox() });
  await webRoutes(app);
  return app;
}
