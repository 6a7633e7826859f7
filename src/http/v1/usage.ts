import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  captureHold,
  createGrant,
  createHold,
  createWalletTransfer,
  getHold,
  HOLD_DEFAULT_SECONDS,
  HOLD_MAX_SECONDS,
  voidHold,
} from '../../ledger/index.js';
import { idempotencyOf, sendJson, sendOutcome, type AppContext } from '../context.js';
import {
  Amount,
  BalanceAfter,
  BalanceName,
  Currency,
  CustomerId,
  Description,
  HoldId,
  Metadata,
  responses,
} from '../schemas.js';

const ChargeBody = Type.Object(
  {
    customer: CustomerId,
    balance: BalanceName,
    amount: Amount,
    currency: Currency,
    description: Type.Optional(Description),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
const Charge = Type.Object({
  id: Type.String(),
  object: Type.Literal('charge'),
  customer: Type.String(),
  balance: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  status: Type.Literal('succeeded'),
  description: Type.Union([Type.String(), Type.Null()]),
  metadata: Type.Unknown(),
  transfer_id: Type.String(),
  balance_after: BalanceAfter,
  created_at: Type.String({ format: 'date-time' }),
});

const HoldBody = Type.Object(
  {
    customer: CustomerId,
    balance: BalanceName,
    amount: Amount,
    currency: Currency,
    expires_in_seconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: HOLD_MAX_SECONDS, default: HOLD_DEFAULT_SECONDS }),
    ),
    description: Type.Optional(Description),
  },
  { additionalProperties: false },
);
const Hold = Type.Object({
  id: Type.String(),
  object: Type.Literal('hold'),
  customer: Type.String(),
  balance: Type.String(),
  amount: Type.Integer(),
  currency: Type.String(),
  captured_amount: Type.Integer(),
  status: Type.Union([
    Type.Literal('active'),
    Type.Literal('captured'),
    Type.Literal('voided'),
    Type.Literal('expired'),
  ]),
  description: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.String({ format: 'date-time' }),
  created_at: Type.String({ format: 'date-time' }),
  closed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  balance_after: Type.Optional(BalanceAfter),
});
const HoldParams = Type.Object({ id: HoldId }, { additionalProperties: false });
const CaptureBody = Type.Union([
  Type.Object({ amount: Type.Optional(Amount) }, { additionalProperties: false }),
  Type.Null(),
]);

const GrantBody = Type.Object(
  {
    customer: CustomerId,
    balance: BalanceName,
    amount: Amount,
    currency: Currency,
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);
const TransferBody = Type.Object(
  { customer: CustomerId, from: Type.Literal('wallet'), to: BalanceName, amount: Amount, currency: Currency },
  { additionalProperties: false },
);

export async function usageRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.post<{ Body: Static<typeof ChargeBody> }>(
    '/charges',
    {
      schema: {
        tags: ['Usage'],
        summary: 'Charge usage against a balance',
        description:
          'Concurrent charges on one balance are committed together (group commit); each keeps its own result and idempotency.',
        body: ChargeBody,
        response: responses({ 201: Charge }, [400, 401, 402, 403, 404, 409, 422, 503]),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const outcome = await ctx.batcher.charge(idempotencyOf(request, true), {
        customer: b.customer,
        balance: b.balance,
        amountMinor: BigInt(b.amount),
        currency: b.currency,
        description: b.description ?? null,
        metadata: b.metadata ?? null,
      });
      return sendOutcome(reply, outcome);
    },
  );

  app.post<{ Body: Static<typeof HoldBody> }>(
    '/holds',
    {
      schema: {
        tags: ['Usage'],
        summary: 'Reserve an amount now, capture or void it later',
        body: HoldBody,
        response: responses({ 201: Hold }, [400, 401, 402, 403, 404, 409, 422]),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const outcome = await createHold(ctx.db, idempotencyOf(request, true), {
        customer: b.customer,
        balance: b.balance,
        amountMinor: BigInt(b.amount),
        currency: b.currency,
        expiresInSeconds: b.expires_in_seconds ?? HOLD_DEFAULT_SECONDS,
        description: b.description ?? null,
      });
      return sendOutcome(reply, outcome);
    },
  );

  app.get<{ Params: Static<typeof HoldParams> }>(
    '/holds/:id',
    {
      schema: {
        tags: ['Usage'],
        summary: 'Retrieve a hold',
        params: HoldParams,
        response: responses({ 200: Hold }, [400, 401, 404]),
      },
    },
    async (request, reply) => sendJson(reply, 200, await getHold(ctx.db, request.params.id)),
  );

  app.post<{ Params: Static<typeof HoldParams>; Body: Static<typeof CaptureBody> }>(
    '/holds/:id/capture',
    {
      schema: {
        tags: ['Usage'],
        summary: 'Capture a hold (all of it, or a smaller amount; the rest is released)',
        params: HoldParams,
        body: CaptureBody,
        response: responses({ 200: Hold }, [400, 401, 404, 409]),
      },
    },
    async (request, reply) => {
      const amount = request.body?.amount;
      const outcome = await captureHold(
        ctx.db,
        idempotencyOf(request, false),
        request.params.id,
        amount === undefined ? null : BigInt(amount),
      );
      return sendOutcome(reply, outcome);
    },
  );

  app.post<{ Params: Static<typeof HoldParams> }>(
    '/holds/:id/void',
    {
      schema: {
        tags: ['Usage'],
        summary: 'Release a hold without charging it',
        params: HoldParams,
        body: Type.Union([Type.Object({}, { additionalProperties: false }), Type.Null()]),
        response: responses({ 200: Hold }, [400, 401, 404, 409]),
      },
    },
    async (request, reply) =>
      sendOutcome(reply, await voidHold(ctx.db, idempotencyOf(request, false), request.params.id)),
  );

  app.post<{ Body: Static<typeof GrantBody> }>(
    '/grants',
    {
      schema: {
        tags: ['Usage'],
        summary: 'Credit promotional or goodwill money (never refundable)',
        body: GrantBody,
        response: responses({ 201: Type.Object({}, { additionalProperties: true }) }, [400, 401, 404, 409, 422]),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const outcome = await createGrant(ctx.db, idempotencyOf(request, true), {
        customer: b.customer,
        balance: b.balance,
        amountMinor: BigInt(b.amount),
        currency: b.currency,
        reason: b.reason,
      });
      return sendOutcome(reply, outcome);
    },
  );

  app.post<{ Body: Static<typeof TransferBody> }>(
    '/transfers',
    {
      schema: {
        tags: ['Usage'],
        summary: 'Move wallet balance into a product balance',
        body: TransferBody,
        response: responses(
          { 201: Type.Object({}, { additionalProperties: true }) },
          [400, 401, 402, 403, 404, 409, 422],
        ),
      },
    },
    async (request, reply) => {
      const b = request.body;
      const outcome = await createWalletTransfer(ctx.db, idempotencyOf(request, true), {
        customer: b.customer,
        from: b.from,
        to: b.to,
        amountMinor: BigInt(b.amount),
        currency: b.currency,
      });
      return sendOutcome(reply, outcome);
    },
  );
}
