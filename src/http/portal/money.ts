import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { invalidRequest } from '../../errors.js';
import { statement } from '../../ledger/index.js';
import {
  customerTransfer,
  homeData,
  quoteForCustomer,
  statementCharts,
  type PortalService,
} from '../../portal/index.js';
import { paymentMethodCatalog } from '../../topups/index.js';
import { sendJson, sendOutcome, type AppContext } from '../context.js';
import { Amount, BalanceName, Currency, ListQuery, limitOf, TopupMethod } from '../schemas.js';
import { Pin, portalIdempotency, sessionOf } from './common.js';

const MethodsQuery = Type.Object(
  { balance: BalanceName, currency: Type.Optional(Currency) },
  { additionalProperties: false },
);
const QuoteBody = Type.Object(
  { balance: BalanceName, amount: Amount, currency: Currency, method: TopupMethod },
  { additionalProperties: false },
);
const TransferBody = Type.Object(
  { to: BalanceName, amount: Amount, payment_password: Pin },
  { additionalProperties: false },
);
const StatementQuery = Type.Object(
  { balance: Type.Optional(BalanceName), ...ListQuery },
  { additionalProperties: false },
);
const ChartsQuery = Type.Object(
  { days: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: '1–366, default 30' })) },
  { additionalProperties: false },
);

/** Balances, statement, charts, quotes and wallet transfers of the signed-in customer. */
export async function moneyRoutes(app: FastifyInstance, ctx: AppContext, portal: PortalService): Promise<void> {
  app.get('/home', async (request, reply) =>
    sendJson(reply, 200, await homeData(ctx.db, sessionOf(request).customer.id, ctx.pool)),
  );

  app.get<{ Querystring: Static<typeof MethodsQuery> }>(
    '/payment-methods',
    { schema: { querystring: MethodsQuery } },
    async (request, reply) => {
      const c = sessionOf(request).customer;
      const data = await paymentMethodCatalog(ctx.db, ctx.config, {
        balance: request.query.balance,
        currency: request.query.currency ?? null,
        customerCurrency: c.currency,
      });
      return sendJson(reply, 200, { data });
    },
  );

  app.post<{ Body: Static<typeof QuoteBody> }>('/quote', { schema: { body: QuoteBody } }, async (request, reply) => {
    const b = request.body;
    const quote = await quoteForCustomer(ctx.db, ctx.config, ctx.providers, sessionOf(request).customer, {
      balance: b.balance,
      amountMinor: BigInt(b.amount),
      currency: b.currency,
      method: b.method,
    });
    return sendJson(reply, 200, quote);
  });

  app.post<{ Body: Static<typeof TransferBody> }>(
    '/transfers',
    { schema: { body: TransferBody } },
    async (request, reply) => {
      const b = request.body;
      const outcome = await customerTransfer(ctx.db, sessionOf(request).customer, portalIdempotency(request, portal), {
        to: b.to,
        amountMinor: BigInt(b.amount),
        paymentPassword: b.payment_password,
      });
      return sendOutcome(reply, outcome);
    },
  );

  app.get<{ Querystring: Static<typeof StatementQuery> }>(
    '/statement',
    { schema: { querystring: StatementQuery } },
    async (request, reply) => {
      const q = request.query;
      const page = await statement(
        ctx.db,
        sessionOf(request).customer.id,
        q.balance ?? 'wallet',
        limitOf(q),
        q.starting_after ?? null,
      );
      return sendJson(reply, 200, page);
    },
  );

  app.get<{ Querystring: Static<typeof ChartsQuery> }>(
    '/statement/charts',
    { schema: { querystring: ChartsQuery } },
    async (request, reply) => {
      const days = Number(request.query.days ?? 30);
      if (days > 366) throw invalidRequest('days', 'must be between 1 and 366');
      return sendJson(reply, 200, await statementCharts(ctx.db, sessionOf(request).customer.id, days, ctx.pool));
    },
  );
}
