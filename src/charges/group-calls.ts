import type pg from 'pg';
import { statementError } from '../db/sqlstate.js';
import { Coalescer } from '../lib/coalescer.js';

/** One balance's batch of charges, as sent to PostgreSQL. */
export interface ChargeGroup {
  apiKeyId: bigint;
  customer: string;
  balance: string;
  revenueCode: string;
  /**
   * More charges of this balance are waiting: the batch goes through the procedure even alone, so
   * that its row lock is released at commit rather than after the WAL flush (the next batch of a
   * hot balance would otherwise wait for our fsync).
   */
  contended: boolean;
  charges: {
    key: string;
    hash: string;
    amountMinor: bigint;
    currency: string;
    description: string | null;
    metadataJson: string | null;
    chargeId: string;
    transferId: string;
  }[];
}

/**
 * Per charge: status (0 = no such account, -1 = retry the group, -2 = the group failed: body is
 * '<SQLSTATE>:<message>'), stored body, replayed.
 */
export interface GroupResult {
  status: number[];
  body: (string | null)[];
  replayed: boolean[];
}

// A lone group may skip the procedure (whose in-call COMMIT costs ~15–25 % of a small batch), but
// then its balance stays locked while the commit is flushed (see ChargeGroup.contended).
// A replayed answer may come from a batch committed asynchronously and not flushed yet (the
// procedure's groups): then this statement's own commit is made to flush the WAL before answering.
const SINGLE_SQL = `SELECT array_to_string(r_status, ',') AS r_status, array_to_string(r_body, E'\\x1e', '') AS r_body,
  array_to_string(r_replayed, '') AS r_replayed, CASE WHEN true = ANY (r_replayed) THEN coffer_make_commit_flush() END AS flushed
  FROM coffer_charge_batch(
  $1, $2, $3, $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::jsonb[], $10::text[], $11::text[], $12)`;

/** The procedure's and the single statement's results: three strings (see sql/charge_groups.sql). */
function splitResults(row: { r_status: string; r_body: string; r_replayed: string }): GroupResult {
  return {
    status: row.r_status.split(',').map(Number),
    body: row.r_body.split('\u001e').map((b) => (b === '' ? null : b)),
    replayed: Array.from(row.r_replayed, (c) => c === 't'),
  };
}

// A serialization failure, a deadlock, or a unique violation: the batch met another transaction
// storing one of its idempotency keys (the same key used on another balance at the same moment,
// sql/charge_batch.sql). The batch rolled back; retried, it finds the key.
const RETRYABLE = new Set(['40001', '40P01', '23505']);

const CALL_SQL = `CALL coffer_charge_groups($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[],
  $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[])`;

/**
 * Sends balances' batches to `coffer_charge_groups`, several per round trip. At most `maxCalls`
 * calls are in flight; groups that become ready in the same turn of the event loop, or meanwhile,
 * leave together in the next call (Coalescer), so under load one round trip (and one WAL flush)
 * serves many customers, while each customer's charges still commit in a transaction of their own.
 */
export class ChargeGroupCaller {
  private readonly coalescer: Coalescer<ChargeGroup, GroupResult>;

  constructor(
    private readonly pool: pg.Pool,
    maxCalls: number,
    maxGroupsPerCall: number,
  ) {
    this.coalescer = new Coalescer(
      (groups) => (groups.length === 1 && !groups[0].contended ? this.single(groups[0]) : this.call(groups)),
      maxCalls,
      maxGroupsPerCall,
    );
  }

  run(group: ChargeGroup): Promise<GroupResult> {
    return this.coalescer.run(group);
  }

  private async call(groups: ChargeGroup[]): Promise<GroupResult[]> {
    try {
      return await this.callOnce(groups);
    } catch (err) {
      // Refused before any group ran (a parameter PostgreSQL cannot take; each group's own errors
      // are caught inside the procedure, sql/charge_groups.sql): each group is sent again on its own.
      if (!statementError(err)) throw err;
      return (await Promise.all(groups.map((g) => this.single(g)))).flat();
    }
  }

  private async callOnce(groups: ChargeGroup[]): Promise<GroupResult[]> {
    const charges = groups.flatMap((g) => g.charges);
    const res = await this.pool.query({
      name: 'coffer_charge_groups',
      text: CALL_SQL,
      values: [
        groups.map((g) => g.apiKeyId.toString()),
        groups.map((g) => g.customer),
        groups.map((g) => g.balance),
        groups.map((g) => g.revenueCode),
        groups.map((g) => g.charges.length),
        charges.map((c) => c.key),
        charges.map((c) => c.hash),
        charges.map((c) => c.amountMinor.toString()),
        charges.map((c) => c.currency),
        charges.map((c) => c.description),
        charges.map((c) => c.metadataJson),
        charges.map((c) => c.chargeId),
        charges.map((c) => c.transferId),
      ],
    });
    const all = splitResults(res.rows[0]);
    let from = 0;
    return groups.map((g) => {
      const to = from + g.charges.length;
      const r = {
        status: all.status.slice(from, to),
        body: all.body.slice(from, to),
        replayed: all.replayed.slice(from, to),
      };
      from = to;
      return r;
    });
  }

  private async single(g: ChargeGroup): Promise<GroupResult[]> {
    const c = g.charges;
    try {
      const res = await this.pool.query({
        name: 'coffer_charge_batch',
        text: SINGLE_SQL,
        values: [
          g.customer,
          g.balance,
          g.apiKeyId.toString(),
          c.map((x) => x.key),
          c.map((x) => x.hash),
          c.map((x) => x.amountMinor.toString()),
          c.map((x) => x.currency),
          c.map((x) => x.description),
          c.map((x) => x.metadataJson),
          c.map((x) => x.chargeId),
          c.map((x) => x.transferId),
          g.revenueCode,
        ],
      });
      return [splitResults(res.rows[0])];
    } catch (err) {
      const failed = statementError(err);
      if (!failed) throw err;
      const retry = RETRYABLE.has(failed.code);
      const body = retry ? null : `${failed.code}:${failed.message}`;
      return [{ status: c.map(() => (retry ? -1 : -2)), body: c.map(() => body), replayed: c.map(() => false) }];
    }
  }
}
