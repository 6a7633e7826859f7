import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Paths of the web app (React, client-side routing): the portal at `/`, the console at
 * `/console`. Only these answer with the app's index.html; every other unknown path stays a
 * JSON 404, so a typo in an API path never comes back as a page.
 */
export const APP_PATHS = [
  '/',
  '/signin',
  '/topup',
  '/orders',
  '/orders/:id',
  '/statement',
  '/invoices',
  '/help',
  '/security',
  '/console',
  '/console/*',
];

/** Where `npm run build` puts the app: dist/web beside the compiled server (or COFFER_WEB_DIR). */
export function webDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.COFFER_WEB_DIR) return path.resolve(env.COFFER_WEB_DIR);
  return fileURLToPath(new URL('../../dist/web', import.meta.url));
}

/**
 * Serves the built web app: hashed files under /assets/ cached as immutable for a year (brotli or
 * gzip copies when the client accepts them), index.html never cached so a new build is picked up
 * at the next load.
 */
export async function webRoutes(app: FastifyInstance, dir = webDir()): Promise<void> {
  const indexFile = path.join(dir, 'index.html');
  const built = fs.existsSync(indexFile);
  if (built) {
    await app.register(fastifyStatic, {
      root: path.join(dir, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      immutable: true,
      maxAge: '365d',
      preCompressed: true,
      index: false,
      schemaHide: true,
    });
  }
  const index = built ? fs.readFileSync(indexFile) : null;
  const page = async (_request: unknown, reply: FastifyReply) => {
    if (!index) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built. Run `npm run build` (or `npm start`), then restart Coffer.\n');
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
  };
  for (const url of APP_PATHS) app.get(url, { schema: { hide: true } }, page);
}
