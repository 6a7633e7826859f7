import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/pool.js';
import { CofferError, notFound, type ErrorCode } from '../errors.js';

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
      e.keyword === 'additionalProperties'
        ? 'is not a known field'
        : e.keyword === 'required'
          ? 'is required'
          : (e.message ?? 'is invalid');
    fields.push({ field, problem });
  }
  for (const set of sets.values()) {
    set.entry.problem =
      set.values.length === 1
        ? `must be ${String(set.values[0])}`
        : `must be one of: ${set.values.map(String).join(', ')}`;
  }
  return fields;
}

/** What a path segment names, for "No <thing> with id <id>." (the segment before the parameter). */
const THINGS: Record<string, string> = {
  customers: 'customer',
  topups: 'top-up',
  holds: 'hold',
  proofs: 'payment proof',
  sessions: 'session',
  checkout: 'sandbox payment',
  crypto: 'sandbox payment',
  orders: 'top-up',
  webhooks: 'webhook endpoint',
};

/**
 * A path parameter that fails its pattern names something that cannot exist: 404 like any
 * unknown id (a malformed body field stays 400).
 */
function paramNotFound(request: FastifyRequest, validation: AjvError[]): CofferError {
  const params = (request.params ?? {}) as Record<string, string>;
  const name = (validation[0]?.instancePath ?? '').replace(/^\//, '').split('/')[0] || Object.keys(params)[0] || 'id';
  const id = String(params[name] ?? '');
  const segments = (request.routeOptions.url ?? '').split('/');
  const before = segments[segments.indexOf(`:${name}`) - 1] ?? '';
  return notFound(THINGS[before] ?? before.replace(/s$/, ''), id);
}

/** The body of an error answered outside the error handler (framework refusals, the raw socket). */
const envelope = (code: ErrorCode, message: string, details?: Record<string, unknown>): string =>
  JSON.stringify(new CofferError(code, message, details).toBody());

/** Fastify's router default: the longest path parameter it matches (longer → 414 uri_too_long). */
export const MAX_PARAM_LENGTH = 100;

/** Fastify's `frameworkErrors`: router refusals (malformed percent-encoding, over-long parameters) in the envelope too. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  let error: CofferError;
  if (err.code === 'FST_ERR_BAD_URL') {
    error = new CofferError('invalid_request', 'The URL is not validly percent-encoded.', {
      fields: [{ field: 'url', problem: 'is not validly percent-encoded' }],
    });
  } else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    error = new CofferError('uri_too_long', `A path segment is longer than ${MAX_PARAM_LENGTH} characters.`);
  } else {
    error = new CofferError('invalid_request', 'The request could not be routed.');
  }
  reply
    .code(error.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(envelope(error.code, error.message, error.details));
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before Fastify sees a request
 * (invalid header characters, oversized headers, timeouts) is answered on the socket in the envelope.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request_timeout', 'The request took too long to arrive.']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'headers_too_large', 'The request line and headers are too large.']
        : [400, 'invalid_request', 'The request is not valid HTTP (a malformed request line or header).'];
  const body = envelope(code, message);
  if (!socket.writable) return void socket.destroy();
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * One error handler: catalogue errors as documented, body and query validation as 400, path
 * parameters as 404, other framework refusals in the envelope with their status, database outages
 * as 503, the rest as a bare 500.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { validation?: AjvError[]; validationContext?: string }, request, reply) => {
    if (err instanceof CofferError) return reply.code(err.status).send(err.toBody());
    if (err.validation) {
      if (err.validationContext === 'params') {
        const missing = paramNotFound(request, err.validation);
        return reply.code(missing.status).send(missing.toBody());
      }
      const fields = fieldsOf(err.validation, err.validationContext);
      const first = fields[0];
      return reply.code(400).send({
        error: { code: 'invalid_request', message: `${first.field} ${first.problem}.`, details: { fields } },
      });
    }
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit;
      return reply.code(413).send({
        error: {
          code: 'payload_too_large',
          message: `The request body is larger than ${limit} bytes.`,
          details: { limit_bytes: limit, fields: [{ field: 'body', problem: `is larger than ${limit} bytes` }] },
        },
      });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Malformed JSON, wrong content type, empty body and the like.
      return reply.code(400).send({
        error: {
          code: 'invalid_request',
          message: err.message,
          details: { fields: [{ field: 'body', problem: err.message }] },
        },
      });
    }
    if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({
          error: { code: 'unavailable', message: 'The service is temporarily unavailable; retry shortly.' },
        });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'internal_error', message: 'Something went wrong on our side.' } });
  });

  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send({ error: { code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.` } });
  });
}
