import { sql } from 'kysely';
import type { Db } from '../db/pool.js';

export interface Watch {
  /**
   * called when the order may have changed (its status, timeline, payment or refunds), and once
   * at the first poll after the watch began (a change between the stream's first read and that
   * poll is not lost); the stream re-reads the order and sends it if it differs from what it sent
   */
  onChange(): void;
  /** called once when the watcher stops (server shutdown): the stream must end */
  onClose(): void;
}

/**
 * One per process: the orders that live streams (`GET /portal/api/topups/{id}/events`) are
 * watching, polled together once a second by a single query, whatever the number of streams.
 * The timer runs only while something is watched. A session may hold a few streams at most.
 */
export class OrderWatcher {
  private readonly watches = new Map<string, Set<{ w: Watch; primed: boolean }>>();
  private readonly versions = new Map<string, string>();
  private readonly perSession = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private stopped = false;

  /** where a failed poll is reported (the app's logger, once the routes are registered) */
  log: { warn(obj: object, msg: string): void } = { warn: () => undefined };

  constructor(
    private readonly db: Db,
    private readonly pollMs = 1000,
    readonly maxPerSession = 3,
  ) {}

  /** Starts watching; returns the function that stops, or null when the session has too many streams (or the watcher stopped). */
  watch(orderId: string, sessionId: string, w: Watch): (() => void) | null {
    const held = this.perSession.get(sessionId) ?? 0;
    if (this.stopped || held >= this.maxPerSession) return null;
    this.perSession.set(sessionId, held + 1);
    let set = this.watches.get(orderId);
    if (!set) this.watches.set(orderId, (set = new Set()));
    const entry = { w, primed: false };
    set.add(entry);
    this.timer ??= setInterval(() => void this.poll(), this.pollMs).unref();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.perSession.get(sessionId) ?? 1) - 1;
      if (n > 0) this.perSession.set(sessionId, n);
      else this.perSession.delete(sessionId);
      set.delete(entry);
      if (set.size === 0 && this.watches.get(orderId) === set) {
        this.watches.delete(orderId);
        this.versions.delete(orderId);
      }
      if (this.watches.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  /** One query for every watched order; watchers of a changed order are told. */
  async poll(): Promise<void> {
    if (this.polling || this.watches.size === 0) return;
    this.polling = true;
    try {
      const ids = [...this.watches.keys()];
      const { rows } = await sql<{ id: string; version: string }>`
        SELECT o.id, concat_ws('|', o.status, o.updated_at, o.refunded_amount, o.provider_payment_id,
               (SELECT max(t.id) FROM order_timeline t WHERE t.order_id = o.id)) AS version
        FROM orders o WHERE o.id = ANY(${ids}::text[])`.execute(this.db);
      for (const r of rows) {
        const before = this.versions.get(r.id);
        this.versions.set(r.id, r.version);
        for (const entry of this.watches.get(r.id) ?? []) {
          if (entry.primed && before === r.version) continue;
          entry.primed = true;
          entry.w.onChange();
        }
      }
    } catch (err) {
      this.log.warn({ err }, 'order watch poll failed');
    } finally {
      this.polling = false;
    }
  }

  /** Ends every stream (before the server closes, so open streams never hold up a shutdown). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const all = [...this.watches.values()].flatMap((s) => [...s].map((e) => e.w));
    this.watches.clear();
    this.versions.clear();
    this.perSession.clear();
    for (const w of all) w.onClose();
  }
}
