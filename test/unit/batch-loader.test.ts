import { describe, expect, it } from 'vitest';
import { BatchLoader } from '../../src/lib/batch-loader.js';

/** A loader whose loads finish only when the test says so, recording the keys of each. */
function controlled() {
  const loads: { keys: string[]; finish: (fail?: Error) => void }[] = [];
  const loader = new BatchLoader<string, string>(
    (keys) =>
      new Promise((resolve, reject) => {
        loads.push({ keys, finish: (fail) => (fail ? reject(fail) : resolve(new Map(keys.filter((k) => !k.startsWith('missing')).map((k) => [k, k.toUpperCase()])))) });
      }),
    1,
    3,
  );
  return { loader, loads };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BatchLoader', () => {
  it('sends a lone key at once and gathers the keys that arrive meanwhile into the next load', async () => {
    const { loader, loads } = controlled();
    const a = loader.get('a');
    const rest = ['b', 'c', 'b', 'missing-d'].map((k) => loader.get(k));
    expect(loads.map((l) => l.keys)).toEqual([['a']]);
    loads[0].finish();
    expect(await a).toBe('A');
    await tick();
    // at most 3 waiting requests per load; a key asked for twice is loaded once
    expect(loads.map((l) => l.keys)).toEqual([['a'], ['b', 'c']]);
    loads[1].finish();
    await tick();
    expect(loads[2].keys).toEqual(['missing-d']);
    loads[2].finish();
    expect(await Promise.all(rest)).toEqual(['B', 'C', 'B', undefined]);
  });

  it('a failed load fails only the requests it carried', async () => {
    const { loader, loads } = controlled();
    const a = loader.get('a');
    const b = loader.get('b');
    loads[0].finish(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    await tick();
    loads[1].finish();
    expect(await b).toBe('B');
  });
});
