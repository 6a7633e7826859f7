import type { FastifyInstance } from 'fastify';
import { CofferError } from '../../errors.js';
import { toJson } from '../../lib/json.js';
import { customerOrder, type PortalService } from '../../portal/index.js';
import type { AppContext } from '../context.js';
import { OrderParams, sessionOf } from './common.js';

const PING_MS = 15_000;

/**
 * `GET /portal/api/topups/{id}/events`: server-sent events. The Order now, then again whenever
 * it changes (the process's one order watcher polls every watched order in one query a second),
 * and a comment every 15 s so proxies keep the connection. The stream ends when the client goes,
 * when the session's absolute lifetime is over, and when the server closes.
 */
export async function eventRoutes(app: FastifyInstance, ctx: AppContext, portal: PortalService): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/topups/:id/events',
    { exposeHeadRoute: false, schema: { params: OrderParams } },
    async (request, reply) => {
      const session = sessionOf(request);
      const orderId = request.params.id;
      const read = () => customerOrder(ctx.db, session.customer.id, orderId, ctx.pool);
      const first = await read(); // not_found before anything is streamed

      let lastSent = '';
      let ended = false;
      let busy = false;
      let again = false;
      const raw = reply.raw;
      const send = (order: unknown) => {
        const text = toJson(order);
        if (ended || text === lastSent) return;
        lastSent = text;
        raw.write(`event: order\ndata: ${text}\n\n`);
      };
      const refresh = async () => {
        if (busy) {
          again = true;
          return;
        }
        busy = true;
        try {
          do {
            again = false;
            send(await read());
          } while (again && !ended);
        } catch (err) {
          request.log.warn({ err, order: orderId }, 'order stream refresh failed');
        } finally {
          busy = false;
        }
      };
      const stop = portal.watcher.watch(orderId, session.id, { onChange: () => void refresh(), onClose: () => end() });
      if (!stop)
        throw new CofferError(
          'rate_limited',
          `At most ${portal.watcher.maxPerSession} live order streams per session; close one first.`,
        );

      const ping = setInterval(() => raw.write(': ping\n\n'), PING_MS);
      const lifetime = setTimeout(() => end(), Math.max(0, session.expiresAt.getTime() - Date.now()));
      function end() {
        if (ended) return;
        ended = true;
        clearInterval(ping);
        clearTimeout(lifetime);
        stop!();
        raw.end();
      }
      raw.on('close', end);

      reply.hijack();
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      send(first);
    },
  );
}
