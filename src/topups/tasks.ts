import type { TaskList } from 'graphile-worker';
import type { Db } from '../db/pool.js';
import { expireTopup } from './orders.js';

const orderOf = (payload: unknown): string => {
  const order = (payload as { order?: unknown } | null)?.order;
  if (typeof order !== 'string') throw new Error('job payload has no order id');
  return order;
};

/**
 * The top-ups' job handlers (graphile-worker runs them; src/jobs is only the queue). Each is safe to run more than once (jobs are at least once): expiry is a
 * conditional transition. (Receipts go through the mail outbox, src/mail/outbox.ts.)
 */
export function taskList(deps: { db: Db }): TaskList {
  return {
    topup_expire: async (payload) => {
      await expireTopup(deps.db, orderOf(payload), 'system');
    },
  };
}
