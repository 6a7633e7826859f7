// Property-based fuzzing of the platform API's request schemas (issue 15): every generated bad
// request gets a 4xx in the error envelope and changes nothing; every valid one either succeeds or
// fails with a documented refusal on its own. Bad requests are made from a valid body by one of:
// dropping a required field, giving a field a value of another type or shape, adding an unknown
// field, putting a NUL byte or a lone surrogate into a string, or replacing the whole body.
import crypto from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../../src/errors.js';
import { setupHarness, type Res } from './harness.js';

const h = await setupHarness();
/** API_FUZZ_RUNS=2000 for a longer hunt; the default keeps the file to a few seconds. */
const RUNS = Number(process.env.API_FUZZ_RUNS ?? 150);

let customer: string;

beforeAll(async () => {
  customer = await h.newCustomer({ wallet: 1_000_000, products: { sms: 10_000 } });
  await h.post('/v1/fx-rates', { base: 'USD', quote: 'CNY', rate: '7.20' });
});

/** Valid bodies of the money and write endpoints; `required` are the fields a body must have. */
function endpoints() {
  return [
    {
      url: '/v1/customers',
      body: { external_id: `f-${crypto.randomUUID()}`, email: 'f@example.com', name: 'F' },
      required: ['external_id', 'email'],
    },
    {
      url: '/v1/charges',
      body: { customer, balance: 'wallet', amount: 1, currency: 'USD', description: 'fuzz', metadata: { k: 'v' } },
      required: ['customer', 'balance', 'amount', 'currency'],
    },
    {
      url: '/v1/holds',
      body: { customer, balance: 'sms', amount: 1, currency: 'USD', expires_in_seconds: 60 },
      required: ['customer', 'balance', 'amount', 'currency'],
    },
    {
      url: '/v1/grants',
      body: { customer, balance: 'wallet', amount: 1, currency: 'USD', reason: 'fuzz' },
      required: ['customer', 'balance', 'amount', 'currency', 'reason'],
    },
    {
      url: '/v1/transfers',
      body: { customer, from: 'wallet', to: 'sms', amount: 1, currency: 'USD' },
      required: ['customer', 'from', 'to', 'amount', 'currency'],
    },
    {
      url: '/v1/topups',
      body: { customer, balance: 'wallet', amount: 1_000, currency: 'USD', method: 'bank_transfer' },
      required: ['customer', 'balance', 'amount', 'currency', 'method'],
    },
    {
      url: '/v1/fx-rates',
      body: { base: 'USD', quote: 'EUR', rate: '0.92', source: 'fuzz' },
      required: ['base', 'quote', 'rate'],
    },
  ];
}

type Body = Record<string, unknown>;
type Mutation = { what: string; apply: (body: Body, required: string[]) => unknown };

/** A value of a type or shape that no field of these bodies accepts where a string, an amount or an object is expected. */
const wrongValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: false }).filter((d) => !Number.isInteger(d)),
  fc.integer({ min: -1_000_000, max: 0 }),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 1, 1.5, -1, 0, 2 ** 64),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.anything({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.string({ minLength: 300, maxLength: 2_000 }),
);

const poison = fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfffy');

function mutations(): fc.Arbitrary<Mutation> {
  const field = fc.nat({ max: 50 });
  return fc.oneof(
    field.map((i) => ({
      what: 'drop a required field',
      apply: (b: Body, req: string[]) => {
        const copy = { ...b };
        delete copy[req[i % req.length]];
        return copy;
      },
    })),
    fc.tuple(field, wrongValue).map(([i, v]) => ({
      what: `a field set to ${JSON.stringify(v)?.slice(0, 40)}`,
      apply: (b: Body) => {
        const keys = Object.keys(b);
        const k = keys[i % keys.length];
        // A long string may still be a valid string field (a name), any small object a valid
        // `metadata`, and a customer's name may be null: a number is wrong for all of them.
        const valid =
          (typeof b[k] === 'string' && typeof v === 'string') ||
          (k === 'metadata' && v !== null && typeof v === 'object' && !Array.isArray(v)) ||
          (k === 'name' && v === null);
        return { ...b, [k]: valid ? 12 : v };
      },
    })),
    fc.string({ minLength: 1, maxLength: 20 }).map((extra) => ({
      what: `unknown field ${JSON.stringify(extra)}`,
      apply: (b: Body) => ({ ...b, [`x_${extra}`]: 1 }),
    })),
    fc.tuple(field, poison).map(([i, p]) => ({
      what: `a string with ${JSON.stringify(p)}`,
      apply: (b: Body) => {
        const strings = Object.keys(b).filter((k) => typeof b[k] === 'string');
        if (strings.length === 0) return { ...b, metadata: { [p]: p } };
        const k = strings[i % strings.length];
        return { ...b, [k]: `${String(b[k])}${p}` };
      },
    })),
    fc.oneof(fc.constant(null), fc.constant([]), fc.string({ maxLength: 10 }), fc.integer()).map((whole) => ({
      what: `the whole body ${JSON.stringify(whole)}`,
      apply: () => whole,
    })),
  );
}

/** Everything a request could have changed. */
async function world() {
  const { rows } = await sql<Record<string, string>>`
    SELECT (SELECT count(*) FROM transfers)::text AS transfers, (SELECT count(*) FROM entries)::text AS entries,
           (SELECT count(*) FROM holds)::text AS holds, (SELECT count(*) FROM customers)::text AS customers,
           (SELECT count(*) FROM orders)::text AS orders, (SELECT count(*) FROM fx_rates)::text AS rates,
           (SELECT count(*) FROM idempotency_keys)::text AS keys,
           (SELECT string_agg(code || '=' || posted || '/' || held, ',' ORDER BY code) FROM accounts WHERE customer_id = ${customer}) AS balances`.execute(
    h.handle.db,
  );
  return rows[0];
}

function expectEnvelope(res: Res, what: string): void {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
  expect(res.body?.error, what).toEqual(
    expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  );
  expect(ERROR_STATUS[res.body.error.code as keyof typeof ERROR_STATUS], `${what}: code ${res.body.error.code}`).toBe(
    res.status,
  );
}

describe('the API under generated bad requests', () => {
  it('answers every malformed body with a 4xx in the envelope and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 100 }), mutations(), async (pick, m) => {
        const list = endpoints();
        const e = list[pick % list.length];
        const body = m.apply(e.body, e.required);
        const before = await world();
        const res = await h.call('POST', e.url, JSON.stringify(body), {
          'idempotency-key': `fz-${crypto.randomUUID()}`,
        });
        const what = `POST ${e.url} with ${m.what}`;
        expectEnvelope(res, what);
        expect(await world(), what).toEqual(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses bad query parameters and path ids with a 4xx in the envelope', async () => {
    const urls = fc.oneof(
      fc.string({ maxLength: 30 }).map((s) => `/v1/customers/${encodeURIComponent(s)}`),
      fc.string({ maxLength: 30 }).map((s) => `/v1/topups?status=${encodeURIComponent(s)}`),
      fc.string({ maxLength: 30 }).map((s) => `/v1/topups?limit=${encodeURIComponent(s)}`),
      fc.string({ maxLength: 30 }).map((s) => `/v1/customers/${customer}/statement?balance=${encodeURIComponent(s)}`),
      fc.string({ maxLength: 30 }).map((s) => `/v1/topups?starting_after=${encodeURIComponent(s)}`),
      // NUL and the bytes of a lone surrogate (not valid UTF-8), as a client could send them
      fc.constantFrom('%00', 'a%00b', '%ED%A0%80', 'x%ED%BF%BFy').map((p) => `/v1/topups?balance=${p}`),
    );
    await fc.assert(
      fc.asyncProperty(urls, async (url) => {
        const res = await h.call('GET', url);
        if (res.status === 200) return; // a value that happens to be valid (an empty filter, "wallet")
        expectEnvelope(res, `GET ${url}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('judges valid requests on their own: each succeeds or gets a documented refusal, and concurrent ones do not fail each other', async () => {
    const amounts = fc.array(fc.integer({ min: 1, max: 5_000 }), { minLength: 5, maxLength: 20 });
    await fc.assert(
      fc.asyncProperty(amounts, async (list) => {
        const results = await Promise.all(
          list.map((amount) =>
            h.post('/v1/charges', {
              customer,
              balance: 'sms',
              amount,
              currency: 'USD',
              description: `valid ${amount}`,
            }),
          ),
        );
        for (const r of results) {
          if (r.status === 201) continue;
          expect(r.status, JSON.stringify(r.body)).toBe(402);
          expect(r.body.error.code).toBe('insufficient_funds');
        }
        const sms = await h.balance(customer, 'sms');
        expect(sms.available).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 10 },
    );
  });
});
