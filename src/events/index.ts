import { newId } from '../lib/ids.js';
import { toJson } from '../lib/json.js';
import type { Tx } from '../db/pool.js';

export type EventType = 'dispute.created' | 'dispute.closed' | 'customer.frozen' | 'customer.unfrozen';

/**
 * Records an event in the caller's transaction (transactional outbox): it exists if and only if
 * the change it describes committed. `object` is the API object the event is about.
 */
export async function recordEvent(
  tx: Tx,
  type: EventType,
  customerId: string | null,
  object: Record<string, unknown>,
): Promise<string> {
  const id = newId('evt');
  await tx
    .insertInto('events')
    .values({ id, type, customer_id: customerId, data: toJson({ object }) })
    .execute();
  return id;
}
