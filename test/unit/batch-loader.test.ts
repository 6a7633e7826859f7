import { describe, expect, it } from 'vitest';
import { BatchLoader } from '../../src/lib/batch-loader.js';

/** A loader whose loads finish only when the test says so, recording the keys of each. */
function controlled() {
  const loads: { keys: string[]; finish: (fail?: Error) => void }[] = [];
  const loader = new BatchLoader<string, string>(
    (keys) =>
      new Promise((resolve, reject) => {
        loads.push({
          keys,
          finish: (fail) =>
            fail
              ? reject(fail)
              : resolve(new Map(keys.filter((k) => !k.startsWith('missing')).map((k) => [k, k.toUpperCase()]))),
        });
      }),
    1,
    3,
  );
  return { loader, loads };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('BatchLoader', () => {
  it('gathers the keys of one tick, and those that arrive while a load runs, into one load', async () => {
    const { loader, loads } = controlled();
    const first = ['a', 'b'].map((k) => loader.get(k));
    expect(loads).toEqual([]);
    await tick();
    expect(loads.map((l) => l.keys)).toEqual([['a', 'b']]);
    const rest = ['b', 'c', 'b', 'missing-d'].map((k) => loader.get(k));
    await tick();
    expect(loads).toHaveLength(1); // one load in flight at most
    loads[0].finish();
    expect(await Promise.all(first)).toEqual(['A', 'B']);
    await tick();
    // at most 3 waiting requests per load; a key asked for twice is loaded once
    expect(loads.map((l) => l.keys)).toEqual([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    loads[1].finish();
    await tick();
    expect(loads[2].keys).toEqual(['missing-d']);
    loads[2].finish();
    expect(await Promise.all(rest)).toEqual(['B', 'C', 'B', undefined]);
  });

  it('a failed load fails only the requests it carried', async () => {
    const { loader, loads } = controlled();
    const a = loader.get('a');
    await tick();
    const b = loader.get('b');
    await tick();
    loads[0].finish(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    await tick();
    loads[1].finish();
    expect(await b).toBe('B');
  });
});
