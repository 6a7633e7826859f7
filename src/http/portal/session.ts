import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { isoTime } from '../../lib/json.js';
import {
  emailSigninLinks,
  listSessions,
  paymentPasswordStatus,
  portalConfig,
  revokeSession,
  SESSION_ABSOLUTE_SECONDS,
  setLocale,
  signIn,
  type PortalService,
} from '../../portal/index.js';
import { sendJson, type AppContext } from '../context.js';
import { COOKIE, Locale, sessionOf } from './common.js';

const SignInBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
const EmailBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }),
    locale: Type.Optional(Locale),
  },
  { additionalProperties: false },
);
const SessionParams = Type.Object(
  { id: Type.String({ pattern: '^pss_[0-9a-z]{26}$' }) },
  { additionalProperties: false },
);
const LocaleBody = Type.Object({ locale: Locale }, { additionalProperties: false });

export async function sessionRoutes(app: FastifyInstance, ctx: AppContext, portal: PortalService): Promise<void> {
  /** Sign-in attempts per IP, per route. */
  const SIGNIN_LIMIT = { max: ctx.config.portalSigninPerMinute, timeWindow: 60_000 };
  const secure = ctx.config.publicUrl.startsWith('https://');
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, path: '/', secure };

  app.get('/config', { config: { portalPublic: true } }, async (_request, reply) =>
    sendJson(reply, 200, portalConfig(ctx.config)),
  );

  app.post<{ Body: Static<typeof SignInBody> }>(
    '/signin',
    { config: { portalPublic: true, rateLimit: SIGNIN_LIMIT }, schema: { body: SignInBody } },
    async (request, reply) => {
      const s = await signIn(ctx.db, portal.secret, request.body.token, {
        ip: request.ip ?? null,
        userAgent: request.headers['user-agent'] ?? null,
      });
      reply.setCookie(COOKIE, s.token, { ...cookieOptions, maxAge: SESSION_ABSOLUTE_SECONDS });
      return sendJson(reply, 200, { return_url: s.returnUrl, locale: s.locale });
    },
  );

  app.post<{ Body: Static<typeof EmailBody> }>(
    '/signin/email',
    { config: { portalPublic: true, rateLimit: SIGNIN_LIMIT }, schema: { body: EmailBody } },
    async (request, reply) => {
      await emailSigninLinks(ctx.db, portal.secret, request.body.email, request.body.locale ?? null);
      // The same answer whether or not the address is a customer's, and whether or not it was limited.
      return sendJson(reply, 202, { sent: true });
    },
  );

  app.get('/me', async (request, reply) => {
    const s = sessionOf(request);
    const c = s.customer;
    return sendJson(reply, 200, {
      customer: { id: c.id, name: c.name, email: c.email, currency: c.currency, status: c.status },
      locale: c.locale,
      csrf_token: s.csrfToken,
      return_url: s.returnUrl,
      session: { id: s.id, expires_at: isoTime(s.expiresAt) },
      payment_password: await paymentPasswordStatus(ctx.db, c.id),
    });
  });

  app.post('/signout', async (request, reply) => {
    const s = sessionOf(request);
    await revokeSession(ctx.db, s.customer.id, s.id);
    reply.clearCookie(COOKIE, cookieOptions);
    return reply.code(204).send();
  });

  app.get('/sessions', async (request, reply) => {
    const s = sessionOf(request);
    return sendJson(reply, 200, await listSessions(ctx.db, s.customer.id, s.id));
  });

  app.delete<{ Params: Static<typeof SessionParams> }>(
    '/sessions/:id',
    { schema: { params: SessionParams } },
    async (request, reply) => {
      const s = sessionOf(request);
      await revokeSession(ctx.db, s.customer.id, request.params.id);
      if (request.params.id === s.id) reply.clearCookie(COOKIE, cookieOptions);
      return reply.code(204).send();
    },
  );

  app.put<{ Body: Static<typeof LocaleBody> }>('/locale', { schema: { body: LocaleBody } }, async (request, reply) =>
    sendJson(reply, 200, await setLocale(ctx.db, sessionOf(request).customer.id, request.body.locale)),
  );
}
