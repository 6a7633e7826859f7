// The portal's data calls with 1M orders in the database (docs/design.md §9: Home data and the order
// page, p99 < 20 ms): a customer signs in through a platform sign-in link, then each call is
// timed at each concurrency with the session cookie, like the history pages with the API key.
import * as lib from './lib.js';
import { get, measurePage } from './topups.js';

async function signIn(baseUrl, apiKey, customer) {
  const link = await lib.postJson(baseUrl, apiKey, `/v1/customers/${customer}/portal_sessions`, {});
  if (link.status !== 201)
    throw new Error(`portal session for ${customer}: ${link.status} ${JSON.stringify(link.body)}`);
  const token = new URL(link.body.url).searchParams.get('token');
  const res = await fetch(`${baseUrl}/portal/api/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  if (res.status !== 200) throw new Error(`portal sign-in: ${res.status} ${await res.text()}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  if (!cookie) throw new Error('portal sign-in set no cookie');
  return { cookie };
}

/**
 * Home data, the order page and the first history page of the portal, for customers who own the
 * most orders (the history scenario's ten largest): p99 at each concurrency against `targetMs`.
 */
export async function portalScenario({ baseUrl, apiKey, customers, seconds, warmupSeconds, concurrencies, targetMs }) {
  const sessions = [];
  for (const customer of customers) sessions.push({ customer, ...(await signIn(baseUrl, apiKey, customer)) });
  // Each session's most recent orders, for the order page.
  for (const s of sessions) {
    const res = await get(undefined, `${baseUrl}/portal/api/topups?limit=20`, { cookie: s.cookie });
    if (res.status !== 200) throw new Error(`portal history: ${res.status} ${res.body.toString().slice(0, 300)}`);
    s.orders = JSON.parse(res.body).data.map((o) => o.id);
    if (s.orders.length === 0) throw new Error(`portal: customer ${s.customer} has no orders`);
  }
  const pick = (arr) => arr[Math.floor(Math.random() * arr.length)];
  // One session per measured call: a sign-in is per person, and the cookie is a header like the API key.
  const s = sessions[0];
  const calls = [
    { name: 'GET /portal/api/home', path: () => '/portal/api/home' },
    { name: 'GET /portal/api/topups/{id}', path: () => `/portal/api/topups/${pick(s.orders)}` },
    { name: 'GET /portal/api/topups?limit=50', path: () => '/portal/api/topups?limit=50' },
  ];
  const queries = [];
  for (const c of calls) {
    const first = await get(undefined, baseUrl + c.path(), { cookie: s.cookie });
    if (first.status !== 200)
      throw new Error(`portal: ${c.name} → ${first.status}: ${first.body.toString().slice(0, 300)}`);
    const levels = [];
    for (const concurrency of concurrencies) {
      lib.step(`portal: ${c.name}, ${concurrency} concurrent, ${seconds} s`);
      levels.push(
        await measurePage({
          baseUrl,
          headers: { cookie: s.cookie },
          nextPath: c.path,
          concurrency,
          seconds,
          warmupSeconds,
        }),
      );
    }
    queries.push({
      name: c.name,
      example: c.path(),
      rows: null,
      levels,
      explain: { params: {}, statements: [], executionMs: null },
    });
  }
  const overall = concurrencies.map((concurrency) => {
    const at = queries.map((q) => ({ name: q.name, level: q.levels.find((l) => l.concurrency === concurrency) }));
    const worst = at.reduce((a, b) => (b.level.p99 > a.level.p99 ? b : a));
    return { concurrency, worstP99: worst.level.p99, worstQuery: worst.name, ok: worst.level.p99 < targetMs };
  });
  const misses = queries.flatMap((q) =>
    q.levels
      .filter((l) => l.p99 >= targetMs || Object.keys(l.statuses).some((st) => st !== '200'))
      .map((l) => ({ query: q.name, concurrency: l.concurrency, p99: l.p99, statuses: l.statuses })),
  );
  return {
    customer: s.customer,
    orders: s.orders.length,
    concurrencies,
    queries,
    overall,
    misses,
    targetMs,
    ok: misses.length === 0,
  };
}
