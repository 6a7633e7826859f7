import type { FastifyError, FastifyInstance } from 'fastify';
import { isDatabaseUnavailable } from '../db/pool.js';
import { CofferError } from '../errors.js';

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { missingProperty?: string; additionalProperty?: string; allowedValue?: unknown; allowedValues?: unknown[] };
}

/**
 * One problem per field, in the order AJV found them. A value outside a fixed set (a union of
 * literals fails once per literal, then once for the union itself) becomes a single problem that
 * lists the allowed values.
 */
function fieldsOf(validation: AjvError[], context: string | undefined): { field: string; problem: string }[] {
  const fields: { field: string; problem: string }[] = [];
  // field → its entry in `fields` (the problem is written once every allowed value is known)
  const sets = new Map<string, { entry: { field: string; problem: string }; values: unknown[] }>();
  for (const e of validation) {
    const base = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const child = e.params?.missingProperty ?? e.params?.additionalProperty;
    const field = [base, child].filter(Boolean).join('.') || context || 'body';
    if (e.keyword === 'const' || e.keyword === 'enum') {
      let set = sets.get(field);
      if (!set) {
        set = { entry: { field, problem: '' }, values: [] };
        sets.set(field, set);
        fields.push(set.entry);
      }
      set.values.push(...(e.keyword === 'const' ? [e.params?.allowedValue] : (e.params?.allowedValues ?? [])));
      continue;
    }
    if (e.keyword === 'anyOf' && sets.has(field)) continue;
    const problem =
      e.keyword === 'additionalProperties' ? 'is not a known field' : e.keyword === 'required' ? 'is required' : (e.message ?? 'is invalid');
    fields.push({ field, problem });
  }
  for (const set of sets.values()) {
    set.entry.problem = set.values.length === 1 ? `must be ${String(set.values[0])}` : `must be one of: ${set.values.map(String).join(', ')}`;
  }
  return fields;
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
