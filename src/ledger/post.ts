import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { CofferError } from '../errors.js';
import { newId } from '../lib/ids.js';
import { ledgerTransfers } from '../metrics.js';
import type { Tx } from '../db/pool.js';
import type { LockedAccount } from './accounts.js';

export type TransferKind =
  'topup' | 'charge' | 'capture' | 'transfer' | 'grant' | 'refund' | 'chargeback' | 'adjustment';

/** One side of a transfer: a locked customer account, or a system account id (never locked). */
export type Side = LockedAccount | bigint;

export interface TransferInput {
  customerId: string;
  kind: TransferKind;
  debit: Side;
  credit: Side;
  amountMinor: bigint;
  currency: string;
  /** unique per customer: the idempotency of the money movement itself */
  reference: string;
  /** the reference shown on statements */
  displayReference: string;
  /** the business object that caused it; defaults to the transfer itself */
  objectId?: string;
  /** a transfer id chosen by the caller (when the id is also the API object's id) */
  id?: string;
  description?: string | null;
  metadata?: unknown;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const sideId = (s: Side): bigint => (typeof s === 'bigint' ? s : s.id);

/**
 * Posts one immutable transfer and its statement entries, and moves the posted balances of the
 * customer accounts it touches (mutating the locked snapshots so the caller sees the result).
 * Overdraft rules belong to the caller: this only records what was decided.
 */
export async function postTransfer(tx: Tx, t: TransferInput): Promise<string> {
  assert.ok(t.amountMinor > 0n, 'transfer amount must be positive');
  assert.notEqual(sideId(t.debit), sideId(t.credit), 'transfer must move between two accounts');
  for (const s of [t.debit, t.credit]) {
    if (typeof s !== 'bigint') assert.equal(s.currency, t.currency, 'transfer currency must match the account');
  }
  for (const [side, sign] of [
    [t.debit, -1n],
    [t.credit, 1n],
  ] as const) {
    // Balances are JSON numbers: one that left the safe-integer range would be reported wrongly.
    if (
      typeof side !== 'bigint' &&
      (side.posted + sign * t.amountMinor > MAX_SAFE || side.posted + sign * t.amountMinor < -MAX_SAFE)
    ) {
      throw new CofferError(
        'amount_above_maximum',
        `This would take the ${side.code} balance beyond ${MAX_SAFE}, the largest amount the API can represent.`,
        {
          balance: side.code,
          maximum: { amount: Number.MAX_SAFE_INTEGER, currency: t.currency },
        },
      );
    }
  }
  const id = t.id ?? newId('trf');
  await sql`
    INSERT INTO transfers (id, customer_id, kind, debit_account_id, credit_account_id, amount, currency,
                           reference, object_id, description, metadata)
    VALUES (${id}, ${t.customerId}, ${t.kind}, ${sideId(t.debit).toString()}, ${sideId(t.credit).toString()},
            ${t.amountMinor.toString()}, ${t.currency}, ${t.reference}, ${t.objectId ?? id}, ${t.description ?? null},
            ${t.metadata === undefined ? null : JSON.stringify(t.metadata)})`.execute(tx);
  for (const [side, sign] of [
    [t.debit, -1n],
    [t.credit, 1n],
  ] as const) {
    if (typeof side === 'bigint') continue;
    side.posted += sign * t.amountMinor;
    side.entrySeq += 1n;
    await sql`
      INSERT INTO entries (account_id, seq, customer_id, transfer_id, kind, amount, balance_after, reference)
      VALUES (${side.id.toString()}, ${side.entrySeq.toString()}, ${t.customerId}, ${id}, ${t.kind},
              ${(sign * t.amountMinor).toString()}, ${side.posted.toString()}, ${t.displayReference})`.execute(tx);
    await sql`UPDATE accounts SET posted = ${side.posted.toString()}, entry_seq = ${side.entrySeq.toString()}
              WHERE id = ${side.id.toString()}`.execute(tx);
  }
  ledgerTransfers.inc({ kind: t.kind });
  return id;
}
