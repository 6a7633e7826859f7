import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { createCustomer, customerBalances, getCustomer, listCustomers, listProducts } from '../../customers/index.js';
import { statement } from '../../ledger/index.js';
import { createSigninLink } from '../../portal/index.js';
import { idempotencyOf, sendJson, sendOutcome, type AppContext } from '../context.js';
import { BalanceName, BalanceSchema, Currency, CustomerId, ListQuery, limitOf, responses } from '../schemas.js';

const CreateCustomerBody = Type.Object(
  {
    external_id: Type.String({ minLength: 1, maxLength: 255 }),
    email: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }),
    name: Type.Optional(Type.Union([Type.String({ maxLength: 255 }), Type.Null()])),
    currency: Type.Optional(Currency),
  },
  { additionalProperties: false },
);

const Customer = Type.Object({
  id: Type.String(),
  object: Type.Literal('customer'),
  external_id: Type.String(),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  currency: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('frozen')]),
  created_at: Type.String({ format: 'date-time' }),
  balances: Type.Array(BalanceSchema),
});

const IdParams = Type.Object({ id: CustomerId }, { additionalProperties: false });
const ListCustomersQuery = Type.Object(
  {
    external_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    ...ListQuery,
    starting_after: Type.Optional(CustomerId),
  },
  { additionalProperties: false },
);

const PortalSessionBody = Type.Object(
  {
    return_url: Type.Optional(
      Type.String({
        pattern: '^https?://',
        format: 'uri',
        maxLength: 2000,
        description: 'shown in the portal as "Back to <host>"',
      }),
    ),
    locale: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('zh-CN')])),
  },
  { additionalProperties: false },
);
const PortalSession = Type.Object({
  object: Type.Literal('portal_session'),
  url: Type.String(),
  expires_at: Type.String({ format: 'date-time' }),
});

export async function customerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: Static<typeof CreateCustomerBody> }>(
    '/customers',
    {
      schema: {
        tags: ['Customers'],
        summary: 'Create a customer (or return the one with this external_id)',
        body: CreateCustomerBody,
        response: responses({ 200: Customer, 201: Customer }, [400, 401, 409, 422]),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const outcome = await createCustomer(
        ctx.db,
        idempotencyOf(request, false),
        { externalId: b.external_id, email: b.email, name: b.name ?? null, currency: b.currency ?? null },
        ctx.config.platformCurrency,
      );
      return sendOutcome(reply, outcome);
    },
  );

  app.get<{ Querystring: Static<typeof ListCustomersQuery> }>(
    '/customers',
    {
      schema: {
        tags: ['Customers'],
        summary: 'List customers, newest first (or find the one with an external_id)',
        querystring: ListCustomersQuery,
        response: responses({ 200: Type.Object({ data: Type.Array(Customer), has_more: Type.Boolean() }) }, [400, 401]),
      },
    },
    async (request, reply) => {
      const q = request.query;
      return sendJson(
        reply,
        200,
        await listCustomers(
          ctx.db,
          { externalId: q.external_id },
          { limit: limitOf(q), startingAfter: q.starting_after },
        ),
      );
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/customers/:id',
    {
      schema: {
        tags: ['Customers'],
        summary: 'Retrieve a customer',
        params: IdParams,
        response: responses({ 200: Customer }, [400, 401, 404]),
      },
    },
    async (request, reply) => sendJson(reply, 200, await getCustomer(ctx.db, request.params.id)),
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/customers/:id/balances',
    {
      schema: {
        tags: ['Customers'],
        summary: "A customer's balances: wallet and every enabled product",
        params: IdParams,
        response: responses({ 200: Type.Object({ data: Type.Array(BalanceSchema) }) }, [400, 401, 404]),
      },
    },
    async (request, reply) => sendJson(reply, 200, await customerBalances(ctx.db, request.params.id)),
  );

  const StatementQuery = Type.Object({ balance: BalanceName, ...ListQuery }, { additionalProperties: false });
  const Entry = Type.Object({
    id: Type.String(),
    transfer_id: Type.String(),
    kind: Type.String(),
    amount: Type.Integer({ description: 'signed: + credit, − debit' }),
    balance_after: Type.Integer(),
    reference: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
  });
  app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof StatementQuery> }>(
    '/customers/:id/statement',
    {
      schema: {
        tags: ['Customers'],
        summary: "One balance's entries with the running balance, newest first",
        params: IdParams,
        querystring: StatementQuery,
        response: responses(
          { 200: Type.Object({ data: Type.Array(Entry), has_more: Type.Boolean() }) },
          [400, 401, 404, 422],
        ),
      },
    },
    async (request, reply) => {
      const q = request.query;
      const page = await statement(ctx.db, request.params.id, q.balance, limitOf(q), q.starting_after ?? null);
      return sendJson(reply, 200, page);
    },
  );

  // The portal's sign-in links (docs/portal.md), when the portal is served.
  const portal = ctx.portal;
  if (portal) {
    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof PortalSessionBody> }>(
      '/customers/:id/portal_sessions',
      {
        // Every field is optional, and so is the body.
        preValidation: (request, _reply, done) => {
          request.body ??= {};
          done();
        },
        schema: {
          tags: ['Customers'],
          summary: 'A one-time portal sign-in link for a customer (one use, within 5 minutes)',
          description: 'Redirect the customer, already signed in on your platform, to `url`.',
          params: IdParams,
          body: PortalSessionBody,
          response: responses({ 201: PortalSession }, [400, 401, 404]),
        },
      },
      async (request, reply) => {
        const b = request.body;
        const link = await createSigninLink(ctx.db, portal.secret, ctx.config, request.params.id, {
          returnUrl: b.return_url ?? null,
          locale: b.locale ?? null,
          createdBy: `api:${request.apiKey!.id}`,
        });
        return sendJson(reply, 201, link);
      },
    );
  }

  app.get(
    '/products',
    {
      schema: {
        tags: ['Customers'],
        summary: 'Products a balance can be kept for',
        response: responses(
          {
            200: Type.Object({
              data: Type.Array(Type.Object({ code: Type.String(), name: Type.String(), enabled: Type.Boolean() })),
            }),
          },
          [401],
        ),
      },
    },
    async (_request, reply) => sendJson(reply, 200, await listProducts(ctx.db)),
  );
}
