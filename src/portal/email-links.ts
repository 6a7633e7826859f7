import { sql } from 'kysely';
import type { Db, Tx } from '../db/pool.js';
import type { PortalLocale } from '../db/schema.js';
import { createLink, LINK_TTL_SECONDS, type LinkPurpose } from './links.js';

/** E-mailed links per address (sign-in) or per customer (PIN reset) per hour; more are dropped silently. */
export const EMAIL_LINKS_PER_HOUR = 3;
/** Addresses are not unique: one request e-mails at most this many customers. */
const CUSTOMERS_PER_ADDRESS = 5;

const MAIL_KIND: Record<LinkPurpose, 'portal_signin' | 'portal_pin_reset'> = {
  signin: 'portal_signin',
  pin_reset: 'portal_pin_reset',
};

async function queueLink(
  tx: Tx,
  secret: string,
  customerId: string,
  purpose: LinkPurpose,
  locale: PortalLocale | null,
  sentTo: string | null,
  createdBy: string,
) {
  const link = await createLink(tx, secret, {
    customerId,
    purpose,
    returnUrl: null,
    locale,
    createdBy,
    ttlSeconds: LINK_TTL_SECONDS.email,
    sentTo,
  });
  await tx
    .insertInto('mail_outbox')
    .values({ kind: MAIL_KIND[purpose], object_id: link.id, customer_id: customerId })
    .execute();
}

/**
 * `POST /portal/api/signin/email`: queues a sign-in link to every customer (at most 5) with this
 * address. The caller answers the same whatever happens here, so nobody learns whether an address
 * is a customer's. Requests for one address are serialised by an advisory lock so the hourly
 * limit holds under concurrency; all links of one request share its timestamp, so the limit
 * counts requests. Returns how many links were queued.
 */
export async function emailSigninLinks(
  db: Db,
  secret: string,
  email: string,
  locale: PortalLocale | null,
): Promise<number> {
  const address = email.trim().toLowerCase();
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext(${'portal_email:' + address}))`.execute(tx);
    const recent = await tx
      .selectFrom('portal_links')
      .select(sql<number>`count(DISTINCT created_at)::int`.as('n'))
      .where('sent_to', '=', address)
      .where('created_at', '>', sql<Date>`now() - interval '1 hour'`)
      .executeTakeFirstOrThrow();
    if (recent.n >= EMAIL_LINKS_PER_HOUR) return 0;
    const customers = await tx
      .selectFrom('customers')
      .select('id')
      .where(sql<string>`lower(email)`, '=', address)
      .orderBy('id')
      .limit(CUSTOMERS_PER_ADDRESS)
      .execute();
    for (const c of customers) await queueLink(tx, secret, c.id, 'signin', locale, address, 'email');
    return customers.length;
  });
}

/**
 * `POST /portal/api/payment-password/reset`: e-mails the signed-in customer a one-time link that
 * lets them set a new payment password without the current one. At most 3 an hour (silently).
 */
export async function emailPinResetLink(db: Db, secret: string, customerId: string): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    // Serialises the customer's requests, so the hourly limit holds.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${'portal_pin_reset:' + customerId}))`.execute(tx);
    const customer = await tx
      .selectFrom('customers')
      .select(['id', 'locale'])
      .where('id', '=', customerId)
      .executeTakeFirstOrThrow();
    const recent = await tx
      .selectFrom('portal_links')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('customer_id', '=', customerId)
      .where('purpose', '=', 'pin_reset')
      .where('created_at', '>', sql<Date>`now() - interval '1 hour'`)
      .executeTakeFirstOrThrow();
    if (recent.n >= EMAIL_LINKS_PER_HOUR) return false;
    await queueLink(tx, secret, customer.id, 'pin_reset', customer.locale, null, 'customer');
    return true;
  });
}
