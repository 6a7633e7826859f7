import type { FastifyError, FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from '../db/pool.js';
import { CofferError } from '../errors.js';

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
}

function fieldsOf(validation: AjvError[], context: string | undefined): { field: string; problem: string }[] {
  return validation.map((e) => {
    const base = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const child = e.params?.missingProperty ?? e.params?.additionalProperty;
    const field = [base, child].filter(Boolean).join('.') || context || 'body';
    const problem =
      e.keyword === 'additionalProperties' ? 'is not a known field' : e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid');
    return { field, problem };
  });
}

/** One error handler: catalogue errors as documented, validation as 400, database outages as 503, the rest as a bare 500. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { validation?: AjvError[]; validationContext?: string }, request, reply) => {
    if (err instanceof CofferError) return reply.code(err.status).send(err.toBody());
    if (err.validation) {
      const fields = fieldsOf(err.validation, err.validationContext);
      const first = fields[0];
      return reply.code(400).send({
        error: { code: 'invalid_request', message: `${first.field} ${first.problem}.`, details: { fields } },
      });
    }
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(400).send({
        error: { code: 'invalid_request', message: 'The request body is too large.', details: { fields: [{ field: 'body', problem: 'is too large' }] } },
      });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Malformed JSON, wrong content type, empty body and the like.
      return reply.code(400).send({
        error: { code: 'invalid_request', message: err.message, details: { fields: [{ field: 'body', problem: err.message }] } },
      });
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable');
      return reply.code(503).header('retry-after', '1').send({
        error: { code: 'unavailable', message: 'The service is temporarily unavailable; retry shortly.' },
      });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side.' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` } });
  });
}
