import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.js';
import {
  customerCancel,
  customerMarkPaid,
  customerOrder,
  customerProof,
  customerProofs,
  customerTopup,
  ownOrder,
  type PortalService,
} from '../../portal/index.js';
import { receiptPdf } from '../../topups/receipt-pdf.js';
import { PROOF_MAX_BYTES } from '../../topups/proofs.js';
import { listTopups, ordersCsv } from '../../topups/index.js';
import { sendJson, sendJsonText, sendOutcome, type AppContext } from '../context.js';
import {
  Amount,
  BalanceName,
  Currency,
  HistoryFilters,
  historyFiltersOf,
  ListQuery,
  limitOf,
  OrderId,
  PROOF_TYPES,
  TopupMethod,
} from '../schemas.js';
import { OrderParams, Pin, portalIdempotency, sessionOf } from './common.js';

const TopupBody = Type.Object(
  {
    balance: BalanceName,
    amount: Amount,
    currency: Currency,
    method: TopupMethod,
    network: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{2,12}$' })),
    payment_password: Type.Optional(Pin),
  },
  { additionalProperties: false },
);
const ListQueryS = Type.Object(
  { ...HistoryFilters, ...ListQuery, starting_after: Type.Optional(OrderId) },
  { additionalProperties: false },
);
const CsvQuery = Type.Object(HistoryFilters, { additionalProperties: false });
const ProofParams = Type.Object(
  { id: OrderId, proof: Type.String({ pattern: '^prf_[0-9a-z]{26}$' }) },
  { additionalProperties: false },
);

/** Top-up creation per session. */
const TOPUP_LIMIT = {
  max: 30,
  timeWindow: 60_000,
  keyGenerator: (request: { portalSession: { id: string } | null; ip: string }) =>
    request.portalSession?.id ?? request.ip,
};

type IdReq = { Params: Static<typeof OrderParams> };

/** The customer's top-up orders: create, history, one order, cancel, bank-transfer proof, receipt. */
export async function topupRoutes(app: FastifyInstance, ctx: AppContext, portal: PortalService): Promise<void> {
  const deps = { db: ctx.db, config: ctx.config, providers: ctx.providers };

  app.post<{ Body: Static<typeof TopupBody> }>(
    '/topups',
    { config: { rateLimit: TOPUP_LIMIT }, schema: { body: TopupBody } },
    async (request, reply) => {
      const b = request.body;
      const outcome = await customerTopup(deps, sessionOf(request).customer, portalIdempotency(request, portal), {
        balance: b.balance,
        amountMinor: BigInt(b.amount),
        currency: b.currency,
        method: b.method,
        network: b.network ?? null,
        paymentPassword: b.payment_password,
      });
      return sendOutcome(reply, outcome);
    },
  );

  app.get<{ Querystring: Static<typeof ListQueryS> }>(
    '/topups',
    { schema: { querystring: ListQueryS } },
    async (request, reply) => {
      const q = request.query;
      const page = await listTopups(
        ctx.db,
        historyFiltersOf({ ...q, customer: sessionOf(request).customer.id }),
        { limit: limitOf(q), startingAfter: q.starting_after },
        ctx.pool,
      );
      return sendJsonText(reply, 200, page);
    },
  );

  app.get<{ Querystring: Static<typeof CsvQuery> }>(
    '/topups.csv',
    { schema: { querystring: CsvQuery } },
    async (request, reply) => {
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="topups.csv"');
      return reply.send(
        Readable.from(
          ordersCsv(ctx.db, historyFiltersOf({ ...request.query, customer: sessionOf(request).customer.id })),
        ),
      );
    },
  );

  app.get<IdReq>('/topups/:id', { schema: { params: OrderParams } }, async (request, reply) =>
    sendJson(reply, 200, await customerOrder(ctx.db, sessionOf(request).customer.id, request.params.id, ctx.pool)),
  );

  app.post<IdReq>('/topups/:id/cancel', { schema: { params: OrderParams } }, async (request, reply) =>
    sendOutcome(reply, await customerCancel(ctx.db, sessionOf(request).customer.id, request.params.id)),
  );

  app.post<IdReq>('/topups/:id/mark_paid', { schema: { params: OrderParams } }, async (request, reply) =>
    sendJson(
      reply,
      200,
      (await customerMarkPaid(ctx.db, ctx.config.dataDir, sessionOf(request).customer.id, request.params.id, null))
        .order,
    ),
  );

  await app.register(async (scope) => {
    // The proof is the raw body (what it really is gets checked from its bytes).
    scope.addContentTypeParser(PROOF_TYPES, { parseAs: 'buffer', bodyLimit: PROOF_MAX_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    scope.post<IdReq>(
      '/topups/:id/proof',
      { bodyLimit: PROOF_MAX_BYTES, schema: { params: OrderParams } },
      async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        return sendJson(
          reply,
          201,
          await customerMarkPaid(ctx.db, ctx.config.dataDir, sessionOf(request).customer.id, request.params.id, body),
        );
      },
    );
  });

  app.get<IdReq>('/topups/:id/proofs', { schema: { params: OrderParams } }, async (request, reply) =>
    sendJson(reply, 200, await customerProofs(ctx.db, sessionOf(request).customer.id, request.params.id)),
  );

  app.get<{ Params: Static<typeof ProofParams> }>(
    '/topups/:id/proofs/:proof',
    { schema: { params: ProofParams } },
    async (request, reply) => {
      const p = await customerProof(ctx.db, sessionOf(request).customer.id, request.params.id, request.params.proof);
      return reply
        .header('content-type', p.contentType)
        .header('content-disposition', `attachment; filename="${p.filename}"`)
        .send(p.bytes);
    },
  );

  app.get<IdReq>('/topups/:id/receipt.pdf', { schema: { params: OrderParams } }, async (request, reply) => {
    const customer = sessionOf(request).customer.id;
    await ownOrder(ctx.db, customer, request.params.id);
    const pdf = await receiptPdf(ctx.db, ctx.config, customer, request.params.id);
    if (!pdf) throw notFound('receipt for top-up', request.params.id);
    return reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `attachment; filename="receipt-${request.params.id}.pdf"`)
      .send(pdf);
  });
}
