import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  listProofs,
  markBankTransferPaidOnce,
  PROOF_MAX_BYTES,
  proofFingerprint,
  readProof,
} from '../../topups/proofs.js';
import { idempotencyOf, sendJson, sendOutcome, type AppContext } from '../context.js';
import { PROOF_TYPES, responses } from '../schemas.js';

const Params = Type.Object({ id: Type.String({ pattern: '^ord_[0-9a-z]{26}$' }) }, { additionalProperties: false });
const ProofParams = Type.Object(
  { id: Type.String({ pattern: '^ord_[0-9a-z]{26}$' }), proof: Type.String({ pattern: '^prf_[0-9a-z]{26}$' }) },
  { additionalProperties: false },
);

/**
 * Bank-transfer proof of payment. The file is the raw request body (any of the content types
 * above; what it really is gets checked from its bytes). These are additions to the contract (docs/api.md) for the
 * portal and for platforms that collect the proof themselves.
 */
export async function proofRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(PROOF_TYPES, { parseAs: 'buffer', bodyLimit: PROOF_MAX_BYTES }, (_request, body, done) =>
      done(null, body),
    );

    scope.post<{ Params: Static<typeof Params> }>(
      '/topups/:id/proof',
      {
        bodyLimit: PROOF_MAX_BYTES,
        schema: {
          tags: ['Top-ups'],
          summary: 'Attach proof of a bank transfer (PNG, JPEG or PDF ≤ 5 MB as the body) and mark it paid',
          description: 'Moves a pending bank-transfer order to processing for staff review.',
          params: Params,
          response: responses({}, [400, 401, 404, 409]),
        },
      },
      async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const idem = idempotencyOf(request, false, proofFingerprint(body));
        return sendOutcome(
          reply,
          await markBankTransferPaidOnce(ctx.db, ctx.config.dataDir, idem, request.params.id, body, 'api'),
        );
      },
    );
  });

  app.post<{ Params: Static<typeof Params> }>(
    '/topups/:id/mark_paid',
    {
      schema: {
        tags: ['Top-ups'],
        summary: 'The customer says the bank transfer is paid (no proof)',
        params: Params,
        response: responses({}, [400, 401, 404, 409]),
      },
    },
    async (request, reply) =>
      sendOutcome(
        reply,
        await markBankTransferPaidOnce(
          ctx.db,
          ctx.config.dataDir,
          idempotencyOf(request, false),
          request.params.id,
          null,
          'api',
        ),
      ),
  );

  app.get<{ Params: Static<typeof Params> }>(
    '/topups/:id/proofs',
    {
      schema: {
        tags: ['Top-ups'],
        summary: "A bank-transfer order's proofs of payment",
        params: Params,
        response: responses({}, [400, 401, 404]),
      },
    },
    async (request, reply) => sendJson(reply, 200, await listProofs(ctx.db, request.params.id)),
  );

  app.get<{ Params: Static<typeof ProofParams> }>(
    '/topups/:id/proofs/:proof',
    { schema: { tags: ['Top-ups'], summary: 'Download one proof of payment', params: ProofParams } },
    async (request, reply) => {
      const p = await readProof(ctx.db, request.params.id, request.params.proof);
      return reply
        .header('content-type', p.contentType)
        .header('content-disposition', `attachment; filename="${p.filename}"`)
        .header('x-content-type-options', 'nosniff')
        .send(p.bytes);
    },
  );
}
