import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { customerCurrency } from '../../customers/index.js';
import { currentRates, presentRate, setRate } from '../../fx/index.js';
import { runIdempotent } from '../../idempotency/index.js';
import {
  cancelTopup,
  confirmTopup,
  createTopup,
  getTopup,
  listTopups,
  ordersCsv,
  paymentMethodCatalog,
} from '../../topups/index.js';
import { idempotencyOf, sendJson, sendJsonText, sendOutcome, type AppContext } from '../context.js';
import {
  Amount,
  BalanceName,
  Currency,
  CustomerId,
  HistoryFilters,
  historyFiltersOf,
  ListQuery,
  limitOf,
  OrderId,
  OrderStatus,
  responses,
  TopupMethod,
} from '../schemas.js';

const MoneyObj = Type.Object({ amount: Type.Integer(), currency: Type.String() });
const Order = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('topup'),
    customer: Type.String(),
    balance: Type.String(),
    method: Type.String(),
    status: OrderStatus,
    pay: MoneyObj,
    fee: MoneyObj,
    credit: MoneyObj,
    fx_rate: Type.Union([Type.String(), Type.Null()]),
    refunded_amount: Type.Integer(),
    refund_status: Type.String(),
    provider: Type.Object({ name: Type.String(), payment_id: Type.Union([Type.String(), Type.Null()]) }),
    next_action: Type.Unknown(),
    expires_at: Type.String({ format: 'date-time' }),
    created_at: Type.String({ format: 'date-time' }),
    succeeded_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    timeline: Type.Array(
      Type.Object({ at: Type.String(), status: Type.String(), note: Type.String(), actor: Type.String() }),
    ),
  },
  { additionalProperties: true },
);

const TopupBody = Type.Object(
  {
    customer: CustomerId,
    balance: BalanceName,
    amount: Amount,
    currency: Currency,
    method: TopupMethod,
    network: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{2,12}$', description: 'crypto network, e.g. TRC20' })),
    return_url: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2000 })),
  },
  { additionalProperties: false },
);
const ConfirmBody = Type.Object(
  { amount_received: Amount, note: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: OrderId }, { additionalProperties: false });
const Filters = { customer: Type.Optional(CustomerId), ...HistoryFilters };
const ListTopupsQuery = Type.Object(
  { ...Filters, ...ListQuery, starting_after: Type.Optional(OrderId) },
  { additionalProperties: false },
);
const CsvQuery = Type.Object(Filters, { additionalProperties: false });
const MethodsQuery = Type.Object(
  { balance: BalanceName, currency: Type.Optional(Currency), customer: Type.Optional(CustomerId) },
  { additionalProperties: false },
);
const RateBody = Type.Object(
  {
    base: Currency,
    quote: Currency,
    rate: Type.String({ maxLength: 40 }),
    source: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
const Rate = Type.Object({
  object: Type.Literal('fx_rate'),
  base: Type.String(),
  quote: Type.String(),
  rate: Type.String(),
  source: Type.String(),
  created_at: Type.String(),
});

export async function topupRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = { db: ctx.db, config: ctx.config, providers: ctx.providers };

  app.get<{ Querystring: Static<typeof MethodsQuery> }>(
    '/payment-methods',
    {
      schema: {
        tags: ['Top-ups'],
        summary: 'Payment methods for a balance and currency',
        querystring: MethodsQuery,
        response: responses({}, [400, 401, 404, 422]),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const currency = q.customer ? await customerCurrency(ctx.db, q.customer) : null;
      const data = await paymentMethodCatalog(ctx.db, ctx.config, {
        balance: q.balance,
        currency: q.currency ?? null,
        customerCurrency: currency,
      });
      return sendJson(reply, 200, { data });
    },
  );

  app.post<{ Body: Static<typeof TopupBody> }>(
    '/topups',
    {
      schema: {
        tags: ['Top-ups'],
        summary: 'Create a top-up order (the fee is added on top of amount)',
        body: TopupBody,
        response: responses({ 201: Order }, [400, 401, 402, 403, 404, 409, 422, 503]),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const input = {
        customer: b.customer,
        balance: b.balance,
        amountMinor: BigInt(b.amount),
        currency: b.currency,
        method: b.method,
        network: b.network ?? null,
        returnUrl: b.return_url ?? null,
      };
      return sendOutcome(reply, await createTopup(deps, idempotencyOf(request, true), input));
    },
  );

  app.get<{ Querystring: Static<typeof ListTopupsQuery> }>(
    '/topups',
    {
      schema: {
        tags: ['Top-ups'],
        summary: 'Recharge history, newest first',
        querystring: ListTopupsQuery,
        response: responses({ 200: Type.Object({ data: Type.Array(Order), has_more: Type.Boolean() }) }, [400, 401]),
      },
    },
    async (request, reply) => {
      const q = request.query;
      return sendJsonText(
        reply,
        200,
        await listTopups(ctx.db, historyFiltersOf(q), { limit: limitOf(q), startingAfter: q.starting_after }, ctx.pool),
      );
    },
  );

  app.get<{ Querystring: Static<typeof CsvQuery> }>(
    '/topups.csv',
    {
      schema: {
        tags: ['Top-ups'],
        summary: 'Recharge history as CSV (streamed; same filters as the list)',
        querystring: CsvQuery,
      },
    },
    async (request, reply) => {
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="topups.csv"');
      return reply.send(Readable.from(ordersCsv(ctx.db, historyFiltersOf(request.query))));
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/topups/:id',
    {
      schema: {
        tags: ['Top-ups'],
        summary: 'Retrieve a top-up',
        params: IdParams,
        response: responses({ 200: Order }, [400, 401, 404]),
      },
    },
    async (request, reply) => sendJson(reply, 200, await getTopup(ctx.db, request.params.id)),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/topups/:id/cancel',
    {
      schema: {
        tags: ['Top-ups'],
        summary: 'Cancel a pending top-up',
        params: IdParams,
        response: responses({ 200: Order }, [400, 401, 404, 409]),
      },
    },
    async (request, reply) =>
      sendOutcome(reply, await cancelTopup(ctx.db, idempotencyOf(request, false), request.params.id, 'api')),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ConfirmBody> }>(
    '/topups/:id/confirm',
    {
      schema: {
        tags: ['Top-ups'],
        summary: 'Confirm a bank transfer: credits what was received at the locked rate',
        params: IdParams,
        body: ConfirmBody,
        response: responses({ 200: Order }, [400, 401, 404, 409]),
      },
    },
    async (request, reply) => {
      const input = { amountReceivedMinor: BigInt(request.body.amount_received), note: request.body.note ?? null };
      return sendOutcome(
        reply,
        await confirmTopup(ctx.db, idempotencyOf(request, false), request.params.id, input, 'api'),
      );
    },
  );

  app.post<{ Body: Static<typeof RateBody> }>(
    '/fx-rates',
    {
      schema: {
        tags: ['FX rates'],
        summary: 'Set a rate: 1 base = rate quote',
        body: RateBody,
        response: responses({ 201: Rate }, [400, 401]),
      },
    },
    async (request, reply) => {
      const work = async (tx: typeof ctx.db) => ({ status: 201, body: presentRate(await setRate(tx, request.body)) });
      return sendOutcome(reply, await runIdempotent(ctx.db, idempotencyOf(request, false), work));
    },
  );

  app.get(
    '/fx-rates',
    {
      schema: {
        tags: ['FX rates'],
        summary: 'The current rate of every pair',
        response: responses({ 200: Type.Object({ data: Type.Array(Rate) }) }, [401]),
      },
    },
    async (_request, reply) => sendJson(reply, 200, { data: (await currentRates(ctx.db)).map(presentRate) }),
  );
}
