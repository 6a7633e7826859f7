/**
 * A table of work written in the same transaction as the change it announces (mail to send,
 * sandbox events to deliver), drained by whichever process gets to it first: `round` claims due
 * rows a batch at a time (pushing their next attempt into the future, so a process killed
 * mid-send only delays a row by one back-off) and handles them, until nothing is due or the
 * poller stops. At least once, like every outbox.
 */
export interface OutboxQueue {
  readonly name: string;
  /** Handles everything due now; returns how many rows it handled. */
  round(stopping: () => boolean): Promise<number>;
}

/**
 * The one poller of a process's outboxes: every `pollMs`, or at once when kicked, it drains each
 * queue in turn. One queue's failure is logged and never stops the others.
 */
export class OutboxPoller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly queues: OutboxQueue[],
    private readonly pollMs: number,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
  }

  /** Runs a round now (or right after the current one). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round().finally(() => {
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
    for (const q of this.queues) {
      if (this.stopped) return;
      await q
        .round(() => this.stopped)
        .catch((err: unknown) => this.log.warn({ err, outbox: q.name }, 'outbox round failed'));
    }
  }
}
