import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { signatureHeader } from '../signature.js';

export interface DeliveryOptions {
  url: string;
  secret: string;
  pollMs: number;
  retryBaseMs: number;
  timeoutMs: number;
  log: { warn(obj: object, msg: string): void };
}

const BATCH = 20;
const MAX_BACKOFF_SECONDS = 60;

/**
 * Delivers the sandbox's queued events to `POST /webhooks/sandbox`, like a real provider: signed
 * at send time, retried with exponential back-off until Coffer answers 2xx. A row is claimed by
 * pushing its next attempt into the future before sending, so any process may deliver it and a
 * process killed mid-send only delays it by one back-off (delivery is at least once).
 */
export class SandboxDelivery {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: DeliveryOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.opts.pollMs);
    this.timer.unref();
  }

  /** Runs a delivery round now (or right after the current one). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((err) => this.opts.log.warn({ err }, 'sandbox delivery round failed'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async round(): Promise<void> {
    for (;;) {
      const due = await sql<{ id: string; body: string }>`
        UPDATE sandbox_deliveries
        SET attempts = attempts + 1,
            next_attempt_at = now() + make_interval(secs => least(${MAX_BACKOFF_SECONDS}, ${this.opts.retryBaseMs / 1000} * power(2, least(attempts, 16))))
        WHERE id IN (SELECT id FROM sandbox_deliveries
                     WHERE delivered_at IS NULL AND next_attempt_at <= now()
                     ORDER BY next_attempt_at, id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING id, body`.execute(this.db);
      if (due.rows.length === 0 || this.stopped) return;
      await Promise.all(due.rows.map((row) => this.deliver(row.id, row.body)));
      if (due.rows.length < BATCH) return;
    }
  }

  private async deliver(id: string, body: string): Promise<void> {
    let error: string | null = null;
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coffer-signature': signatureHeader(this.opts.secret, body) },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (error === null) {
      await this.db.updateTable('sandbox_deliveries').set({ delivered_at: new Date(), last_error: null }).where('id', '=', BigInt(id)).execute();
    } else {
      await this.db.updateTable('sandbox_deliveries').set({ last_error: error.slice(0, 500) }).where('id', '=', BigInt(id)).execute();
    }
  }
}
