import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { emailPinResetLink, setPaymentPassword, type PortalService } from '../../portal/index.js';
import { sendJson, type AppContext } from '../context.js';
import { Pin, sessionOf } from './common.js';

const SetPinBody = Type.Object(
  {
    new_password: Pin,
    current_password: Type.Optional(Pin),
    reset_token: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** The payment password: set, change (with the current one or an e-mailed reset link). */
export async function securityRoutes(app: FastifyInstance, ctx: AppContext, portal: PortalService): Promise<void> {
  app.post<{ Body: Static<typeof SetPinBody> }>(
    '/payment-password',
    { schema: { body: SetPinBody } },
    async (request, reply) => {
      const b = request.body;
      await setPaymentPassword(ctx.db, portal.secret, sessionOf(request).customer.id, {
        newPassword: b.new_password,
        currentPassword: b.current_password,
        resetToken: b.reset_token,
      });
      return reply.code(204).send();
    },
  );

  app.post('/payment-password/reset', async (request, reply) => {
    await emailPinResetLink(ctx.db, portal.secret, sessionOf(request).customer.id);
    return sendJson(reply, 202, { sent: true });
  });
}
