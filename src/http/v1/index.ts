import type { FastifyInstance } from 'fastify';
import { CofferError } from '../../errors.js';
import type { AppContext } from '../context.js';
import { customerRoutes } from './customers.js';
import { proofRoutes } from './proofs.js';
import { topupRoutes } from './topups.js';
import { usageRoutes } from './usage.js';

const unauthenticated = (): CofferError =>
  new CofferError('unauthenticated', 'Missing or invalid API key: send "Authorization: Bearer <secret>".');

/** The platform API: every route here needs a valid API key. */
export async function v1Routes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) throw unauthenticated();
    const key = await ctx.apiKeys.authenticate(header.slice(7).trim());
    if (!key) throw unauthenticated();
    request.apiKey = key;
  });
  await customerRoutes(app, ctx);
  await usageRoutes(app, ctx);
  await topupRoutes(app, ctx);
  await proofRoutes(app, ctx);
}
