import { sql } from 'kysely';
import type { Db } from '../db/pool.js';
import { invalidRequest, notFound } from '../errors.js';
import { isoTime } from '../lib/json.js';
import { unknownBalance } from './accounts.js';

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

const ENTRY_ID = /^ent_([0-9a-z]+)_([0-9a-z]+)$/;

/** Statement entries are identified by account and sequence number: `ent_<account>_<seq>` in base 36. */
export const entryId = (accountId: bigint, seq: bigint): string => `ent_${accountId.toString(36)}_${seq.toString(36)}`;

export interface EntryRow {
  seq: bigint;
  transfer_id: string;
  kind: string;
  amount: bigint;
  balance_after: bigint;
  reference: string;
  created_at: Date;
  /** the transfer's description (a charge's, a grant's reason), when it has one */
  description?: string | null;
}

/** A statement entry as the API shows it. */
export function presentEntry(accountId: bigint, e: EntryRow) {
  return {
    id: entryId(accountId, e.seq),
    transfer_id: e.transfer_id,
    kind: e.kind,
    amount: e.amount,
    balance_after: e.balance_after,
    reference: e.reference,
    description: e.description ?? null,
    created_at: isoTime(e.created_at),
  };
}

/** One balance's entries, newest first, each with the posted balance after it. */
export async function statement(
  db: Db,
  customerId: string,
  balance: string,
  limit: number,
  startingAfter: string | null,
): Promise<Page<unknown>> {
  const customer = await db.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
  if (!customer) throw notFound('customer', customerId);
  const account = await db
    .selectFrom('accounts')
    .select(['id', 'entry_seq'])
    .where('customer_id', '=', customerId)
    .where('code', '=', balance)
    .executeTakeFirst();
  if (!account) {
    const product = await db
      .selectFrom('products')
      .select('code')
      .where('code', '=', balance)
      .where('enabled', '=', true)
      .executeTakeFirst();
    if (balance === 'wallet' || product) {
      if (startingAfter) throw invalidRequest('starting_after', 'is not an entry of this statement');
      return { data: [], has_more: false };
    }
    throw unknownBalance(balance);
  }
  let beforeSeq: bigint | null = null;
  if (startingAfter) {
    const m = ENTRY_ID.exec(startingAfter);
    if (!m || BigInt(parseInt(m[1], 36)) !== account.id)
      throw invalidRequest('starting_after', 'is not an entry of this statement');
    beforeSeq = BigInt(parseInt(m[2], 36));
    // Entries are numbered 1…entry_seq per account: any other number is no entry of this statement.
    if (beforeSeq < 1n || beforeSeq > BigInt(account.entry_seq))
      throw invalidRequest('starting_after', 'is not an entry of this statement');
  }
  const { rows } = await sql<EntryRow>`
    SELECT e.seq, e.transfer_id, e.kind, e.amount, e.balance_after, e.reference, e.created_at, t.description
    FROM (SELECT * FROM entries
          WHERE account_id = ${account.id.toString()} ${beforeSeq === null ? sql`` : sql`AND seq < ${beforeSeq.toString()}`}
          ORDER BY seq DESC
          LIMIT ${limit + 1}) e
    LEFT JOIN transfers t ON t.id = e.transfer_id
    ORDER BY e.seq DESC`.execute(db);
  return {
    data: rows.slice(0, limit).map((e) => presentEntry(account.id, e)),
    has_more: rows.length > limit,
  };
}
