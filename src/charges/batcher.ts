import type pg from 'pg';
import type { Db } from '../db/pool.js';
import { CofferError } from '../errors.js';
import { claimInFlight, keyInUse, keyReused, type IdempotencyContext, type Outcome } from '../idempotency/index.js';
import { newId } from '../lib/ids.js';
import { toJson } from '../lib/json.js';
import { chargeBatchSize, charges as chargeCounter, ledgerTransfers } from '../metrics.js';
import { ensureAccounts, revenueAccountCode } from '../ledger/index.js';
import { ChargeGroupCaller } from './group-calls.js';

export interface ChargeInput {
  customer: string;
  balance: string;
  amountMinor: bigint;
  currency: string;
  description: string | null;
  metadata: Record<string, unknown> | null;
}

interface Pending {
  input: ChargeInput;
  idem: IdempotencyContext;
  release: () => void;
  resolve: (o: Outcome) => void;
  reject: (e: unknown) => void;
}

interface Queue {
  items: Pending[];
  /** batches of this queue being executed now (at most the pipeline depth) */
  running: number;
  /** drains scheduled to start at the end of this turn of the event loop */
  starting: number;
}

/**
 * Group commit for usage charges. Charges for one balance queue here; while one transaction for
 * that balance is committing, the next arrivals gather, and all of them are decided and committed
 * together by `coffer_charge_batch` under the balance's row lock. Several processes each batch
 * their own arrivals; the row lock orders their batches. Per-charge idempotency, results and the
 * no-overdraft rule are kept because each charge is decided in turn against the running balance.
 */
export class ChargeBatcher {
  private readonly queues = new Map<string, Queue>();
  private queued = 0;

  constructor(
    pool: pg.Pool,
    private readonly db: Db,
    private readonly maxBatch: number,
    private readonly maxQueued: number,
    private readonly pipelineDepth = 2,
    maxCalls = 4,
  ) {
    this.caller = new ChargeGroupCaller(pool, maxCalls, 64);
  }

  private readonly caller: ChargeGroupCaller;

  charge(idem: IdempotencyContext, input: ChargeInput): Promise<Outcome> {
    if (this.queued >= this.maxQueued) {
      return Promise.reject(new CofferError('unavailable', 'Too many charges are waiting; retry shortly.'));
    }
    const release = claimInFlight(idem);
    const key = `${idem.apiKeyId}\u0000${input.customer}\u0000${input.balance}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { items: [], running: 0, starting: 0 };
      this.queues.set(key, queue);
    }
    const q = queue;
    this.queued++;
    return new Promise<Outcome>((resolve, reject) => {
      q.items.push({ input, idem, release, resolve, reject });
      if (q.running + q.starting < this.pipelineDepth) {
        // Started after the event loop's I/O phase: the charges read from the sockets in this turn
        // of the loop leave in the same batch instead of the first one alone.
        q.starting++;
        setImmediate(() => {
          q.starting--;
          void this.drain(key, q);
        });
      }
    });
  }

  /**
   * Executes batches of one queue until it is empty. Up to `pipelineDepth` run at once: while one
   * batch commits, the next is already waiting on the row lock in PostgreSQL, so the lock is
   * handed over without a round trip through this process.
   */
  private async drain(key: string, q: Queue): Promise<void> {
    q.running++;
    while (q.items.length > 0) {
      const batch = q.items.splice(0, this.maxBatch);
      try {
        // Another batch of this balance is running or more charges are waiting: a hot balance.
        const outcomes = await this.execute(batch, q.running > 1 || q.items.length > 0);
        batch.forEach((p, i) => {
          const o = outcomes[i];
          if (o instanceof Error) p.reject(o);
          else p.resolve(o);
        });
      } catch (err) {
        for (const p of batch) p.reject(err);
      } finally {
        this.queued -= batch.length;
        for (const p of batch) p.release();
      }
    }
    q.running--;
    if (q.running === 0 && q.starting === 0 && q.items.length === 0) this.queues.delete(key);
  }

  private async execute(batch: Pending[], contended: boolean, attempt = 0): Promise<(Outcome | Error)[]> {
    const first = batch[0];
    const { customer, balance } = first.input;
    const result = await this.caller.run({
      apiKeyId: first.idem.apiKeyId,
      customer,
      balance,
      revenueCode: revenueAccountCode(balance),
      contended,
      charges: batch.map((p) => ({
        key: p.idem.key,
        hash: p.idem.requestHash,
        amountMinor: p.input.amountMinor,
        currency: p.input.currency,
        description: p.input.description,
        metadataJson: p.input.metadata === null ? null : JSON.stringify(p.input.metadata),
        chargeId: newId('chg'),
        transferId: newId('trf'),
      })),
    });
    if (result.status[0] === -1) {
      // A serialization failure, deadlock or unique violation (one key used on two balances at once): try again.
      if (attempt >= 3) throw new CofferError('unavailable', 'The charge could not be committed; retry shortly.');
      return this.execute(batch, contended, attempt + 1);
    }
    if (result.status[0] === -2) {
      // The group failed as a whole; each charge is tried alone, so only the one at fault fails.
      if (batch.length > 1) return (await Promise.all(batch.map((p) => this.execute([p], contended, attempt)))).flat();
      return refusedByDatabase(result.body[0] ?? '');
    }
    if (result.status[0] === 0) {
      // The balance has no account yet: create it (enabled product) or refuse (unknown), then retry.
      if (attempt > 0) throw new Error(`account for ${customer}/${balance} still missing after creation`);
      await ensureAccounts(this.db, customer, [balance]);
      return this.execute(batch, contended, attempt + 1);
    }
    chargeBatchSize.observe(batch.length);
    return result.status.map((status, i) =>
      this.toOutcome({ status, body: result.body[i], replayed: result.replayed[i] }),
    );
  }

  private toOutcome(r: { status: number; body: string | null; replayed: boolean }): Outcome | CofferError {
    if (r.status === 409 && (r.body === 'reused' || r.body === 'in_use')) {
      return r.body === 'reused' ? keyReused() : keyInUse();
    }
    const outcome = r.replayed
      ? 'replayed'
      : r.status === 201
        ? 'succeeded'
        : r.status === 402
          ? 'insufficient_funds'
          : 'other';
    chargeCounter.inc({ outcome });
    if (outcome === 'succeeded') ledgerTransfers.inc({ kind: 'charge' });
    return { status: r.status, bodyText: r.body ?? toJson(null), replayed: r.replayed };
  }
}

/**
 * A charge PostgreSQL refused on its own (its batch without it commits): a refused value or a
 * violated constraint is this request's 400, anything else its 500; nothing was charged.
 */
function refusedByDatabase(failure: string): (Outcome | CofferError | Error)[] {
  const [code, ...rest] = failure.split(':');
  const message = rest.join(':');
  if (/^2[23]/.test(code)) {
    return [
      new CofferError(
        'invalid_request',
        `The database refused this charge (SQLSTATE ${code}: ${message}); nothing was charged.`,
        { sqlstate: code },
      ),
    ];
  }
  return [Object.assign(new Error(`charge refused by PostgreSQL: ${message}`), { code })];
}
