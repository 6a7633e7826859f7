import type pg from 'pg';
import { statementError } from '../db/sqlstate.js';
import { Coalescer } from '../lib/coalescer.js';
import { creditCallSize } from '../metrics.js';

/** One provider event that credits its order, decided by the caller on a snapshot of the order. */
export interface CreditCall {
  provider: string;
  eventId: string;
  type: string;
  payloadJson: string;
  orderId: string;
  expectedStatus: string;
  paidMinor: bigint;
  creditMinor: bigint;
  paidLate: boolean;
  note: string;
  actor: string;
  /** customer credit, fee, FX */
  transferIds: [string, string, string];
}

/**
 * 'processed' | 'duplicate' | `error:<SQLSTATE>:<message>` — an item that failed changed nothing
 * (CF001: the order moved since it was read; CF002: the balance would pass the API's range).
 */
export type CreditCallResult = string;

const SINGLE_SQL = `SELECT coffer_ingest_credit($1, $2, $3, $4::jsonb, $5, $6, $7::bigint, $8::bigint, $9, $10, $11, $12::text[]) AS result`;

const CALL_SQL = `CALL coffer_ingest_credits($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[],
  $7::bigint[], $8::bigint[], $9::boolean[], $10::text[], $11::text[], $12::text[])`;

/**
 * Sends webhook credits to PostgreSQL, many per round trip (`coffer_ingest_credits`), each still
 * committed in a transaction of its own. At most `maxCalls` calls are in flight; credits that
 * arrive in the same turn of the event loop, or meanwhile, leave together in the next call, so
 * under load one round trip and one WAL flush serve many webhooks. A lone credit goes out as a
 * single statement.
 */
export class CreditCaller {
  private readonly coalescer: Coalescer<CreditCall, CreditCallResult>;

  constructor(
    private readonly pool: pg.Pool,
    maxCalls = 4,
    maxPerCall = 64,
  ) {
    this.coalescer = new Coalescer(
      (calls) => (calls.length === 1 ? this.single(calls[0]) : this.many(calls)),
      maxCalls,
      maxPerCall,
      (n) => creditCallSize.observe(n),
    );
  }

  run(call: CreditCall): Promise<CreditCallResult> {
    return this.coalescer.run(call);
  }

  private async many(calls: CreditCall[]): Promise<CreditCallResult[]> {
    try {
      return await this.manyOnce(calls);
    } catch (err) {
      // Refused before any item ran (a parameter PostgreSQL cannot take; each item's own errors
      // are caught inside the procedure): each credit is sent again on its own.
      if (!statementError(err)) throw err;
      return (await Promise.all(calls.map((c) => this.single(c)))).flat();
    }
  }

  private async manyOnce(calls: CreditCall[]): Promise<CreditCallResult[]> {
    const res = await this.pool.query({
      name: 'coffer_ingest_credits',
      text: CALL_SQL,
      values: [
        calls.map((c) => c.provider),
        calls.map((c) => c.eventId),
        calls.map((c) => c.type),
        calls.map((c) => c.payloadJson),
        calls.map((c) => c.orderId),
        calls.map((c) => c.expectedStatus),
        calls.map((c) => c.paidMinor.toString()),
        calls.map((c) => c.creditMinor.toString()),
        calls.map((c) => c.paidLate),
        calls.map((c) => c.note),
        calls.map((c) => c.actor),
        calls.flatMap((c) => c.transferIds),
      ],
    });
    return (res.rows[0] as { r_result: string[] }).r_result;
  }

  private async single(c: CreditCall): Promise<CreditCallResult[]> {
    try {
      const res = await this.pool.query({
        name: 'coffer_ingest_credit',
        text: SINGLE_SQL,
        values: [
          c.provider,
          c.eventId,
          c.type,
          c.payloadJson,
          c.orderId,
          c.expectedStatus,
          c.paidMinor.toString(),
          c.creditMinor.toString(),
          c.paidLate,
          c.note,
          c.actor,
          c.transferIds,
        ],
      });
      return [(res.rows[0] as { result: string }).result];
    } catch (err) {
      // An error PostgreSQL raised for this credit is its result, as in the procedure; anything
      // else (the connection) fails the call.
      const failed = statementError(err);
      if (failed) return [`error:${failed.code}:${failed.message}`];
      throw err;
    }
  }
}
