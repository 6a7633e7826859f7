/**
 * Sends work in groups: items asked for in the same turn of the event loop, and those that arrive
 * while `maxInFlight` groups are being sent, wait and leave together in the next group (at most
 * `maxBatch` items each). Under load one round trip serves many requests; a lone request still
 * leaves in the same turn of the loop. `send` answers each item of a group in order; if it throws,
 * every item of that group fails with its error, and the groups after it are unaffected.
 */
export class Coalescer<T, R> {
  private waiting: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly send: (items: T[]) => Promise<R[]>,
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
    private readonly onGroup?: (size: number) => void,
  ) {}

  run(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the event loop's I/O phase, not after this callback: every request read from the
        // sockets in this turn of the loop joins the same group.
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const take = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.onGroup?.(take.length);
      void this.dispatch(take).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async dispatch(take: Coalescer<T, R>['waiting']): Promise<void> {
    try {
      const results = await this.send(take.map((w) => w.item));
      take.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      for (const w of take) w.reject(err);
    }
  }
}
