import { sql, type Kysely } from 'kysely';
import type { OutboxQueue } from '../db/outbox.js';
import type { Database } from '../db/schema.js';
import { signatureHeader } from '../providers/signature.js';

export interface DeliveryOptions {
  url: string;
  secret: string;
  retryBaseMs: number;
  timeoutMs: number;
}

const BATCH = 20;
const MAX_BACKOFF_SECONDS = 60;

/**
 * Delivers the sandbox's queued events to `POST /webhooks/sandbox`, like a real provider: signed
 * at send time, retried with exponential back-off until Coffer answers 2xx. Drained by the
 * process's outbox poller (src/db/outbox.ts), which the checkout page kicks after a payment.
 */
export class SandboxDelivery implements OutboxQueue {
  readonly name = 'sandbox deliveries';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly opts: DeliveryOptions,
  ) {}

  async round(stopping: () => boolean): Promise<number> {
    let handled = 0;
    for (;;) {
      const due = await sql<{ id: string; body: string }>`
        UPDATE sandbox_deliveries
        SET attempts = attempts + 1,
            next_attempt_at = now() + make_interval(secs => least(${MAX_BACKOFF_SECONDS}, ${this.opts.retryBaseMs / 1000} * power(2, least(attempts, 16))))
        WHERE id IN (SELECT id FROM sandbox_deliveries
                     WHERE delivered_at IS NULL AND next_attempt_at <= now()
                     ORDER BY next_attempt_at, id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING id, body`.execute(this.db);
      if (due.rows.length === 0) return handled;
      await Promise.all(due.rows.map((row) => this.deliver(row.id, row.body)));
      handled += due.rows.length;
      if (due.rows.length < BATCH || stopping()) return handled;
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
      await this.db
        .updateTable('sandbox_deliveries')
        .set({ delivered_at: new Date(), last_error: null })
        .where('id', '=', BigInt(id))
        .execute();
    } else {
      await this.db
        .updateTable('sandbox_deliveries')
        .set({ last_error: error.slice(0, 500) })
        .where('id', '=', BigInt(id))
        .execute();
    }
  }
}
