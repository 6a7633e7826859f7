import { Coalescer } from './coalescer.js';

/**
 * Coalesces concurrent lookups by key into one query (see Coalescer: keys asked for in the same
 * tick, or while `maxInFlight` loads run, leave together, at most `maxBatch` requests per load; a
 * key asked for twice is loaded once). Each load is one statement, so every answer is as
 * consistent as a lookup of its own would be.
 */
export class BatchLoader<K, V> {
  private readonly coalescer: Coalescer<K, V | undefined>;

  constructor(load: (keys: K[]) => Promise<Map<K, V>>, maxInFlight = 2, maxBatch = 128) {
    this.coalescer = new Coalescer(
      async (keys) => {
        const found = await load([...new Set(keys)]);
        return keys.map((k) => found.get(k));
      },
      maxInFlight,
      maxBatch,
    );
  }

  get(key: K): Promise<V | undefined> {
    return this.coalescer.run(key);
  }
}
