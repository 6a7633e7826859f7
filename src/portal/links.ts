import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Config } from '../config.js';
import type { Db, Tx } from '../db/pool.js';
import type { PortalLocale } from '../db/schema.js';
import { notFound } from '../errors.js';
import { newId } from '../lib/ids.js';
import { isoTime } from '../lib/json.js';

/** How long each kind of one-time link lives. */
export const LINK_TTL_SECONDS = {
  /** made by the platform's backend for a customer who is signed in there */
  platform: 5 * 60,
  /** e-mailed sign-in and payment-password reset links */
  email: 15 * 60,
  /** printed by `npm start` beside the demo API key: still one use */
  demo: 24 * 60 * 60,
} as const;

export type LinkPurpose = 'signin' | 'pin_reset';

export interface LinkInput {
  customerId: string;
  purpose: LinkPurpose;
  returnUrl: string | null;
  locale: PortalLocale | null;
  /** who asked for it: `api:<key id>`, `email`, `demo`, `cli`, `customer` */
  createdBy: string;
  ttlSeconds: number;
  /** the address an e-mailed link is sent to (lower case) */
  sentTo?: string | null;
}

export interface SpentLink {
  id: string;
  customer_id: string;
  return_url: string | null;
  locale: PortalLocale | null;
}

const mac = (secret: string, id: string): string =>
  crypto.createHmac('sha256', secret).update(`portal_link:${id}`).digest('base64url');

/**
 * A link's token is `<id>.<HMAC of the id>`: only the id is stored, so the mail outbox (which
 * keeps a kind and an object id) can render the link again, and a token cannot be forged from
 * an id without the session secret.
 */
export const linkToken = (secret: string, id: string): string => `${id}.${mac(secret, id)}`;

/** The link id of a well-formed token whose MAC is right (compared in constant time); else null. */
export function tokenLinkId(secret: string, token: string): string | null {
  const m = /^(pln_[0-9a-z]{26})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const expected = Buffer.from(mac(secret, m[1]));
  const given = Buffer.from(m[2]);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected) ? m[1] : null;
}

export function linkUrl(config: Pick<Config, 'publicUrl'>, purpose: LinkPurpose, token: string): string {
  return purpose === 'signin'
    ? `${config.publicUrl}/signin?token=${token}`
    : `${config.publicUrl}/security?reset=${token}`;
}

export async function createLink(
  db: Db | Tx,
  secret: string,
  input: LinkInput,
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const row = await db
    .insertInto('portal_links')
    .values({
      id: newId('pln'),
      customer_id: input.customerId,
      purpose: input.purpose,
      return_url: input.returnUrl,
      locale: input.locale,
      sent_to: input.sentTo ?? null,
      created_by: input.createdBy,
      expires_at: sql<Date>`now() + make_interval(secs => ${input.ttlSeconds})`,
    })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, token: linkToken(secret, row.id), expiresAt: row.expires_at };
}

/**
 * Spends a link: one conditional update, so of two requests racing with the same token exactly
 * one gets it. Null when the token is forged, unknown, spent, expired, of another purpose, or
 * (when `customerId` is given) another customer's.
 */
export async function spendLink(
  tx: Db | Tx,
  secret: string,
  token: string,
  purpose: LinkPurpose,
  customerId?: string,
): Promise<SpentLink | null> {
  const id = tokenLinkId(secret, token);
  if (!id) return null;
  let q = tx
    .updateTable('portal_links')
    .set({ used_at: sql`now()` })
    .where('id', '=', id)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`);
  if (customerId) q = q.where('customer_id', '=', customerId);
  const row = await q.returning(['id', 'customer_id', 'return_url', 'locale']).executeTakeFirst();
  return row ?? null;
}

/**
 * `POST /v1/customers/{id}/portal_sessions`: a one-time sign-in link for a customer the platform
 * has signed in itself (also the demo's and the CLI's link, with their own lifetimes).
 */
export async function createSigninLink(
  db: Db,
  secret: string,
  config: Pick<Config, 'publicUrl'>,
  customerId: string,
  opts: { returnUrl: string | null; locale: PortalLocale | null; createdBy: string; ttlSeconds?: number },
) {
  const customer = await db.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
  if (!customer) throw notFound('customer', customerId);
  const link = await createLink(db, secret, {
    customerId,
    purpose: 'signin',
    returnUrl: opts.returnUrl,
    locale: opts.locale,
    createdBy: opts.createdBy,
    ttlSeconds: opts.ttlSeconds ?? LINK_TTL_SECONDS.platform,
  });
  return { object: 'portal_session', url: linkUrl(config, 'signin', link.token), expires_at: isoTime(link.expiresAt) };
}
