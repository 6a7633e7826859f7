// Model-based property tests of the usage API (grants, charges, holds, captures, voids, wallet→product
// transfers, idempotent replays, hold expiry) against a small in-memory model of the balances.
//
// Every run uses a fresh customer and a random sequence of operations. After every step the API's
// balances (GET /v1/customers/{id}/balances) must equal the model's, and each response's status
// (and the essential parts of its body) must be what the model predicts.
//
// Time: PostgreSQL's clock cannot be faked, so "time passes for a hold" is simulated with SQL: the
// hold's expires_at is moved into the past, and the account's next_hold_expiry (the stored earliest
// expiry of its active holds, which real time would already have reached) is lowered to match. No
// sweep runs: the code must release expired holds lazily. A second, short property uses real
// 1-second holds and real waits.
import crypto from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setupHarness, type Res } from './harness.js';

const h = await setupHarness();

/** LEDGER_MODEL_RUNS=500 LEDGER_MODEL_CONCURRENT_RUNS=100 for a longer bug hunt; the defaults keep the file well under a minute. */
const RUNS = Number(process.env.LEDGER_MODEL_RUNS ?? 40);
const CONCURRENT_RUNS = Number(process.env.LEDGER_MODEL_CONCURRENT_RUNS ?? 8);

const PRODUCTS = ['sms', 'whatsapp'] as const;
const BALANCES = ['wallet', ...PRODUCTS] as const;
type Product = (typeof PRODUCTS)[number];
type Bal = (typeof BALANCES)[number];
type HoldStatus = 'active' | 'captured' | 'voided' | 'expired';

type Op =
  | { kind: 'grant'; balance: Bal; amount: number }
  | { kind: 'charge'; balance: Bal; amount: number }
  | { kind: 'hold'; balance: Bal; amount: number; short: boolean }
  | { kind: 'capture'; pick: number; amount: number | null; keyed: boolean }
  | { kind: 'void'; pick: number; keyed: boolean }
  | { kind: 'transfer'; to: Product; amount: number }
  | { kind: 'replay'; pick: number }
  | { kind: 'reuse'; pick: number }
  | { kind: 'expire'; pick: number }
  | { kind: 'wait' };

// ---------------------------------------------------------------------------------------------
// The model

interface MHold {
  id: string;
  balance: Bal;
  amount: number;
  status: HoldStatus;
  captured: number;
  /** ms since epoch, as the API reported it (or moved into the past by the 'expire' operation) */
  expiresAt: number;
}

interface Sent {
  url: string;
  body: Record<string, unknown>;
  key: string;
  status: number;
  resBody: unknown;
}

interface View {
  posted: number;
  held: number;
  available: number;
}

class Model {
  posted: Record<Bal, number> = { wallet: 0, sms: 0, whatsapp: 0 };
  /** statement entries per balance, oldest first */
  entries: Record<Bal, { kind: string; amount: number; balance_after: number }[]> = {
    wallet: [],
    sms: [],
    whatsapp: [],
  };
  holds: MHold[] = [];
  /** requests sent with an Idempotency-Key whose answer is recorded (everything but 400s) */
  sent: Sent[] = [];

  post(b: Bal, kind: string, amount: number): void {
    this.posted[b] += amount;
    this.entries[b].push({ kind, amount, balance_after: this.posted[b] });
  }

  /** Holds whose expires_at has passed are expired: they hold nothing and cannot move. */
  settle(now: number): void {
    for (const x of this.holds) if (x.status === 'active' && x.expiresAt <= now) x.status = 'expired';
  }

  held(b: Bal): number {
    return this.holds.filter((x) => x.balance === b && x.status === 'active').reduce((s, x) => s + x.amount, 0);
  }

  view(b: Bal): View {
    const held = this.held(b);
    return { posted: this.posted[b], held, available: this.posted[b] - held };
  }

  views(): Record<Bal, View> {
    return { wallet: this.view('wallet'), sms: this.view('sms'), whatsapp: this.view('whatsapp') };
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const balArb = fc.constantFrom<Bal>('wallet', 'wallet', 'sms', 'whatsapp');
const productArb = fc.constantFrom<Product>(...PRODUCTS);
const smallAmount = fc.integer({ min: 1, max: 60 });
const pickArb = fc.nat({ max: 1000 });

function opArb(realClock: boolean): fc.Arbitrary<Op> {
  const entries: { weight: number; arbitrary: fc.Arbitrary<Op> }[] = [
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('grant' as const),
        balance: balArb,
        amount: fc.integer({ min: 1, max: 80 }),
      }),
    },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('charge' as const), balance: balArb, amount: smallAmount }) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('hold' as const),
        balance: balArb,
        amount: smallAmount,
        short: realClock ? fc.constantFrom(false, false, true) : fc.constant(false),
      }),
    },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('capture' as const),
        pick: pickArb,
        // null = capture all; a number may exceed the hold amount (400) or be partial
        amount: fc.option(fc.integer({ min: 1, max: 70 }), { nil: null, freq: 3 }),
        keyed: fc.constantFrom(true, true, true, false),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('void' as const),
        pick: pickArb,
        keyed: fc.constantFrom(true, true, true, false),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('transfer' as const), to: productArb, amount: smallAmount }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: pickArb }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuse' as const), pick: pickArb }) },
  ];
  if (realClock) entries.push({ weight: 1, arbitrary: fc.constant({ kind: 'wait' as const }) });
  else entries.push({ weight: 3, arbitrary: fc.record({ kind: fc.constant('expire' as const), pick: pickArb }) });
  return fc.oneof(...entries);
}

// ---------------------------------------------------------------------------------------------
// Running a sequence against the API and the model

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Real-clock holds: never start an operation within this window around a hold's expiry. */
const GUARD_AHEAD_MS = 700;
const GUARD_BEHIND_MS = 200;

async function guardExpiries(m: Model): Promise<void> {
  for (;;) {
    const now = Date.now();
    const near = m.holds.filter(
      (x) => x.status === 'active' && x.expiresAt > now - GUARD_BEHIND_MS && x.expiresAt < now + GUARD_AHEAD_MS,
    );
    if (near.length === 0) return;
    await sleep(Math.max(...near.map((x) => x.expiresAt)) + GUARD_BEHIND_MS - now + 1);
  }
}

const stats = new Map<string, number>();
const count = (what: string) => stats.set(what, (stats.get(what) ?? 0) + 1);

async function expectBalances(customer: string, m: Model, ctx: string): Promise<void> {
  const res = await h.call('GET', `/v1/customers/${customer}/balances`);
  expect(res.status, ctx).toBe(200);
  const data = res.body.data as {
    balance: string;
    currency: string;
    posted: number;
    held: number;
    available: number;
  }[];
  expect(data.map((b) => b.balance).sort(), ctx).toEqual([...BALANCES].sort());
  const got: Record<string, View> = {};
  for (const b of data) {
    expect(b.currency, ctx).toBe('USD');
    got[b.balance] = { posted: b.posted, held: b.held, available: b.available };
  }
  expect(got, `${ctx}: balances`).toEqual(m.views());
}

async function expectHold(x: MHold, ctx: string): Promise<void> {
  const res = await h.call('GET', `/v1/holds/${x.id}`);
  expect(res.status, ctx).toBe(200);
  expect(
    {
      status: res.body.status,
      amount: res.body.amount,
      captured_amount: res.body.captured_amount,
      balance: res.body.balance,
    },
    `${ctx}: GET hold ${x.id}`,
  ).toEqual({ status: x.status, amount: x.amount, captured_amount: x.captured, balance: x.balance });
}

function expectError(res: Res, status: number, code: string, ctx: string): void {
  expect({ status: res.status, code: res.body?.error?.code }, ctx).toEqual({ status, code });
}

async function runSequence(ops: Op[]): Promise<void> {
  const customer = await h.newCustomer();
  const m = new Model();
  const prefix = crypto.randomUUID();
  let n = 0;
  const trace: string[] = [];

  /** A fresh request; keyed requests are remembered for replays (except 400s, which are never recorded). */
  const send = async (url: string, body: Record<string, unknown>, keyed = true): Promise<Res> => {
    let res: Res;
    if (keyed) {
      const key = `model-${prefix}-${++n}`;
      res = await h.post(url, body, key);
      if (res.status !== 400) m.sent.push({ url, body, key, status: res.status, resBody: res.body });
    } else {
      res = await h.call('POST', url, body);
    }
    expect(res.headers['idempotent-replayed'], `${url}: a first request is not a replay`).toBeUndefined();
    return res;
  };

  for (const [i, op] of ops.entries()) {
    await guardExpiries(m);
    m.settle(Date.now());
    const ctx = `step ${i} ${JSON.stringify(op)}\ntrace:\n${trace.join('\n')}`;
    let touched: MHold | null = null;
    let outcome = '';

    switch (op.kind) {
      case 'grant': {
        const res = await send('/v1/grants', {
          customer,
          balance: op.balance,
          amount: op.amount,
          currency: 'USD',
          reason: 'model',
        });
        expect(res.status, ctx).toBe(201);
        m.post(op.balance, 'grant', op.amount);
        expect(res.body.balance_after, ctx).toEqual(m.view(op.balance));
        outcome = '201';
        break;
      }
      case 'charge': {
        const fits = m.view(op.balance).available >= op.amount;
        const before = m.view(op.balance).available;
        const res = await send('/v1/charges', { customer, balance: op.balance, amount: op.amount, currency: 'USD' });
        if (fits) {
          expect(res.status, `${ctx}\nbody: ${JSON.stringify(res.body)}`).toBe(201);
          m.post(op.balance, 'charge', -op.amount);
          expect(
            { status: res.body.status, amount: res.body.amount, balance_after: res.body.balance_after },
            ctx,
          ).toEqual({
            status: 'succeeded',
            amount: op.amount,
            balance_after: m.view(op.balance),
          });
        } else {
          expectError(res, 402, 'insufficient_funds', ctx);
          expect(res.body.error.details.available, ctx).toBe(before);
        }
        outcome = String(res.status);
        break;
      }
      case 'hold': {
        const before = m.view(op.balance).available;
        const body = {
          customer,
          balance: op.balance,
          amount: op.amount,
          currency: 'USD',
          ...(op.short ? { expires_in_seconds: 1 } : {}),
        };
        const res = await send('/v1/holds', body);
        if (before >= op.amount) {
          expect(res.status, `${ctx}\nbody: ${JSON.stringify(res.body)}`).toBe(201);
          expect(
            { status: res.body.status, amount: res.body.amount, captured_amount: res.body.captured_amount },
            ctx,
          ).toEqual({
            status: 'active',
            amount: op.amount,
            captured_amount: 0,
          });
          const expiresAt = Date.parse(res.body.expires_at);
          const expectedLife = op.short ? 1_000 : 3_600_000;
          expect(
            Math.abs(expiresAt - Date.parse(res.body.created_at) - expectedLife),
            `${ctx}: expires_at`,
          ).toBeLessThan(50);
          touched = {
            id: res.body.id,
            balance: op.balance,
            amount: op.amount,
            status: 'active',
            captured: 0,
            expiresAt,
          };
          m.holds.push(touched);
          expect(res.body.balance_after, ctx).toEqual(m.view(op.balance));
        } else {
          expectError(res, 402, 'insufficient_funds', ctx);
          expect(res.body.error.details.available, ctx).toBe(before);
        }
        outcome = String(res.status);
        break;
      }
      case 'capture': {
        if (m.holds.length === 0) continue;
        const x = m.holds[op.pick % m.holds.length];
        touched = x;
        const res = await send(`/v1/holds/${x.id}/capture`, op.amount === null ? {} : { amount: op.amount }, op.keyed);
        if (x.status !== 'active') {
          expectError(res, 409, 'hold_not_active', ctx);
          expect(res.body.error.details.status, ctx).toBe(x.status);
          outcome = `409 (${x.status})`;
        } else if (op.amount !== null && op.amount > x.amount) {
          expectError(res, 400, 'invalid_request', ctx);
          outcome = '400 (over)';
        } else {
          expect(res.status, `${ctx}\nbody: ${JSON.stringify(res.body)}`).toBe(200);
          const captured = op.amount ?? x.amount;
          x.status = 'captured';
          x.captured = captured;
          m.post(x.balance, 'capture', -captured);
          expect(
            {
              status: res.body.status,
              captured_amount: res.body.captured_amount,
              balance_after: res.body.balance_after,
            },
            ctx,
          ).toEqual({
            status: 'captured',
            captured_amount: captured,
            balance_after: m.view(x.balance),
          });
          outcome = captured === x.amount ? '200 (full)' : '200 (partial)';
        }
        break;
      }
      case 'void': {
        if (m.holds.length === 0) continue;
        const x = m.holds[op.pick % m.holds.length];
        touched = x;
        const res = await send(`/v1/holds/${x.id}/void`, {}, op.keyed);
        if (x.status !== 'active') {
          expectError(res, 409, 'hold_not_active', ctx);
          expect(res.body.error.details.status, ctx).toBe(x.status);
          outcome = `409 (${x.status})`;
        } else {
          expect(res.status, `${ctx}\nbody: ${JSON.stringify(res.body)}`).toBe(200);
          x.status = 'voided';
          expect(
            {
              status: res.body.status,
              captured_amount: res.body.captured_amount,
              balance_after: res.body.balance_after,
            },
            ctx,
          ).toEqual({
            status: 'voided',
            captured_amount: 0,
            balance_after: m.view(x.balance),
          });
          outcome = '200';
        }
        break;
      }
      case 'transfer': {
        const before = m.view('wallet').available;
        const res = await send('/v1/transfers', {
          customer,
          from: 'wallet',
          to: op.to,
          amount: op.amount,
          currency: 'USD',
        });
        if (before >= op.amount) {
          expect(res.status, `${ctx}\nbody: ${JSON.stringify(res.body)}`).toBe(201);
          m.post('wallet', 'transfer', -op.amount);
          m.post(op.to, 'transfer', op.amount);
          expect(res.body.balances_after, ctx).toEqual({ wallet: m.view('wallet'), [op.to]: m.view(op.to) });
        } else {
          expectError(res, 402, 'insufficient_funds', ctx);
          expect(res.body.error.details.available, ctx).toBe(before);
        }
        outcome = String(res.status);
        break;
      }
      case 'replay': {
        if (m.sent.length === 0) continue;
        const s = m.sent[op.pick % m.sent.length];
        const res = await h.post(s.url, s.body, s.key);
        expect(
          { status: res.status, body: res.body, replayed: res.headers['idempotent-replayed'] },
          `${ctx}\nreplaying ${s.url} ${s.key}`,
        ).toEqual({
          status: s.status,
          body: s.resBody,
          replayed: 'true',
        });
        outcome = `${s.url.replace(/hold_[0-9a-z]+/, ':id')} → ${s.status}`;
        break;
      }
      case 'reuse': {
        // The same key with a different request: 409 idempotency_key_reused, nothing changes, not recorded.
        if (m.sent.length === 0) continue;
        const s = m.sent[op.pick % m.sent.length];
        const changed =
          typeof s.body.amount === 'number'
            ? { url: s.url, body: { ...s.body, amount: s.body.amount + 1 } }
            : s.url.endsWith('/capture')
              ? { url: s.url, body: { amount: 1 } }
              : {
                  url: '/v1/charges',
                  body: { customer, balance: 'wallet', amount: 1, currency: 'USD', description: 'key reuse' },
                };
        const res = await h.post(changed.url, changed.body, s.key);
        expectError(res, 409, 'idempotency_key_reused', `${ctx}\nreusing ${s.key} of ${s.url}`);
        outcome = s.url.replace(/hold_[0-9a-z]+/, ':id');
        break;
      }
      case 'expire': {
        // Time passes for one hold: its expiry moves into the past (and so does the account's stored
        // earliest expiry, as it would have with real time). Nothing else is done: no sweep runs.
        if (m.holds.length === 0) continue;
        const x = m.holds[op.pick % m.holds.length];
        touched = x;
        const { rows } = await sql<{ id: string }>`
          WITH moved AS (
            UPDATE holds SET expires_at = now() - interval '1 second'
            WHERE id = ${x.id} AND status = 'active'
            RETURNING id, account_id, expires_at)
          UPDATE accounts a SET next_hold_expiry = least(coalesce(a.next_hold_expiry, moved.expires_at), moved.expires_at)
          FROM moved WHERE a.id = moved.account_id
          RETURNING moved.id`.execute(h.handle.db);
        // An active hold is stored as active; a captured or voided one is not. An expired one may
        // still be stored as active (expiry is lazy: reads do not write).
        if (x.status !== 'expired')
          expect(rows.length === 1, `${ctx}: stored hold active?`).toBe(x.status === 'active');
        outcome = x.status === 'active' ? 'active → expired' : `already ${x.status}`;
        if (x.status === 'active') {
          x.expiresAt = Date.now() - 1_000;
          x.status = 'expired';
        }
        break;
      }
      case 'wait': {
        const pending = m.holds.filter((x) => x.status === 'active' && x.expiresAt - Date.now() < 2_000);
        if (pending.length === 0) continue;
        await sleep(Math.max(...pending.map((x) => x.expiresAt)) + GUARD_BEHIND_MS - Date.now() + 1);
        m.settle(Date.now());
        outcome = `${pending.length} hold(s) expired`;
        break;
      }
    }

    count(`${op.kind}${op.kind === 'hold' && op.short ? ' (1 s)' : ''}: ${outcome}`);
    trace.push(`  ${i}: ${JSON.stringify(op)} → ${outcome}`);
    m.settle(Date.now());
    await expectBalances(customer, m, ctx);
    if (touched) await expectHold(touched, ctx);
  }

  // At the end every hold reads as the model says (expired ones as "expired", lazily).
  await guardExpiries(m);
  m.settle(Date.now());
  for (const x of m.holds) await expectHold(x, `end of run\ntrace:\n${trace.join('\n')}`);
  await expectBalances(customer, m, `end of run\ntrace:\n${trace.join('\n')}`);
  // And each statement lists exactly the model's postings, newest first, with the running balance.
  for (const b of BALANCES) {
    const res = await h.call('GET', `/v1/customers/${customer}/statement?balance=${b}&limit=100`);
    expect(res.status).toBe(200);
    const got = (res.body.data as { kind: string; amount: number; balance_after: number }[]).map(
      ({ kind, amount, balance_after }) => ({ kind, amount, balance_after }),
    );
    expect(got, `statement of ${b}\ntrace:\n${trace.join('\n')}`).toEqual([...m.entries[b]].reverse());
  }
}

/** A wallet grant (sometimes none), then random operations. */
const sequenceArb = fc
  .tuple(fc.integer({ min: 0, max: 200 }), fc.array(opArb(false), { minLength: 1, maxLength: 30, size: 'max' }))
  .map(([initial, ops]): Op[] => (initial > 0 ? [{ kind: 'grant', balance: 'wallet', amount: initial }, ...ops] : ops));

/** Real clock: a funded wallet and a 1-second hold, random operations, a wait, random operations. */
const realClockSequenceArb = fc
  .tuple(
    fc.integer({ min: 60, max: 200 }),
    smallAmount,
    fc.array(opArb(true), { minLength: 1, maxLength: 8, size: 'max' }),
    fc.array(opArb(true), { minLength: 1, maxLength: 8, size: 'max' }),
  )
  .map(([initial, holdAmount, before, after]): Op[] => [
    { kind: 'grant', balance: 'wallet', amount: initial },
    { kind: 'hold', balance: 'wallet', amount: holdAmount, short: true },
    ...before,
    { kind: 'wait' },
    ...after,
  ]);

/** Sequences always run first (fast-check examples): the scenarios that matter most, spelled out. */
const EXAMPLES: [Op[]][] = [
  // An expired hold frees its money for a charge (group-commit path), and can no longer move.
  [
    [
      { kind: 'grant', balance: 'wallet', amount: 50 },
      { kind: 'hold', balance: 'wallet', amount: 50, short: false },
      { kind: 'charge', balance: 'wallet', amount: 1 },
      { kind: 'expire', pick: 0 },
      { kind: 'charge', balance: 'wallet', amount: 50 },
      { kind: 'capture', pick: 0, amount: null, keyed: true },
      { kind: 'void', pick: 0, keyed: false },
    ],
  ],
  // The same on a product balance, then through a hold and a transfer (row-lock paths).
  [
    [
      { kind: 'grant', balance: 'sms', amount: 30 },
      { kind: 'hold', balance: 'sms', amount: 30, short: false },
      { kind: 'expire', pick: 0 },
      { kind: 'hold', balance: 'sms', amount: 30, short: false },
      { kind: 'grant', balance: 'wallet', amount: 20 },
      { kind: 'hold', balance: 'wallet', amount: 20, short: false },
      { kind: 'expire', pick: 2 },
      { kind: 'transfer', to: 'sms', amount: 20 },
      { kind: 'capture', pick: 1, amount: 7, keyed: true },
      { kind: 'charge', balance: 'sms', amount: 43 },
    ],
  ],
  // Replays answer as first answered even after the balance changed: a 201 stays the old 201, a 402 stays 402.
  [
    [
      { kind: 'grant', balance: 'wallet', amount: 10 },
      { kind: 'charge', balance: 'wallet', amount: 10 },
      { kind: 'charge', balance: 'wallet', amount: 5 },
      { kind: 'grant', balance: 'wallet', amount: 100 },
      { kind: 'replay', pick: 1 },
      { kind: 'replay', pick: 2 },
      { kind: 'reuse', pick: 2 },
      { kind: 'replay', pick: 2 },
      { kind: 'hold', balance: 'wallet', amount: 100, short: false },
      { kind: 'capture', pick: 0, amount: 60, keyed: true },
      { kind: 'capture', pick: 0, amount: null, keyed: true },
      { kind: 'replay', pick: 5 },
      { kind: 'replay', pick: 6 },
    ],
  ],
];

describe('ledger model: the API agrees with an in-memory model after every operation', () => {
  it('random sequences of grants, charges, holds, captures, voids, transfers, replays and expiries', async () => {
    await fc.assert(fc.asyncProperty(sequenceArb, runSequence), { numRuns: RUNS, examples: EXAMPLES });
    console.log(
      'ledger-model coverage (operation: outcome × count):\n' +
        [...stats.entries()]
          .sort()
          .map(([k, v]) => `  ${k} × ${v}`)
          .join('\n'),
    );
  });

  it('real clock: 1-second holds expire lazily with no sweep running', async () => {
    stats.clear();
    await fc.assert(fc.asyncProperty(realClockSequenceArb, runSequence), { numRuns: 4 });
    console.log(
      'ledger-model real-clock coverage:\n' +
        [...stats.entries()]
          .sort()
          .map(([k, v]) => `  ${k} × ${v}`)
          .join('\n'),
    );
  });
});

describe('ledger model: concurrent operations on one balance', () => {
  it('concurrent charges: final = initial − Σ(201 amounts), a chain of balance_after, no overdraft', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 20, max: 400 }),
        fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 5, maxLength: 40 }),
        async (initial, amounts) => {
          const customer = await h.newCustomer({ wallet: initial });
          const bodies = amounts.map((amount) => ({ customer, balance: 'wallet', amount, currency: 'USD' }));
          const keys = amounts.map(() => `conc-${crypto.randomUUID()}`);
          const results = await Promise.all(bodies.map((b, i) => h.post('/v1/charges', b, keys[i])));
          for (const r of results) expect([201, 402]).toContain(r.status);
          const ok = results.filter((r) => r.status === 201);
          const spent = ok.reduce((s, r) => s + (r.body.amount as number), 0);
          expect(spent).toBeLessThanOrEqual(initial);
          const final = initial - spent;
          expect(await h.balance(customer, 'wallet')).toEqual({ posted: final, held: 0, available: final });
          // Successes were decided one after another: their balance_after values form one chain.
          let running = initial;
          for (const r of [...ok].sort((a, b) => b.body.balance_after.posted - a.body.balance_after.posted)) {
            running -= r.body.amount;
            expect(r.body.balance_after).toEqual({ posted: running, held: 0, available: running });
          }
          // Refusals were honest: the balance only went down, so nothing refused would fit even now.
          results.forEach((r, i) => {
            if (r.status !== 402) return;
            expect(r.body.error.code).toBe('insufficient_funds');
            expect(r.body.error.details.available).toBeLessThan(amounts[i]);
            expect(r.body.error.details.available).toBeGreaterThanOrEqual(final);
            expect(final).toBeLessThan(amounts[i]);
          });
          // Replaying every request changes nothing and answers exactly as before.
          const replays = await Promise.all(bodies.map((b, i) => h.post('/v1/charges', b, keys[i])));
          replays.forEach((r, i) => {
            expect({ status: r.status, body: r.body, replayed: r.headers['idempotent-replayed'] }).toEqual({
              status: results[i].status,
              body: results[i].body,
              replayed: 'true',
            });
          });
          expect(await h.balance(customer, 'wallet')).toEqual({ posted: final, held: 0, available: final });
        },
      ),
      { numRuns: CONCURRENT_RUNS },
    );
  });

  it('concurrent charges, holds and transfers on one wallet: sums add up, no overdraft', async () => {
    type COp = { kind: 'charge' | 'hold' | 'transfer'; amount: number };
    const cop = fc.record({
      kind: fc.constantFrom<COp['kind']>('charge', 'charge', 'hold', 'transfer'),
      amount: fc.integer({ min: 1, max: 60 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 20, max: 400 }),
        fc.array(cop, { minLength: 5, maxLength: 40 }),
        async (initial, ops) => {
          const customer = await h.newCustomer({ wallet: initial });
          const results = await Promise.all(
            ops.map((o) =>
              o.kind === 'charge'
                ? h.post('/v1/charges', { customer, balance: 'wallet', amount: o.amount, currency: 'USD' })
                : o.kind === 'hold'
                  ? h.post('/v1/holds', { customer, balance: 'wallet', amount: o.amount, currency: 'USD' })
                  : h.post('/v1/transfers', { customer, from: 'wallet', to: 'sms', amount: o.amount, currency: 'USD' }),
            ),
          );
          const sum = (kind: COp['kind']) =>
            ops.reduce((s, o, i) => s + (o.kind === kind && results[i].status === 201 ? o.amount : 0), 0);
          results.forEach((r, i) =>
            expect([201, 402], `${ops[i].kind} ${ops[i].amount}: ${JSON.stringify(r.body)}`).toContain(r.status),
          );
          const posted = initial - sum('charge') - sum('transfer');
          const held = sum('hold');
          expect(posted - held).toBeGreaterThanOrEqual(0);
          expect(await h.balance(customer, 'wallet')).toEqual({ posted, held, available: posted - held });
          expect(await h.balance(customer, 'sms')).toEqual({
            posted: sum('transfer'),
            held: 0,
            available: sum('transfer'),
          });
          results.forEach((r, i) => {
            if (r.status !== 402) return;
            expect(r.body.error.details.available).toBeLessThan(ops[i].amount);
            expect(posted - held).toBeLessThan(ops[i].amount);
          });
        },
      ),
      { numRuns: CONCURRENT_RUNS },
    );
  });

  it('concurrent captures, voids, charges and holds racing on holds (some expired): each hold closes once', async () => {
    type Race = { hold: number; kind: 'capture' | 'void'; amount: number | null };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 40 }), expired: fc.boolean() }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(
          fc.record({
            hold: fc.nat({ max: 4 }),
            kind: fc.constantFrom<Race['kind']>('capture', 'void'),
            amount: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.array(
          fc.record({
            kind: fc.constantFrom('charge' as const, 'hold' as const),
            amount: fc.integer({ min: 1, max: 60 }),
          }),
          { maxLength: 15 },
        ),
        async (pre, races, usage) => {
          const initial = 300;
          const customer = await h.newCustomer({ wallet: initial });
          const holds: { id: string; amount: number; expired: boolean }[] = [];
          for (const p of pre) {
            const r = await h.post('/v1/holds', { customer, balance: 'wallet', amount: p.amount, currency: 'USD' });
            expect(r.status).toBe(201);
            holds.push({ id: r.body.id, amount: p.amount, expired: p.expired });
            if (p.expired) {
              await sql`
                WITH moved AS (UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = ${r.body.id} RETURNING account_id, expires_at)
                UPDATE accounts a SET next_hold_expiry = least(coalesce(a.next_hold_expiry, moved.expires_at), moved.expires_at)
                FROM moved WHERE a.id = moved.account_id`.execute(h.handle.db);
            }
          }
          const raceOps = races.map((r) => ({ ...r, hold: r.hold % holds.length }));
          const [raceRes, usageRes] = await Promise.all([
            Promise.all(
              raceOps.map((r) =>
                h.post(
                  `/v1/holds/${holds[r.hold].id}/${r.kind}`,
                  r.kind === 'capture' && r.amount !== null ? { amount: r.amount } : {},
                ),
              ),
            ),
            Promise.all(
              usage.map((u) =>
                h.post(`/v1/${u.kind === 'charge' ? 'charges' : 'holds'}`, {
                  customer,
                  balance: 'wallet',
                  amount: u.amount,
                  currency: 'USD',
                }),
              ),
            ),
          ]);
          let captured = 0;
          let stillHeld = 0;
          for (const [i, x] of holds.entries()) {
            const mine = raceOps.map((r, j) => ({ r, res: raceRes[j] })).filter((e) => e.r.hold === i);
            const wins = mine.filter((e) => e.res.status === 200);
            const ctx = `hold ${i} ${JSON.stringify(x)}: ${JSON.stringify(mine.map((e) => [e.r, e.res.status, e.res.body?.error?.details]))}`;
            for (const e of mine) {
              const over = e.r.kind === 'capture' && e.r.amount !== null && e.r.amount > x.amount;
              if (e.res.status === 400) expect(over, ctx).toBe(true);
              else expect([200, 409], ctx).toContain(e.res.status);
              if (e.res.status === 409) expect(e.res.body.error.code, ctx).toBe('hold_not_active');
            }
            const get = await h.call('GET', `/v1/holds/${x.id}`);
            if (x.expired) {
              expect(wins, ctx).toHaveLength(0);
              for (const e of mine)
                if (e.res.status === 409) expect(e.res.body.error.details.status, ctx).toBe('expired');
              expect(get.body.status, ctx).toBe('expired');
            } else {
              const valid = mine.filter(
                (e) => !(e.r.kind === 'capture' && e.r.amount !== null && e.r.amount > x.amount),
              );
              expect(wins, ctx).toHaveLength(valid.length > 0 ? 1 : 0);
              if (wins.length === 1) {
                const w = wins[0];
                expect(get.body.status, ctx).toBe(w.r.kind === 'capture' ? 'captured' : 'voided');
                if (w.r.kind === 'capture') {
                  expect(get.body.captured_amount, ctx).toBe(w.r.amount ?? x.amount);
                  captured += w.r.amount ?? x.amount;
                }
              } else {
                expect(get.body.status, ctx).toBe('active');
                stillHeld += x.amount;
              }
            }
          }
          for (const r of usageRes) expect([201, 402]).toContain(r.status);
          const sum = (kind: 'charge' | 'hold') =>
            usage.reduce((s, u, i) => s + (u.kind === kind && usageRes[i].status === 201 ? u.amount : 0), 0);
          const posted = initial - captured - sum('charge');
          const held = stillHeld + sum('hold');
          expect(posted - held).toBeGreaterThanOrEqual(0);
          expect(await h.balance(customer, 'wallet')).toEqual({ posted, held, available: posted - held });
        },
      ),
      { numRuns: CONCURRENT_RUNS + 2 },
    );
  });
});
