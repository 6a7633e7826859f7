import { describe, expect, it } from 'vitest';
import { OutboxPoller, type OutboxQueue } from '../../src/db/outbox.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('the outbox poller', () => {
  it('drains every queue in turn; a failing queue is logged and the next still runs', async () => {
    const seen: string[] = [];
    const warnings: object[] = [];
    const queues: OutboxQueue[] = [
      { name: 'broken', round: async () => (seen.push('broken'), Promise.reject(new Error('database down'))) },
      { name: 'mail', round: async () => (seen.push('mail'), 3) },
    ];
    const poller = new OutboxPoller(queues, 60_000, { warn: (obj) => warnings.push(obj) });
    poller.kick();
    await tick();
    await poller.stop();
    expect(seen).toEqual(['broken', 'mail']);
    expect(warnings).toMatchObject([{ outbox: 'broken' }]);
  });

  it('a kick during a round runs one more round after it, never two at once; stop waits and ends it', async () => {
    let inFlight = 0;
    let most = 0;
    let rounds = 0;
    let release: () => void = () => undefined;
    const queue: OutboxQueue = {
      name: 'slow',
      round: async (stopping) => {
        inFlight++;
        most = Math.max(most, inFlight);
        rounds++;
        await new Promise<void>((r) => (release = r));
        inFlight--;
        return stopping() ? 0 : 1;
      },
    };
    const poller = new OutboxPoller([queue], 60_000, { warn: () => undefined });
    poller.kick();
    poller.kick();
    poller.kick();
    await tick();
    expect(rounds).toBe(1);
    release();
    await tick();
    expect(rounds).toBe(2);
    const stopped = poller.stop();
    release();
    await stopped;
    poller.kick();
    await tick();
    expect(rounds).toBe(2);
    expect(most).toBe(1);
  });
});
