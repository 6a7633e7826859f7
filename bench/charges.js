// The charge load of bench/run.js and bench/steady.js: funded customers and autocannon runs of
// POST /v1/charges whose every request carries its own Idempotency-Key.
import autocannon from 'autocannon';
import * as lib from './lib.js';

export const CONNECTIONS = 64;

/** One customer with a wallet grant, created through the HTTP API. */
export async function createFundedCustomer(api, label, grant) {
  const c = await api.post(
    '/v1/customers',
    { external_id: `bench-${label}`, email: `${label}@bench.example` },
    `seed-c-${label}`,
  );
  if (c.status !== 201) throw new Error(`POST /v1/customers → ${c.status}: ${JSON.stringify(c.body)}`);
  const body = {
    customer: c.body.id,
    balance: 'wallet',
    amount: grant,
    currency: c.body.currency,
    reason: 'bench funds',
  };
  const g = await api.post('/v1/grants', body, `seed-g-${label}`);
  if (g.status !== 201) throw new Error(`POST /v1/grants → ${g.status}: ${JSON.stringify(g.body)}`);
  return { id: c.body.id, currency: c.body.currency };
}

/**
 * One autocannon run of POST /v1/charges; every request carries its own Idempotency-Key.
 * Requests sent but never answered (cut off when the run stops) are replayed afterwards with the
 * same key and body, so the success count covers every charge the server may have committed.
 */
export async function runCharges(api, name, seconds, nextBody, keyPrefix = 'b') {
  const outstanding = new Map(); // key → body, sent and not answered yet
  const statuses = {};
  let counter = 0;
  let successes = 0;
  const result = await autocannon({
    url: api.baseUrl,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { authorization: `Bearer ${api.apiKey}`, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/v1/charges',
        setupRequest(req, context) {
          const key = `${keyPrefix}-${name}-${++counter}`;
          const body = JSON.stringify(nextBody());
          outstanding.set(key, body);
          context.key = key;
          return { ...req, headers: { ...req.headers, 'idempotency-key': key }, body };
        },
        onResponse(status, _body, context) {
          outstanding.delete(context.key);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 200 && status < 300) successes++;
        },
      },
    ],
  });
  const replayed = await replayOutstanding(api, outstanding);
  // Every charge is covered by its grant, so any non-2xx (a 402, a 409 or a 503: charge queue
  // full) is a finding, not noise.
  const unexpected = Object.entries(statuses).filter(([s]) => !s.startsWith('2'));
  if (unexpected.length || result.errors > 0) {
    throw new Error(
      `${name}: unexpected responses ${JSON.stringify(Object.fromEntries(unexpected))}, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    ...lib.autocannonSummary(name, result, statuses),
    rate: result['2xx'] / result.duration,
    cutOffReplayed: replayed,
    successes: successes + replayed,
  };
}

/** Re-sends cut-off requests with their original key; waits while the server still has one in flight (409). */
async function replayOutstanding(api, outstanding) {
  const results = await lib.mapConcurrent([...outstanding], 8, async ([key, body]) => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const res = await api.post('/v1/charges', body, key);
      if (res.status >= 200 && res.status < 300) return 1;
      if (res.status !== 409) throw new Error(`replay of ${key} → ${res.status}: ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`replay of ${key}: still 409 after 10 s`);
  });
  return results.reduce((a, b) => a + b, 0);
}
