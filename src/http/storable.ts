import type { FastifyRequest } from 'fastify';
import { CofferError } from '../errors.js';

/**
 * PostgreSQL cannot store U+0000 in text or jsonb, and the driver silently replaces an unpaired
 * UTF-16 surrogate: either would fail (500) or alter the value deep in a use case — and inside a
 * charge batch it would fail its neighbours too. So every string a request carries is checked
 * once, here, before validation and before any database work.
 */
// eslint-disable-next-line no-control-regex -- NUL is what is refused
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const UNSTORABLE_PROBLEM = 'must not contain NUL characters or unpaired UTF-16 surrogates';

export const isUnstorable = (s: string): boolean => UNSTORABLE.test(s);

type Problem = { field: string; problem: string };

/**
 * The fields of `value` holding an unstorable string, named as validation names them
 * (`metadata.note`, `items.0`); a bad object key names the object. Iterative: a deeply nested
 * body must not overflow the stack.
 */
export function unstorableFields(value: unknown, root = '', max = 20): Problem[] {
  const found: Problem[] = [];
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0 && found.length < max) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (isUnstorable(v)) found.push({ field: path || 'body', problem: UNSTORABLE_PROBLEM });
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], path ? `${path}.${i}` : String(i)]);
    } else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      const keys = Object.keys(v);
      if (keys.some(isUnstorable)) found.push({ field: path || 'body', problem: `keys ${UNSTORABLE_PROBLEM}` });
      for (let i = keys.length - 1; i >= 0; i--) {
        if (!isUnstorable(keys[i]))
          stack.push([(v as Record<string, unknown>)[keys[i]], path ? `${path}.${keys[i]}` : keys[i]]);
      }
    }
  }
  return found;
}

/** A `preValidation` hook for the whole app: path parameters, query and parsed body (raw bodies are the route's business). */
export function refuseUnstorableStrings(request: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void {
  const fields = [
    ...unstorableFields(request.params),
    ...unstorableFields(request.query),
    ...unstorableFields(request.body),
  ];
  if (fields.length === 0) return done();
  const first = fields[0];
  done(new CofferError('invalid_request', `${first.field} ${first.problem}.`, { fields }));
}
