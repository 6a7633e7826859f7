// The floor of (a): the least a durable, idempotent, no-overdraft charge on one balance can cost on
// this machine. It is a measuring instrument, not a way to run Coffer: node:http, no framework, no
// validation, no ledger. One row per charge (the Idempotency-Key is its primary key), the balance
// row updated once per batch under its row lock, and the same batching as Coffer's — charges that
// arrive while a batch commits leave together, at most two batches in flight — each committed with
// a synchronous commit before it is answered. `npm run bench` runs it with the same load as the hot
// balance scenario; Coffer's rate as a share of this one is what its own work per charge costs.
// Env: DATABASE_URL (a database of its own), PORT, FLOOR_SECRET (the accepted bearer token),
// FLOOR_GRANT (the balance's starting amount, minor units).
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const expectedAuth = `Bearer ${process.env.FLOOR_SECRET}`;
await pool.query(`
  CREATE TABLE IF NOT EXISTS floor_balance (id integer PRIMARY KEY, posted bigint NOT NULL CHECK (posted >= 0));
  CREATE TABLE IF NOT EXISTS floor_charges (key text PRIMARY KEY, amount bigint NOT NULL CHECK (amount > 0), created_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO floor_balance VALUES (1, ${BigInt(process.env.FLOOR_GRANT)}) ON CONFLICT DO NOTHING`);

// A key seen before is not charged again (ON CONFLICT); the balance moves by what was inserted.
const CHARGE_SQL = `
  WITH fresh AS (
    INSERT INTO floor_charges (key, amount)
    SELECT k, a FROM unnest($1::text[], $2::bigint[]) AS c(k, a)
    ON CONFLICT (key) DO NOTHING RETURNING amount)
  UPDATE floor_balance SET posted = posted - (SELECT coalesce(sum(amount), 0) FROM fresh) WHERE id = 1 RETURNING posted`;

let waiting = [];
let inFlight = 0;

function send() {
  if (inFlight >= 2 || waiting.length === 0) return;
  const batch = waiting;
  waiting = [];
  inFlight++;
  pool
    .query({ name: 'charge', text: CHARGE_SQL, values: [batch.map((c) => c.key), batch.map((c) => c.amount)] })
    .then(
      ({ rows }) => {
        for (const c of batch)
          reply(c.res, 201, {
            id: c.key,
            object: 'charge',
            amount: c.amount,
            status: 'succeeded',
            balance_after: { posted: Number(rows[0].posted) },
          });
      },
      (err) => {
        for (const c of batch) reply(c.res, 500, { error: { code: 'internal', message: err.message } });
      },
    )
    .finally(() => {
      inFlight--;
      send();
    });
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/readyz') return reply(res, 200, { status: 'ready' });
  if (req.method !== 'POST' || req.url !== '/v1/charges') return reply(res, 404, { error: { code: 'not_found' } });
  if (req.headers.authorization !== expectedAuth) return reply(res, 401, { error: { code: 'unauthenticated' } });
  const key = req.headers['idempotency-key'];
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (text += chunk));
  req.on('end', () => {
    let amount;
    try {
      amount = JSON.parse(text).amount;
    } catch {
      amount = undefined;
    }
    if (typeof key !== 'string' || !Number.isSafeInteger(amount) || amount <= 0)
      return reply(res, 400, { error: { code: 'invalid_request' } });
    waiting.push({ key, amount, res });
    setImmediate(send);
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.once('SIGTERM', () => {
  setTimeout(() => process.exit(0), 2_000).unref();
  server.close(() => pool.end().then(() => process.exit(0)));
});
