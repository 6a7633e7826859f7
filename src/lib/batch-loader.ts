/**
 * Coalesces concurrent lookups by key into one query: keys asked for in the same tick, and while
 * `maxInFlight` loads are running, wait and leave together in the next load (at most `maxBatch`
 * requests each). Under load one round trip answers many requests; a lone request still goes out
 * at the end of its tick. Each
 * load is one statement, so every answer is as consistent as a lookup of its own would be.
 */
export class BatchLoader<K, V> {
  private waiting: { key: K; resolve: (v: V | undefined) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly load: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 128,
  ) {}

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ key, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
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
      void this.run(take).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(take: BatchLoader<K, V>['waiting']): Promise<void> {
    try {
      const found = await this.load([...new Set(take.map((w) => w.key))]);
      for (const w of take) w.resolve(found.get(w.key));
    } catch (err) {
      for (const w of take) w.reject(err);
    }
  }
}
