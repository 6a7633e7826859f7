import type pg from 'pg';

/** One balance's batch of charges, as sent to PostgreSQL. */
export interface ChargeGroup {
  apiKeyId: bigint;
  customer: string;
  balance: string;
  revenueCode: string;
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

/** Per charge: status (0 = no such account, -1 = retry the group), stored body, replayed. */
export interface GroupResult {
  status: number[];
  body: (string | null)[];
  replayed: boolean[];
}

interface Waiting {
  group: ChargeGroup;
  resolve: (r: GroupResult) => void;
  reject: (e: unknown) => void;
}

// A lone group skips the procedure (whose in-call COMMIT costs ~15–25 % of a small batch).
const SINGLE_SQL = `SELECT r_status, r_body, r_replayed FROM coffer_charge_batch(
  $1, $2, $3, $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::jsonb[], $10::text[], $11::text[], $12)`;

const RETRYABLE = new Set(['40001', '40P01']);

const CALL_SQL = `CALL coffer_charge_groups($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[],
  $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[])`;

/**
 * Sends balances' batches to `coffer_charge_groups`, several per round trip. At most `maxCalls`
 * calls are in flight; groups that arrive meanwhile wait and leave together in the next call, so
 * under load one round trip (and one WAL flush) serves many customers, while each customer's
 * charges still commit in a transaction of their own.
 */
export class ChargeGroupCaller {
  private waiting: Waiting[] = [];
  private inFlight = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxCalls: number,
    private readonly maxGroupsPerCall: number,
  ) {}

  run(group: ChargeGroup): Promise<GroupResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ group, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxCalls && this.waiting.length > 0) {
      const take = this.waiting.splice(0, this.maxGroupsPerCall);
      this.inFlight++;
      void this.call(take).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async call(take: Waiting[]): Promise<void> {
    if (take.length === 1) return this.single(take[0]);
    const groups = take.map((w) => w.group);
    const charges = groups.flatMap((g) => g.charges);
    try {
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
      const row = res.rows[0] as { r_status: number[]; r_body: (string | null)[]; r_replayed: boolean[] };
      let from = 0;
      for (const w of take) {
        const to = from + w.group.charges.length;
        w.resolve({ status: row.r_status.slice(from, to), body: row.r_body.slice(from, to), replayed: row.r_replayed.slice(from, to) });
        from = to;
      }
    } catch (err) {
      for (const w of take) w.reject(err);
    }
  }

  private async single(w: Waiting): Promise<void> {
    const g = w.group;
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
      const row = res.rows[0] as { r_status: number[]; r_body: (string | null)[]; r_replayed: boolean[] };
      w.resolve({ status: row.r_status, body: row.r_body, replayed: row.r_replayed });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code && RETRYABLE.has(code)) {
        w.resolve({ status: c.map(() => -1), body: c.map(() => null), replayed: c.map(() => false) });
      } else {
        w.reject(err);
      }
    }
  }
}
