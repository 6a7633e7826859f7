import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { WebhookRejected, type ProviderEvent } from '../providers/index.js';
import { ingestProviderEvent } from '../topups/index.js';
import type { AppContext } from './context.js';
import { unstorableFields } from './storable.js';

const Params = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9_]{1,30}$' }) });

/** The strings of a normalised event that Coffer stores, under the names providers send them by. */
function eventFields(e: ProviderEvent): Record<string, unknown> {
  const news = e.news as Record<string, unknown> | null;
  return { id: e.eventId, type: e.type, payment_id: e.paymentId, order_id: e.orderId, ...(news ?? {}) };
}

/**
 * `POST /webhooks/<provider>`: the body is kept raw (signatures are over the exact bytes), then
 * verified and normalised by the provider and ingested exactly once. 200 = accepted or already
 * processed; 400 = bad signature or body, nothing recorded; 503 = database down, so the
 * provider retries later.
 */
export async function webhookRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post<{ Params: Static<typeof Params> }>(
    '/webhooks/:provider',
    { schema: { hide: true, params: Params } },
    async (request, reply) => {
      const name = request.params.provider;
      // Only configured providers that report by webhook have an endpoint (not the manual bank provider).
      if (!ctx.providers.has(name) || !ctx.providers.get(name).acceptsWebhooks) {
        return reply
          .code(404)
          .send({ error: { code: 'not_found', message: `No webhook endpoint for provider "${name}".` } });
      }
      const provider = ctx.providers.get(name);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let event;
      try {
        event = await provider.parseWebhook(raw, request.headers);
      } catch (err) {
        if (!(err instanceof WebhookRejected)) throw err;
        request.log.warn({ provider: name, reason: err.message }, 'webhook rejected');
        return reply
          .code(400)
          .send({ error: { code: 'invalid_request', message: `Webhook rejected: ${err.message}.` } });
      }
      // Verified but unstorable (a NUL in payment_id…): refused like any bad body, never a 500 in ingest.
      const fields = unstorableFields(eventFields(event));
      if (fields.length > 0) {
        request.log.warn({ provider: name, fields }, 'webhook rejected');
        return reply.code(400).send({
          error: {
            code: 'invalid_request',
            message: `Webhook rejected: ${fields[0].field} ${fields[0].problem}.`,
            details: { fields },
          },
        });
      }
      const result = await ingestProviderEvent(ctx.ingest, provider, event);
      return reply.code(200).send({ received: true, result });
    },
  );
}
