import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { portalMailRenderers } from '../../src/portal/index.js';
import { setupHarness } from './harness.js';
import { cookieOf, freshIp, linkToken, portalInject, signIn, signInWithToken } from './portal-helpers.js';

const h = await setupHarness({
  PUBLIC_URL: 'https://coffer.example',
  OPERATOR_NAME: 'Acme Billing',
  SUPPORT_EMAIL: 'help@acme.example',
});
const db = h.handle.db;

async function newCustomer(email = 'c@example.com'): Promise<string> {
  const res = await h.post('/v1/customers', { external_id: `ext-${crypto.randomUUID()}`, email, name: 'Ada' });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('POST /v1/customers/{id}/portal_sessions', () => {
  it('answers a one-time link under PUBLIC_URL that lives 5 minutes', async () => {
    const c = await newCustomer();
    const res = await h.call('POST', `/v1/customers/${c}/portal_sessions`, {
      return_url: 'https://platform.example/billing',
      locale: 'zh-CN',
    });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['expires_at', 'object', 'url']);
    expect(res.body.object).toBe('portal_session');
    expect(res.body.url).toMatch(/^https:\/\/coffer\.example\/signin\?token=pln_[0-9a-z]{26}\.[A-Za-z0-9_-]{43}$/);
    const ttl = Date.parse(res.body.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(4.5 * 60_000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000 + 1000);
  });

  it('is in the OpenAPI document; the portal’s own API is not', async () => {
    const doc = (await h.app.inject('/docs/json')).json();
    expect(doc.paths['/v1/customers/{id}/portal_sessions']).toBeDefined();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/portal'))).toEqual([]);
  });

  it('works with no body at all', async () => {
    const c = await newCustomer();
    const res = await h.call('POST', `/v1/customers/${c}/portal_sessions`);
    expect(res.status).toBe(201);
  });

  it('refuses an unknown customer (404), bad return_url or locale (400), and no API key (401)', async () => {
    const c = await newCustomer();
    expect((await h.call('POST', `/v1/customers/cus_00000000000000000000000000/portal_sessions`, {})).status).toBe(404);
    for (const body of [
      { return_url: 'javascript:alert(1)' },
      { return_url: 'ftp://x.example' },
      { return_url: `https://x.example/${'a'.repeat(2000)}` },
      { locale: 'fr' },
      { extra: 1 },
    ]) {
      const res = await h.call('POST', `/v1/customers/${c}/portal_sessions`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    const anon = await h.app.inject({ method: 'POST', url: `/v1/customers/${c}/portal_sessions`, payload: {} });
    expect(anon.statusCode).toBe(401);
  });

  it('signs in once: the second use, a late use and a forged token are 401', async () => {
    const c = await newCustomer();
    const token = await linkToken(h, c, { return_url: 'https://platform.example/billing', locale: 'zh-CN' });
    const first = await signInWithToken(h, token);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ return_url: 'https://platform.example/billing', locale: 'zh-CN' });
    const again = await signInWithToken(h, token);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('unauthenticated');
    expect(again.headers['set-cookie']).toBeUndefined();

    const late = await linkToken(h, c);
    await sql`UPDATE portal_links SET expires_at = now() - interval '1 second' WHERE id = ${late.split('.')[0]}`.execute(
      db,
    );
    expect((await signInWithToken(h, late)).status).toBe(401);

    const fresh = await linkToken(h, c);
    const forged = `${fresh.split('.')[0]}.${'A'.repeat(43)}`;
    expect((await signInWithToken(h, forged)).status).toBe(401);
    expect((await signInWithToken(h, 'garbage')).status).toBe(401);
    expect((await signInWithToken(h, fresh)).status).toBe(200); // the forgery did not spend it
  });

  it('of two sign-ins racing with one link, exactly one wins', async () => {
    const c = await newCustomer();
    const token = await linkToken(h, c);
    const results = await Promise.all(Array.from({ length: 6 }, () => signInWithToken(h, token)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
  });
});

describe('sessions', () => {
  it('sets an HttpOnly, SameSite=Lax, Secure cookie on Path=/ and remembers the link language', async () => {
    const c = await newCustomer();
    const res = await signInWithToken(h, await linkToken(h, c, { locale: 'zh-CN' }));
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^coffer_portal=[A-Za-z0-9_-]{43};/);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Lax');
    expect(set).toContain('Path=/');
    expect(set).toContain('Secure');
    const me = await portalInject(h, { url: '/portal/api/me', cookie: cookieOf(res) });
    expect(me.status).toBe(200);
    expect(me.body.locale).toBe('zh-CN');
    // only the token's hash is stored
    const token = cookieOf(res).split('=')[1];
    const stored = await db.selectFrom('portal_sessions').select('token_hash').where('customer_id', '=', c).execute();
    expect(stored.map((s) => s.token_hash)).not.toContain(token);
  });

  it('GET /me describes the customer, the session and the payment password', async () => {
    const c = await newCustomer();
    const p = await signIn(h, c);
    const me = await p.call('GET', '/portal/api/me');
    expect(me.body).toMatchObject({
      customer: { id: c, name: 'Ada', email: 'c@example.com', currency: 'USD', status: 'active' },
      locale: null,
      return_url: null,
      session: { id: p.sessionId },
      payment_password: { set: false, locked_until: null },
    });
    expect(me.body.csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(me.headers['cache-control']).toBe('no-store');
  });

  it('without a session every private route is 401; the public ones answer', async () => {
    for (const [method, url] of [
      ['GET', '/portal/api/me'],
      ['GET', '/portal/api/home'],
      ['GET', '/portal/api/topups'],
      ['POST', '/portal/api/signout'],
      ['GET', '/portal/api/statement'],
    ]) {
      const res = await portalInject(h, { method, url, cookie: 'coffer_portal=nope-nope-nope-nope-nope-nope' });
      expect(res.status, url).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    }
    const config = await portalInject(h, { url: '/portal/api/config' });
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({
      operator_name: 'Acme Billing',
      public_url: 'https://coffer.example',
      official_host: 'coffer.example',
      support_email: 'help@acme.example',
      min_topup: { amount: 1000, currency: 'USD' },
      locales: ['en', 'zh-CN'],
    });
    expect(config.body.currencies).toMatchObject({ USD: 2, JPY: 0, BHD: 3, USDT: 6 });
  });

  it('lists the customer’s sessions, revokes one (another customer’s is 404), and signs out', async () => {
    const c = await newCustomer();
    const a = await signIn(h, c);
    const b = await signIn(h, c);
    const other = await signIn(h, await newCustomer());
    const list = await a.call('GET', '/portal/api/sessions');
    expect(list.status).toBe(200);
    expect(list.body.data.map((s: { id: string }) => s.id).sort()).toEqual([a.sessionId, b.sessionId].sort());
    expect(list.body.data.find((s: { id: string }) => s.id === a.sessionId)).toMatchObject({ current: true, ip: a.ip });
    expect(list.body.data.find((s: { id: string }) => s.id === b.sessionId).current).toBe(false);

    expect((await other.call('DELETE', `/portal/api/sessions/${a.sessionId}`)).status).toBe(404);
    expect((await a.call('GET', '/portal/api/me')).status).toBe(200);
    expect((await a.call('DELETE', `/portal/api/sessions/${b.sessionId}`)).status).toBe(204);
    expect((await b.call('GET', '/portal/api/me')).status).toBe(401);
    expect((await a.call('DELETE', '/portal/api/sessions/not-an-id')).status).toBe(404);

    const out = await a.call('POST', '/portal/api/signout');
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^coffer_portal=;/);
    expect((await a.call('GET', '/portal/api/me')).status).toBe(401);
  });

  it('ends after an hour idle or 12 hours after sign-in', async () => {
    const c = await newCustomer();
    const idle = await signIn(h, c);
    await sql`UPDATE portal_sessions SET last_seen_at = now() - interval '61 minutes' WHERE id = ${idle.sessionId}`.execute(
      db,
    );
    expect((await idle.call('GET', '/portal/api/me')).status).toBe(401);

    const busy = await signIn(h, c);
    await sql`UPDATE portal_sessions SET last_seen_at = now() - interval '59 minutes' WHERE id = ${busy.sessionId}`.execute(
      db,
    );
    expect((await busy.call('GET', '/portal/api/me')).status).toBe(200);
    // the request refreshed last_seen_at (it was older than a minute)…
    const seen = await db
      .selectFrom('portal_sessions')
      .select(sql<number>`extract(epoch FROM now() - last_seen_at)`.as('age'))
      .where('id', '=', busy.sessionId)
      .executeTakeFirstOrThrow();
    expect(Number(seen.age)).toBeLessThan(5);
    // …but past the absolute end nothing keeps it alive
    await sql`UPDATE portal_sessions SET expires_at = now() - interval '1 second' WHERE id = ${busy.sessionId}`.execute(
      db,
    );
    expect((await busy.call('GET', '/portal/api/me')).status).toBe(401);
  });

  it('PUT /locale remembers the language (and refuses others)', async () => {
    const p = await signIn(h, await newCustomer());
    expect((await p.call('PUT', '/portal/api/locale', { locale: 'zh-CN' })).body).toEqual({ locale: 'zh-CN' });
    expect((await p.call('GET', '/portal/api/me')).body.locale).toBe('zh-CN');
    expect((await p.call('PUT', '/portal/api/locale', { locale: 'de' })).status).toBe(400);
  });
});

describe('CSRF', () => {
  it('refuses every state-changing route without the right X-CSRF-Token', async () => {
    const c = await newCustomer();
    const p = await signIn(h, c);
    const order = 'ord_00000000000000000000000000';
    const routes: [string, string, unknown][] = [
      ['POST', '/portal/api/signout', undefined],
      ['DELETE', `/portal/api/sessions/${p.sessionId}`, undefined],
      ['PUT', '/portal/api/locale', { locale: 'en' }],
      ['POST', '/portal/api/quote', { balance: 'wallet', amount: 1000, currency: 'USD', method: 'card' }],
      ['POST', '/portal/api/topups', { balance: 'wallet', amount: 1000, currency: 'USD', method: 'card' }],
      ['POST', `/portal/api/topups/${order}/cancel`, undefined],
      ['POST', `/portal/api/topups/${order}/mark_paid`, undefined],
      ['POST', `/portal/api/topups/${order}/proof`, undefined],
      ['POST', '/portal/api/transfers', { to: 'sms', amount: 100, payment_password: '123456' }],
      ['POST', '/portal/api/payment-password', { new_password: '123456' }],
      ['POST', '/portal/api/payment-password/reset', undefined],
    ];
    for (const [method, url, body] of routes) {
      for (const csrf of [null, 'wrong', `${p.csrf}x`]) {
        const res = await portalInject(h, { method, url, body, cookie: p.cookie, csrf });
        expect(res.status, `${method} ${url} csrf=${csrf}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
    }
    // nothing happened: the session lives, no PIN was set, no order made
    expect((await p.call('GET', '/portal/api/me')).body.payment_password.set).toBe(false);
    expect((await db.selectFrom('orders').select('id').where('customer_id', '=', c).execute()).length).toBe(0);
  });
});

describe('rate limits', () => {
  it('allows 10 sign-in attempts a minute per IP, then 429 in the error envelope', async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await signInWithToken(h, 'nope', ip)).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    const limited = await signInWithToken(h, 'nope', ip);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringMatching(/retry in \d+ s/),
        details: { retry_after_seconds: expect.any(Number) },
      },
    });
    expect(limited.headers['retry-after']).toBeDefined();
    // another address is not limited
    expect((await signInWithToken(h, 'nope', freshIp())).status).toBe(401);

    const mailIp = freshIp();
    for (let i = 0; i < 10; i++)
      expect(
        (
          await portalInject(h, {
            method: 'POST',
            url: '/portal/api/signin/email',
            body: { email: 'x@example.com' },
            ip: mailIp,
          })
        ).status,
      ).toBe(202);
    const mailLimited = await portalInject(h, {
      method: 'POST',
      url: '/portal/api/signin/email',
      body: { email: 'x@example.com' },
      ip: mailIp,
    });
    expect(mailLimited.status).toBe(429);
    expect(mailLimited.body.error.code).toBe('rate_limited');
  });

  it('allows 30 top-up creations a minute per session', async () => {
    const p = await signIn(h, await newCustomer());
    const body = { balance: 'wallet', amount: 1, currency: 'USD', method: 'card' }; // refused (below the minimum): still counted
    for (let i = 0; i < 30; i++) expect((await p.call('POST', '/portal/api/topups', body)).status).toBe(422);
    const limited = await p.call('POST', '/portal/api/topups', body);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    // another session of the same customer has its own allowance
    const q = await signIn(h, p.customer);
    expect((await q.call('POST', '/portal/api/topups', body)).status).toBe(422);
  });
});

describe('e-mailed sign-in link', () => {
  const renderers = async () => {
    const secret = await db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'session_secret')
      .executeTakeFirstOrThrow();
    return portalMailRenderers(db, h.config, secret.value);
  };

  it('always answers 202; an unknown address queues nothing', async () => {
    const before = await db.selectFrom('mail_outbox').select('id').execute();
    const res = await portalInject(h, {
      method: 'POST',
      url: '/portal/api/signin/email',
      body: { email: 'nobody@nowhere.example' },
      ip: freshIp(),
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ sent: true });
    expect((await db.selectFrom('mail_outbox').select('id').execute()).length).toBe(before.length);
    expect(
      (
        await portalInject(h, {
          method: 'POST',
          url: '/portal/api/signin/email',
          body: { email: 'not an address' },
          ip: freshIp(),
        })
      ).status,
    ).toBe(400);
  });

  it('mails every customer with the address (any case) a link that signs in once, 3 requests an hour at most', async () => {
    const email = `Shared.${crypto.randomUUID().slice(0, 8)}@Example.com`;
    const one = await newCustomer(email);
    const two = await newCustomer(email.toLowerCase());
    const res = await portalInject(h, {
      method: 'POST',
      url: '/portal/api/signin/email',
      body: { email: email.toUpperCase(), locale: 'zh-CN' },
      ip: freshIp(),
    });
    expect(res.status).toBe(202);
    const queued = await db
      .selectFrom('mail_outbox')
      .select(['kind', 'object_id', 'customer_id'])
      .where('customer_id', 'in', [one, two])
      .execute();
    expect(queued.map((q) => q.customer_id).sort()).toEqual([one, two].sort());
    expect(queued.every((q) => q.kind === 'portal_signin')).toBe(true);

    const render = (await renderers()).portal_signin;
    const mail = (await render(queued.find((q) => q.customer_id === one)!.object_id))!;
    expect(mail.to).toBe(email);
    expect(mail.subject).toContain('Acme Billing');
    expect(mail.subject).toContain('登录');
    const url = /https:\/\/coffer\.example\/signin\?token=(\S+)/.exec(mail.text)!;
    expect(mail.html).toContain(url[0]);
    const link = await db
      .selectFrom('portal_links')
      .select(sql<number>`extract(epoch FROM expires_at - created_at)`.as('ttl'))
      .where('id', '=', queued[0].object_id)
      .executeTakeFirstOrThrow();
    expect(Number(link.ttl)).toBe(15 * 60);

    const signedIn = await signInWithToken(h, url[1]);
    expect(signedIn.status).toBe(200);
    const me = await portalInject(h, { url: '/portal/api/me', cookie: cookieOf(signedIn) });
    expect(me.body.customer.id).toBe(one);
    expect(me.body.locale).toBe('zh-CN');
    expect((await signInWithToken(h, url[1])).status).toBe(401);
    // a spent link's mail is not sent any more
    expect(await render(queued.find((q) => q.customer_id === one)!.object_id)).toBeNull();

    for (let i = 0; i < 3; i++)
      expect(
        (await portalInject(h, { method: 'POST', url: '/portal/api/signin/email', body: { email }, ip: freshIp() }))
          .status,
      ).toBe(202);
    const after = await db.selectFrom('mail_outbox').select('id').where('customer_id', '=', one).execute();
    expect(after.length).toBe(3); // the first request and two more; the fourth was dropped silently
  });
});
