import { sql } from 'kysely';
import type { Db } from '../db/pool.js';
import { CofferError, invalidRequest, notFound } from '../errors.js';
import { runIdempotent, type IdempotencyContext, type Outcome } from '../idempotency/index.js';
import { newId } from '../lib/ids.js';
import { isoTime } from '../lib/json.js';
import { readBalances } from '../ledger/index.js';
import { isKnownCurrency } from '../money/index.js';

export interface CreateCustomerInput {
  externalId: string;
  email: string;
  name: string | null;
  currency: string | null;
}

interface CustomerRow {
  id: string;
  external_id: string;
  email: string;
  name: string | null;
  currency: string;
  status: string;
  created_at: Date;
}

async function present(db: Db, c: CustomerRow) {
  return {
    id: c.id,
    object: 'customer',
    external_id: c.external_id,
    email: c.email,
    name: c.name,
    currency: c.currency,
    status: c.status,
    created_at: isoTime(c.created_at),
    balances: await readBalances(db, c.id),
  };
}

/** Creates a customer with a wallet and a balance per enabled product; an existing external_id answers 200 unchanged. */
export function createCustomer(
  db: Db,
  idem: IdempotencyContext | null,
  input: CreateCustomerInput,
  platformCurrency: string,
): Promise<Outcome> {
  const currency = input.currency ?? platformCurrency;
  if (!isKnownCurrency(currency)) {
    return Promise.reject(
      new CofferError('currency_not_supported', `Currency ${currency} is not supported.`, { currency }),
    );
  }
  return runIdempotent(db, idem, async (tx) => {
    const { rows } = await sql<CustomerRow>`
      INSERT INTO customers (id, external_id, email, name, currency)
      VALUES (${newId('cus')}, ${input.externalId}, ${input.email}, ${input.name}, ${currency})
      ON CONFLICT (external_id) DO NOTHING RETURNING *`.execute(tx);
    if (rows.length === 0) {
      const existing = await tx
        .selectFrom('customers')
        .selectAll()
        .where('external_id', '=', input.externalId)
        .executeTakeFirstOrThrow();
      return { status: 200, body: await present(tx, existing as CustomerRow) };
    }
    const customer = rows[0];
    await sql`
      INSERT INTO accounts (customer_id, code, currency)
      SELECT ${customer.id}, code, ${currency} FROM (SELECT 'wallet' AS code UNION ALL SELECT code FROM products WHERE enabled) p`.execute(
      tx,
    );
    return { status: 201, body: await present(tx, customer) };
  });
}

/** The currency of a customer's balances; 404 if there is no such customer. */
export async function customerCurrency(db: Db, id: string): Promise<string> {
  const c = await db.selectFrom('customers').select('currency').where('id', '=', id).executeTakeFirst();
  if (!c) throw notFound('customer', id);
  return c.currency;
}

export async function getCustomer(db: Db, id: string) {
  const c = await db.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!c) throw notFound('customer', id);
  return present(db, c as CustomerRow);
}

/**
 * `GET /v1/customers`: newest first, keyset-paged by id, optionally only the one with an
 * `external_id`. A cursor that is not a customer's id is a `400` (as on every list).
 */
export async function listCustomers(
  db: Db,
  filter: { externalId?: string },
  page: { limit: number; startingAfter?: string },
) {
  if (page.startingAfter) {
    const cursor = await db
      .selectFrom('customers')
      .select('id')
      .where('id', '=', page.startingAfter)
      .executeTakeFirst();
    if (!cursor) throw invalidRequest('starting_after', 'is not the id of a customer in this list');
  }
  let q = db.selectFrom('customers').selectAll();
  if (filter.externalId !== undefined) q = q.where('external_id', '=', filter.externalId);
  if (page.startingAfter) q = q.where('id', '<', page.startingAfter);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const data = [];
  for (const c of rows.slice(0, page.limit)) data.push(await present(db, c as CustomerRow));
  return { data, has_more: rows.length > page.limit };
}

export async function customerBalances(db: Db, id: string) {
  const c = await db.selectFrom('customers').select('id').where('id', '=', id).executeTakeFirst();
  if (!c) throw notFound('customer', id);
  return { data: await readBalances(db, id) };
}

/** Seeds products from configuration: missing ones are added, existing ones (maybe edited by staff) are left alone. */
export async function seedProducts(db: Db, products: { code: string; name: string }[]): Promise<void> {
  if (products.length === 0) return;
  await db
    .insertInto('products')
    .values(products)
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
}

export async function listProducts(db: Db) {
  const rows = await db.selectFrom('products').select(['code', 'name', 'enabled']).orderBy('code').execute();
  return { data: rows };
}
