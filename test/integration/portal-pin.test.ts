import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { portalMailRenderers } from '../../src/portal/index.js';
import { setupHarness } from './harness.js';
import { signIn, type Portal } from './portal-helpers.js';

const h = await setupHarness();
const db = h.handle.db;

async function withPin(
  opts: { wallet?: number; products?: Record<string, number> } = {},
  pin = '135790',
): Promise<Portal> {
  const p = await signIn(h, await h.newCustomer({ wallet: 5000, ...opts }));
  expect((await p.call('POST', '/portal/api/payment-password', { new_password: pin })).status).toBe(204);
  return p;
}

const walletTopup = (p: Portal, pin: string | undefined, amount = 1500, key?: string) =>
  p.call(
    'POST',
    '/portal/api/topups',
    {
      balance: 'sms',
      amount,
      currency: 'USD',
      method: 'balance',
      ...(pin === undefined ? {} : { payment_password: pin }),
    },
    key ? { 'idempotency-key': key } : {},
  );

async function resetLinkToken(customer: string): Promise<string> {
  const row = await db
    .selectFrom('mail_outbox')
    .select('object_id')
    .where('customer_id', '=', customer)
    .where('kind', '=', 'portal_pin_reset')
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  const secret = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', 'session_secret')
    .executeTakeFirstOrThrow();
  const mail = await portalMailRenderers(db, h.config, secret.value).portal_pin_reset(row.object_id);
  return /\/security\?reset=(\S+)/.exec(mail!.text)![1];
}

describe('payment password', () => {
  it('is set once without anything else, then stored only as an argon2id hash', async () => {
    const p = await signIn(h, await h.newCustomer());
    for (const bad of ['12345', '1234567', 'abcdef', 123456]) {
      expect((await p.call('POST', '/portal/api/payment-password', { new_password: bad })).status).toBe(400);
    }
    expect((await p.call('POST', '/portal/api/payment-password', { new_password: '000000' })).status).toBe(204);
    const row = await db
      .selectFrom('portal_payment_passwords')
      .select('password_hash')
      .where('customer_id', '=', p.customer)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect((await p.call('GET', '/portal/api/me')).body.payment_password).toEqual({ set: true, locked_until: null });
    // a change needs the current one (or a reset link)
    const change = await p.call('POST', '/portal/api/payment-password', { new_password: '111111' });
    expect(change.status).toBe(400);
    expect(change.body.error.details.fields[0].field).toBe('current_password');
  });

  it('a wallet payment without a PIN set is payment_password_required, and moves nothing', async () => {
    const p = await signIn(h, await h.newCustomer({ wallet: 5000 }));
    const res = await walletTopup(p, '123456');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('payment_password_required');
    const t = await p.call('POST', '/portal/api/transfers', { to: 'sms', amount: 100, payment_password: '123456' });
    expect(t.body.error.code).toBe('payment_password_required');
    expect(await h.balance(p.customer, 'wallet')).toMatchObject({ posted: 5000 });
  });

  it('pays a product top-up from the wallet with the right PIN; a wrong one moves nothing and says how many tries are left', async () => {
    const p = await withPin();
    const wrong = await walletTopup(p, '000000');
    expect(wrong.status).toBe(403);
    expect(wrong.body.error).toMatchObject({ code: 'payment_password_wrong', details: { attempts_left: 4 } });
    expect(await h.balance(p.customer, 'wallet')).toMatchObject({ posted: 5000 });
    expect(await h.balance(p.customer, 'sms')).toMatchObject({ posted: 0 });
    const missing = await walletTopup(p, undefined);
    expect(missing.status).toBe(400);

    const paid = await walletTopup(p, '135790');
    expect(paid.status).toBe(201);
    expect(paid.body).toMatchObject({
      status: 'succeeded',
      method: 'balance',
      balance: 'sms',
      customer: p.customer,
      credited: { amount: 1500, currency: 'USD' },
    });
    expect(await h.balance(p.customer, 'wallet')).toMatchObject({ posted: 3500 });
    expect(await h.balance(p.customer, 'sms')).toMatchObject({ posted: 1500 });
    // the right PIN cleared the count of wrong ones
    const left = await walletTopup(p, '999999');
    expect(left.body.error.details.attempts_left).toBe(4);
  });

  it('moves wallet money to a product with the PIN (Idempotency-Key honoured)', async () => {
    const p = await withPin();
    const wrong = await p.call('POST', '/portal/api/transfers', {
      to: 'whatsapp',
      amount: 700,
      payment_password: '000000',
    });
    expect(wrong.body.error.code).toBe('payment_password_wrong');
    const body = { to: 'whatsapp', amount: 700, payment_password: '135790' };
    const first = await p.call('POST', '/portal/api/transfers', body, { 'idempotency-key': 'move-1' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object: 'transfer',
      from: 'wallet',
      to: 'whatsapp',
      amount: 700,
      currency: 'USD',
    });
    const again = await p.call('POST', '/portal/api/transfers', body, { 'idempotency-key': 'move-1' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(await h.balance(p.customer, 'wallet')).toMatchObject({ posted: 4300 });
    expect(await h.balance(p.customer, 'whatsapp')).toMatchObject({ posted: 700 });
    // the stored request hash does not contain the PIN: the same key with another PIN replays
    const otherPin = await p.call(
      'POST',
      '/portal/api/transfers',
      { ...body, payment_password: '135790' },
      { 'idempotency-key': 'move-1' },
    );
    expect(otherPin.body.id).toBe(first.body.id);
    // a transfer beyond the wallet is refused as insufficient funds, after the PIN
    const tooMuch = await p.call('POST', '/portal/api/transfers', {
      to: 'sms',
      amount: 999_999,
      payment_password: '135790',
    });
    expect(tooMuch.status).toBe(402);
    expect(await h.balance(p.customer, 'wallet')).toMatchObject({ posted: 4300 });
  });

  it('locks wallet payments for 15 minutes after 5 wrong tries (even the right PIN is refused), counting concurrent tries', async () => {
    const p = await withPin();
    const tries = await Promise.all(Array.from({ length: 4 }, () => walletTopup(p, '000000')));
    expect(tries.map((t) => t.body.error.details.attempts_left).sort()).toEqual([1, 2, 3, 4]);
    const fifth = await walletTopup(p, '000000');
    expect(fifth.body.error.code).toBe('payment_password_locked');
    const until = Date.parse(fifth.body.error.details.locked_until);
    expect(until - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(until - Date.now()).toBeLessThanOrEqual(15 * 60_000 + 1000);

    const right = await walletTopup(p, '135790');
    expect(right.status).toBe(403);
    expect(right.body.error.code).toBe('payment_password_locked');
    const transfer = await p.call('POST', '/portal/api/transfers', {
      to: 'sms',
      amount: 100,
      payment_password: '135790',
    });
    expect(transfer.body.error.code).toBe('payment_password_locked');
    const change = await p.call('POST', '/portal/api/payment-password', {
      new_password: '222222',
      current_password: '135790',
    });
    expect(change.body.error.code).toBe('payment_password_locked');
    expect((await p.call('GET', '/portal/api/me')).body.payment_password.locked_until).toBe(
      fifth.body.error.details.locked_until,
    );
    expect(await h.balance(p.customer, 'wallet')).toMatchObject({ posted: 5000 });

    // once the lock is over, the right PIN pays again
    await sql`UPDATE portal_payment_passwords SET locked_until = now() - interval '1 second' WHERE customer_id = ${p.customer}`.execute(
      db,
    );
    expect((await walletTopup(p, '135790')).status).toBe(201);
  });

  it('changes with the current PIN (a wrong current one counts as a try)', async () => {
    const p = await withPin();
    const wrong = await p.call('POST', '/portal/api/payment-password', {
      new_password: '246800',
      current_password: '000000',
    });
    expect(wrong.body.error).toMatchObject({ code: 'payment_password_wrong', details: { attempts_left: 4 } });
    expect(
      (await p.call('POST', '/portal/api/payment-password', { new_password: '246800', current_password: '135790' }))
        .status,
    ).toBe(204);
    expect((await walletTopup(p, '135790')).body.error.code).toBe('payment_password_wrong');
    expect((await walletTopup(p, '246800')).status).toBe(201);
  });

  it('changes with an e-mailed reset link: once, only by its customer, and it lifts a lock', async () => {
    const p = await withPin();
    for (let i = 0; i < 5; i++) await walletTopup(p, '000000');
    expect((await walletTopup(p, '135790')).body.error.code).toBe('payment_password_locked');
    const asked = await p.call('POST', '/portal/api/payment-password/reset');
    expect(asked.status).toBe(202);
    const token = await resetLinkToken(p.customer);

    const other = await withPin();
    const stolen = await other.call('POST', '/portal/api/payment-password', {
      new_password: '999999',
      reset_token: token,
    });
    expect(stolen.status).toBe(400);
    const forged = await p.call('POST', '/portal/api/payment-password', {
      new_password: '999999',
      reset_token: `${token.split('.')[0]}.${'x'.repeat(43)}`,
    });
    expect(forged.status).toBe(400);

    expect(
      (await p.call('POST', '/portal/api/payment-password', { new_password: '864200', reset_token: token })).status,
    ).toBe(204);
    expect(
      (await p.call('POST', '/portal/api/payment-password', { new_password: '111111', reset_token: token })).status,
    ).toBe(400);
    expect((await p.call('GET', '/portal/api/me')).body.payment_password).toEqual({ set: true, locked_until: null });
    expect((await walletTopup(p, '864200')).status).toBe(201);
    // a sign-in token is not a reset token
    const link = await h.call('POST', `/v1/customers/${p.customer}/portal_sessions`, {});
    const signinToken = new URL(link.body.url).searchParams.get('token')!;
    expect(
      (await p.call('POST', '/portal/api/payment-password', { new_password: '111111', reset_token: signinToken }))
        .status,
    ).toBe(400);
  });

  it('e-mails at most 3 reset links an hour (silently)', async () => {
    const p = await withPin();
    for (let i = 0; i < 5; i++) expect((await p.call('POST', '/portal/api/payment-password/reset')).status).toBe(202);
    const rows = await db
      .selectFrom('mail_outbox')
      .select('id')
      .where('customer_id', '=', p.customer)
      .where('kind', '=', 'portal_pin_reset')
      .execute();
    expect(rows.length).toBe(3);
  });

  it('a wallet top-up replayed with its Idempotency-Key pays once', async () => {
    const p = await withPin();
    const [a, b] = [await walletTopup(p, '135790', 1200, 'pay-1'), await walletTopup(p, '135790', 1200, 'pay-1')];
    expect(a.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(await h.balance(p.customer, 'wallet')).toMatchObject({ posted: 3800 });
  });

  it('a frozen customer reads and tops up by card, but cannot spend from the wallet', async () => {
    const p = await withPin();
    await sql`UPDATE customers SET status = 'frozen' WHERE id = ${p.customer}`.execute(db);
    expect((await p.call('GET', '/portal/api/me')).body.customer.status).toBe('frozen');
    expect((await walletTopup(p, '135790')).body.error.code).toBe('customer_frozen');
    expect(
      (await p.call('POST', '/portal/api/transfers', { to: 'sms', amount: 100, payment_password: '135790' })).body.error
        .code,
    ).toBe('customer_frozen');
    expect(
      (await p.call('POST', '/portal/api/topups', { balance: 'wallet', amount: 2000, currency: 'USD', method: 'card' }))
        .status,
    ).toBe(201);
    expect(await h.balance(p.customer, 'wallet')).toMatchObject({ posted: 5000 });
    await sql`UPDATE customers SET status = 'active' WHERE id = ${p.customer}`.execute(db);
  });
});
