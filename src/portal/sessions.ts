import crypto from 'node:crypto';
import { sql } from 'kysely';
import type pg from 'pg';
import { readNamed, type Db } from '../db/pool.js';
import type { PortalLocale } from '../db/schema.js';
import { CofferError, notFound } from '../errors.js';
import { newId } from '../lib/ids.js';
import { isoTime } from '../lib/json.js';
import { spendLink } from './links.js';

/** A session ends this long after sign-in, however busy. */
export const SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60;
/** …or after this long without a request. */
export const SESSION_IDLE_SECONDS = 60 * 60;
/** last_seen_at is written at most this often (not on every request). */
const SEEN_EVERY_SECONDS = 60;

export interface PortalCustomer {
  id: string;
  name: string | null;
  email: string;
  currency: string;
  status: 'active' | 'frozen';
  locale: PortalLocale | null;
}

/** The signed-in customer and the session, as the auth hook finds them. */
export interface PortalSession {
  id: string;
  csrfToken: string;
  returnUrl: string | null;
  expiresAt: Date;
  customer: PortalCustomer;
}

export const unauthenticated = (): CofferError =>
  new CofferError('unauthenticated', 'You are not signed in, or your session has ended: open a new sign-in link.');

const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

/**
 * `POST /portal/api/signin`: spends a sign-in link and opens a session in one transaction (a link
 * spent by a failed sign-in would be lost). The link's language, if any, becomes the customer's.
 * Returns the cookie's token, which is never stored (only its SHA-256 is).
 */
export async function signIn(
  db: Db,
  secret: string,
  linkToken: string,
  meta: { ip: string | null; userAgent: string | null },
) {
  const out = await db.transaction().execute(async (tx) => {
    const link = await spendLink(tx, secret, linkToken, 'signin');
    if (!link) return null;
    const token = crypto.randomBytes(32).toString('base64url');
    const session = await tx
      .insertInto('portal_sessions')
      .values({
        id: newId('pss'),
        token_hash: hashToken(token),
        customer_id: link.customer_id,
        csrf_token: crypto.randomBytes(32).toString('base64url'),
        return_url: link.return_url,
        ip: meta.ip,
        user_agent: meta.userAgent?.slice(0, 500) ?? null,
        expires_at: sql<Date>`now() + make_interval(secs => ${SESSION_ABSOLUTE_SECONDS})`,
      })
      .returning(['id', 'expires_at'])
      .executeTakeFirstOrThrow();
    if (link.locale)
      await tx.updateTable('customers').set({ locale: link.locale }).where('id', '=', link.customer_id).execute();
    return { token, session, link };
  });
  if (!out) throw unauthenticated();
  return {
    token: out.token,
    sessionId: out.session.id,
    expiresAt: out.session.expires_at,
    returnUrl: out.link.return_url,
    locale: out.link.locale,
  };
}

interface SessionRow {
  id: string;
  csrf_token: string;
  return_url: string | null;
  expires_at: Date;
  customer_id: string;
  name: string | null;
  email: string;
  currency: string;
  status: 'active' | 'frozen';
  locale: PortalLocale | null;
}

/**
 * The live session of a cookie token, or null (unknown, revoked, past its absolute end, or idle
 * too long). One statement: the read, and the refresh of last_seen_at when it is older than a
 * minute, so most requests write nothing.
 */
export async function authenticate(db: Db, token: string, pool?: pg.Pool): Promise<PortalSession | null> {
  if (token.length < 20 || token.length > 100) return null;
  // Every portal request runs this: a prepared statement, parsed once per connection.
  const rows = await readNamed(
    db,
    pool,
    sql<SessionRow>`
    WITH s AS (
      SELECT id, customer_id, csrf_token, return_url, expires_at, last_seen_at
      FROM portal_sessions
      WHERE token_hash = ${hashToken(token)} AND revoked_at IS NULL AND expires_at > now()
        AND last_seen_at > now() - make_interval(secs => ${SESSION_IDLE_SECONDS})
    ), seen AS (
      UPDATE portal_sessions p SET last_seen_at = now()
      FROM s WHERE p.id = s.id AND s.last_seen_at < now() - make_interval(secs => ${SEEN_EVERY_SECONDS})
    )
    SELECT s.id, s.csrf_token, s.return_url, s.expires_at, c.id AS customer_id, c.name, c.email, c.currency, c.status, c.locale
    FROM s JOIN customers c ON c.id = s.customer_id`,
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    csrfToken: r.csrf_token,
    returnUrl: r.return_url,
    expiresAt: r.expires_at,
    customer: {
      id: r.customer_id,
      name: r.name,
      email: r.email,
      currency: r.currency,
      status: r.status,
      locale: r.locale,
    },
  };
}

/** The customer's live sessions, newest first (at most 50). */
export async function listSessions(db: Db, customerId: string, currentId: string) {
  const rows = await db
    .selectFrom('portal_sessions')
    .select(['id', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent'])
    .where('customer_id', '=', customerId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .where('last_seen_at', '>', sql<Date>`now() - make_interval(secs => ${SESSION_IDLE_SECONDS})`)
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
  return {
    data: rows.map((s) => ({
      id: s.id,
      created_at: isoTime(s.created_at),
      last_seen_at: isoTime(s.last_seen_at),
      expires_at: isoTime(s.expires_at),
      ip: s.ip,
      user_agent: s.user_agent,
      current: s.id === currentId,
    })),
  };
}

/** Ends one of the customer's sessions; another customer's (or an unknown) session is not_found. */
export async function revokeSession(db: Db, customerId: string, sessionId: string): Promise<void> {
  const row = await db
    .updateTable('portal_sessions')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', sessionId)
    .where('customer_id', '=', customerId)
    .returning('id')
    .executeTakeFirst();
  if (!row) throw notFound('session', sessionId);
}

export async function setLocale(db: Db, customerId: string, locale: PortalLocale): Promise<{ locale: PortalLocale }> {
  await db.updateTable('customers').set({ locale }).where('id', '=', customerId).execute();
  return { locale };
}
