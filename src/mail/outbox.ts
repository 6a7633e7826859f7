import { sql, type Kysely } from 'kysely';
import type { OutboxQueue } from '../db/outbox.js';
import type { Database } from '../db/schema.js';
import type { Mailer, MailMessage } from './index.js';

export type MailRenderers = Record<string, (objectId: string) => Promise<MailMessage | null>>;

const BATCH = 100;
const MAX_BACKOFF_SECONDS = 3600;

/**
 * The mail queued in `mail_outbox` (rows written in the same transaction as the change they
 * announce, e.g. a credited top-up), drained by the process's outbox poller (src/db/outbox.ts).
 * A failed send is retried with exponential back-off.
 */
export class MailOutbox implements OutboxQueue {
  readonly name = 'mail';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly mailer: Mailer,
    private readonly renderers: MailRenderers,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  /** Sends everything due now, a batch at a time; returns how many rows it handled. */
  async round(stopping: () => boolean = () => false): Promise<number> {
    let handled = 0;
    while (!stopping()) {
      const due = await sql<{ id: bigint; kind: string; object_id: string }>`
        UPDATE mail_outbox
        SET attempts = attempts + 1,
            next_attempt_at = now() + make_interval(secs => least(${MAX_BACKOFF_SECONDS}, 30 * power(2, least(attempts, 16))))
        WHERE id IN (SELECT id FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= now()
                     ORDER BY next_attempt_at, id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED)
        RETURNING id, kind, object_id`.execute(this.db);
      const done = (await Promise.all(due.rows.map((row) => this.send(row)))).filter((d) => d !== null);
      // One statement marks the whole batch done (a statement per row cost as much as the sending).
      if (done.length > 0) {
        await sql`UPDATE mail_outbox m SET sent_at = now(), last_error = d.note
                  FROM unnest(${done.map((d) => String(d.id))}::bigint[], ${done.map((d) => d.note)}::text[]) AS d(id, note)
                  WHERE m.id = d.id`.execute(this.db);
      }
      handled += due.rows.length;
      if (due.rows.length < BATCH) break;
    }
    return handled;
  }

  /** Sends one row's mail; done (sent, or nothing to send) or null when it will be retried. */
  private async send(row: {
    id: bigint;
    kind: string;
    object_id: string;
  }): Promise<{ id: bigint; note: string | null } | null> {
    try {
      const render = this.renderers[row.kind];
      if (!render) throw new Error(`no renderer for mail kind ${row.kind}`);
      const message = await render(row.object_id);
      if (message) await this.mailer.send(message);
      return { id: row.id, note: message ? null : 'nothing to send' };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.log.warn({ mail: row.kind, object: row.object_id, reason }, 'mail not sent; will retry');
      await this.db
        .updateTable('mail_outbox')
        .set({ last_error: reason.slice(0, 500) })
        .where('id', '=', row.id)
        .execute();
      return null;
    }
  }
}
