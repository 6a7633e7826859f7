// Ledger checks after the load and the printed summary of a bench run.
import * as lib from './lib.js';
import { checkWebhookOrders } from './topups.js';

/**
 * `coffer ledger verify` must pass; no customer account may be overdrawn (posted - held < 0); the
 * hot balance and the spread balances must have lost exactly one minor unit per successful charge
 * (every 2xx is a durable charge, and nothing else was charged; top-up credits into the spread
 * wallets are added back); every order whose webhook was processed is succeeded exactly once
 * (checkWebhookOrders). `hot`, `spread` and `webhooks` are each optional (BENCH_SKIP_CHARGES).
 */
export async function checkLedger(databaseUrl, { hot, spread, webhooks }) {
  const problems = [];
  const verify = await lib.cofferCli(databaseUrl, ['ledger', 'verify'], { allowFailure: true });
  const verifyText = lib.redact((verify.stdout + verify.stderr).trim());
  if (verify.code !== 0) problems.push(`coffer ledger verify exited ${verify.code}: ${verifyText}`);

  const facts = await lib.withClient(databaseUrl, async (c) => {
    const one = async (text, values) => (await c.query(text, values)).rows[0];
    const overdrawn = await one(
      'SELECT count(*)::int AS n FROM accounts WHERE customer_id IS NOT NULL AND posted - held < 0',
    );
    const hotRow = hot
      ? await one(
          `SELECT a.posted::text AS posted, a.held::text AS held,
                  (SELECT count(*) FROM transfers t WHERE t.kind = 'charge' AND t.debit_account_id = a.id)::int AS charges
           FROM accounts a WHERE a.customer_id = $1 AND a.code = 'wallet'`,
          [hot.id],
        )
      : null;
    const spreadRow = spread
      ? await one(
          `WITH w AS (SELECT id, posted FROM accounts WHERE code = 'wallet' AND customer_id = ANY($1::text[]))
           SELECT (SELECT count(*) FROM w)::int AS accounts,
                  (SELECT coalesce(sum($2::bigint - posted), 0) FROM w)::text AS lost,
                  (SELECT coalesce(sum(t.amount), 0) FROM transfers t WHERE t.kind = 'topup' AND t.credit_account_id IN (SELECT id FROM w))::text AS topped_up`,
          [spread.ids, String(spread.grant)],
        )
      : null;
    return { overdrawn: overdrawn.n, hot: hotRow, spread: spreadRow };
  });

  if (facts.overdrawn !== 0) problems.push(`${facts.overdrawn} customer account(s) with posted - held < 0`);
  if (hot) {
    const hotExpected = BigInt(hot.grant) - BigInt(hot.successes);
    if (!facts.hot || BigInt(facts.hot.posted) !== hotExpected) {
      problems.push(`hot balance posted ${facts.hot?.posted} but grant - successful charges = ${hotExpected}`);
    }
    if (facts.hot && facts.hot.charges !== hot.successes) {
      problems.push(`hot balance has ${facts.hot.charges} charge transfers but ${hot.successes} charges succeeded`);
    }
  }
  let spent = null;
  if (spread) {
    spent = (BigInt(facts.spread.lost) + BigInt(facts.spread.topped_up)).toString();
    if (facts.spread.accounts !== spread.ids.length)
      problems.push(`${facts.spread.accounts} of ${spread.ids.length} spread wallets found`);
    if (BigInt(spent) !== BigInt(spread.successes)) {
      problems.push(
        `spread wallets lost ${spent} (net of ${facts.spread.topped_up} topped up) but ${spread.successes} charges of 1 succeeded`,
      );
    }
  }
  const webhookFacts = webhooks ? await checkWebhookOrders(databaseUrl, webhooks) : null;
  if (webhookFacts) problems.push(...webhookFacts.problems);
  return {
    ok: problems.length === 0,
    problems,
    verify: { exitCode: verify.code, output: verifyText },
    overdrawnAccounts: facts.overdrawn,
    hot: hot
      ? {
          grant: hot.grant,
          successfulCharges: hot.successes,
          posted: facts.hot?.posted ?? null,
          chargeTransfers: facts.hot?.charges ?? null,
        }
      : null,
    spread: spread
      ? { grant: spread.grant, successfulCharges: spread.successes, spent, toppedUp: facts.spread.topped_up }
      : null,
    webhooks: webhookFacts && {
      credited: webhooks.totalCredited,
      succeeded: webhookFacts.succeeded,
      stillPending: webhookFacts.pending,
      providerEvents: webhookFacts.providerEvents,
      creditTransfers: webhookFacts.creditTransfers,
      feeTransfers: webhookFacts.feeTransfers,
    },
  };
}

const num = (n, digits = 0) =>
  n === null || n === undefined
    ? ''
    : Number(n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const NOISY_CORES = 0.25; // "other" CPU above this during a measurement: someone else was using the machine
const noisy = (c) => Boolean(c && c.other > NOISY_CORES);
const mark = (label, ...cpus) => (cpus.some(noisy) ? `${label} *` : label);

// `server` names what the "coffer" party ran: Coffer, or the floor server in its scenario.
const waiting = (w, server) =>
  w ? `; waiting for a CPU: ${server} ${w.coffer}, postgres ${w.postgres}, load generator ${w.loadgen}` : '';
const cpu = (c, server = 'coffer') =>
  c
    ? `${server} ${c.coffer}, postgres ${c.postgres}, load generator ${c.loadgen}, other ${c.other}, idle ${c.idle} cores${waiting(c.waiting, server)}`
    : 'n/a';

/** (d): the stored data, both passes' tables. */
function printHistory(h) {
  console.log(
    `Recharge history: GET /v1/topups?limit=50 with ${num(h.table.orders)} orders (${h.table.orders_size}) and ${num(h.table.timeline)} timeline rows (${h.table.timeline_size}) stored; ` +
      `${num(h.customers)} customers, largest ${num(h.largestCustomers[0]?.n)} orders, median ${num(h.medianOrdersPerCustomer)}; ` +
      `${h.seconds} s per query at each concurrency (sequential requests per connection), latency in ms`,
  );
  console.log('');
  printPages(h, h.targetMs);
  console.log(
    `  ${num(h.pendingOrders)} pending orders; inserted in ${h.insertSeconds} s, VACUUM ANALYZE + CHECKPOINT ${h.maintenanceSeconds} s; receipts (mail outbox) drained in ${h.receiptJobsDrain.seconds} s before (${h.receiptJobsDrain.runnable} still runnable, ${h.receiptJobsDrain.failed} failed)`,
  );
  if (h.burst) {
    console.log('');
    console.log(
      `Checkout burst: ${num(h.burst.orders)} more orders created in the last 10 minutes (inserted in ${h.burst.insertSeconds} s, then ANALYZE), ${num(h.burst.pendingOrders)} orders pending in all; the same queries, one at a time:`,
    );
    console.log('');
    printPages(h.burst, h.targetMs);
  }
}

/** The page-latency table of one pass of (d), and the plans of the queries that miss at the lowest concurrency. */
function printPages(part, targetMs) {
  const levelHeader = part.concurrencies.flatMap((c) => [`c=${c} p50`, `p99`, `req/s`]);
  // CPU per page at the highest concurrency: cores used / pages per second
  const perPage = (l, k) => (l.cpuCores && l.rate ? num((l.cpuCores[k] / l.rate) * 1000, 2) : '');
  const rows = part.queries.map((q) => {
    const top = q.levels.at(-1);
    return [
      mark(q.name, ...q.levels.map((l) => l.cpuCores)),
      ...q.levels.flatMap((l) => [num(l.p50, 2), num(l.p99, 2), num(l.rate, 0)]),
      num(q.explain?.executionMs, 2),
      perPage(top, 'coffer'),
      perPage(top, 'postgres'),
      num(q.rows),
    ];
  });
  rows.push([
    `worst p99 (target < ${targetMs} ms)`,
    ...part.overall.flatMap((o) => ['', num(o.worstP99, 2), o.ok ? 'PASS' : 'BELOW']),
    '',
    '',
    '',
    '',
  ]);
  console.log(table(['query', ...levelHeader, 'SQL ms', 'node cpu ms', 'pg cpu ms', 'rows'], rows));
  console.log(
    `(SQL ms: server execution time of all the page's statements, from EXPLAIN ANALYZE; cpu ms: CPU per page at c=${part.concurrencies.at(-1)})`,
  );
  const noisyLevels = part.queries.flatMap((q) =>
    q.levels.filter((l) => noisy(l.cpuCores)).map((l) => `${q.name} c=${l.concurrency} (${l.cpuCores.other})`),
  );
  if (noisyLevels.length)
    console.log(`* other work on the machine used more than ${NOISY_CORES} cores during: ${noisyLevels.join(', ')}`);
  console.log(
    `p99 < ${targetMs} ms: ${part.overall.map((o) => `c=${o.concurrency} ${o.ok ? 'PASS' : 'BELOW TARGET'} (worst ${num(o.worstP99, 2)} ms, ${o.worstQuery})`).join('; ')}`,
  );
  const lowest = part.concurrencies[0];
  const short = (line) => (line.length > 160 ? `${line.slice(0, 157)}...` : line);
  for (const q of part.queries) {
    const level = q.levels.find((l) => l.concurrency === lowest);
    if (level.p99 < targetMs) continue;
    console.log('');
    console.log(
      `MISS at c=${lowest}: ${q.name} — p99 ${num(level.p99, 2)} ms; the page's statements for ${JSON.stringify(q.explain.params)} (server execution ms):`,
    );
    for (const st of q.explain.statements)
      console.log(`  ${String(st.executionMs ?? '-').padStart(8)}  ${short(st.sql.replace(/\s+/g, ' '))}`);
    if (q.explain.error) console.log(`  (listTopups failed: ${q.explain.error})`);
    const slowest = [...q.explain.statements].sort((a, b) => (b.executionMs ?? 0) - (a.executionMs ?? 0))[0];
    if (slowest) {
      console.log('  plan of the slowest:');
      console.log(
        slowest.plan
          .split('\n')
          .map((l) => short(`    ${l}`))
          .join('\n'),
      );
    }
  }
  const loadOnly = part.queries.filter((q) => q.levels[0].p99 < targetMs && q.levels.some((l) => l.p99 >= targetMs));
  if (loadOnly.length)
    console.log(
      `above target only under load (queueing for the CPU at higher concurrency): ${loadOnly.map((q) => q.name).join(', ')}`,
    );
  for (const m of part.misses.filter((x) => Object.keys(x.statuses).some((st) => st !== '200'))) {
    console.log(`NON-200: ${m.query} at c=${m.concurrency}: ${JSON.stringify(m.statuses)}`);
  }
}

const verdict = (ratio) => (ratio.value >= ratio.target ? 'PASS' : 'BELOW TARGET');

export function printReport(r) {
  const { pgbench, charges, ratios, machine, ledger, settings, topups } = r;
  const rows = [];
  if (pgbench.singleRow) {
    rows.push([
      mark('pgbench single-row UPDATE (-c 8 -j 2)', pgbench.singleRow.cpuCoresBefore, pgbench.singleRow.cpuCoresAfter),
      num(pgbench.singleRow.tps, 1),
      `avg ${num(pgbench.singleRow.latencyAvgMs, 2)}`,
      '',
      `mean of ${num(pgbench.singleRow.before, 0)} before, ${num(pgbench.singleRow.after, 0)} after`,
      '',
      '',
    ]);
  }
  rows.push([
    mark('pgbench TPC-B-like (-c 8 -j 2)', pgbench.tpcb.cpuCoresBefore, pgbench.tpcb.cpuCoresAfter),
    num(pgbench.tpcb.tps, 1),
    `avg ${num(pgbench.tpcb.latencyAvgMs, 2)}`,
    '',
    `mean of ${num(pgbench.tpcb.before, 0)} before, ${num(pgbench.tpcb.after, 0)} after`,
    '',
    '',
  ]);
  if (charges) {
    rows.push(
      [
        mark('POST /v1/charges, ONE hot balance', charges.hot.cpuCores),
        num(charges.hot.rate, 1),
        num(charges.hot.latencyMs.p50, 1),
        num(charges.hot.latencyMs.p99, 1),
        `${num(ratios.hotVsSingleRow.value, 2)}x single-row`,
        `>= ${ratios.hotVsSingleRow.target}x`,
        verdict(ratios.hotVsSingleRow),
      ],
      ...(charges.floor
        ? [
            [
              mark('  the floor: bench/floor-server.js, same load', charges.floor.cpuCores),
              num(charges.floor.rate, 1),
              num(charges.floor.latencyMs.p50, 1),
              num(charges.floor.latencyMs.p99, 1),
              `${num(ratios.floorVsSingleRow.value, 2)}x single-row`,
              '',
              `Coffer ${num(ratios.hotVsFloor.value * 100, 0)}% of it`,
            ],
          ]
        : []),
      [
        mark(`POST /v1/charges, ${num(settings.customers)} customers`, charges.spread.cpuCores),
        num(charges.spread.rate, 1),
        num(charges.spread.latencyMs.p50, 1),
        num(charges.spread.latencyMs.p99, 1),
        `${num(ratios.spreadVsTpcb.value, 2)}x TPC-B`,
        `>= ${ratios.spreadVsTpcb.target}x`,
        verdict(ratios.spreadVsTpcb),
      ],
    );
  }
  const wh = topups.webhooks;
  rows.push([
    mark('signed webhook -> credited order', wh.cpuCores),
    num(wh.rate, 1),
    num(wh.latencyMs.p50, 1),
    num(wh.latencyMs.p99, 1),
    `${num(ratios.webhooksVsTpcb.value, 2)}x TPC-B`,
    `>= ${ratios.webhooksVsTpcb.target}x`,
    verdict(ratios.webhooksVsTpcb),
  ]);
  console.log('');
  console.log(
    `Coffer bench — ${settings.seconds} s per measurement (after ${settings.warmupSeconds} s warm-up), ${settings.connections} HTTP connections`,
  );
  console.log('');
  console.log(table(['scenario', 'rate/s', 'p50 ms', 'p99 ms', 'ratio', 'target', 'result'], rows));
  if (rows.some((r) => r[0].endsWith(' *')))
    console.log(
      `* other work on the machine used more than ${NOISY_CORES} cores during this measurement (cpu lines below)`,
    );
  console.log('');
  for (const c of charges ? [charges.hot, charges.floor, charges.spread].filter(Boolean) : []) {
    console.log(
      `${c.name}: ${num(c.requests)} requests, ${num(c.ok2xx)} 2xx, ${num(c.non2xx)} non-2xx, ${c.errors} errors; ` +
        `${c.cutOffReplayed} cut off at the end and replayed by key; avg ${num(c.latencyMs.avg, 1)} ms, max ${num(c.latencyMs.max)} ms; cpu ${cpu(c.cpuCores, c === charges.floor ? 'floor server' : 'coffer')}`,
    );
  }
  console.log(
    `webhooks: ${num(wh.requests)} requests, answers ${JSON.stringify(wh.results)}, ${wh.errors} errors; ${wh.cutOff} cut off and re-delivered ` +
      `${JSON.stringify(wh.cutOffResults)}; avg ${num(wh.latencyMs.avg, 1)} ms, max ${num(wh.latencyMs.max)} ms; ${num(wh.ordersUsed)} of ${num(wh.ordersPrepared)} prepared orders used; cpu ${cpu(wh.cpuCores)}`,
  );
  if (wh.receiptBacklog) {
    const rb = wh.receiptBacklog;
    console.log(
      `  receipts queued in the mail outbox behind the credits at the end: ${num(rb.backlog)}, cleared in ${rb.seconds} s (${rb.runnable} left, ${rb.failed} failed); ` +
        `${num(wh.unusedOrdersRemoved)} prepared orders never used were removed afterwards`,
    );
  }
  if (pgbench.tpcb.cpuCoresBefore)
    console.log(
      `pgbench TPC-B-like: cpu ${cpu(pgbench.tpcb.cpuCoresBefore)} (before), ${cpu(pgbench.tpcb.cpuCoresAfter)} (after)`,
    );

  const h = topups.history;
  console.log('');
  if (h.error) console.log(`Recharge history: FAILED — ${h.error}`);
  else printHistory(h);
  const portal = topups.portal;
  if (portal) {
    console.log('');
    if (portal.error) console.log(`Portal data calls: FAILED — ${portal.error}`);
    else {
      console.log(
        `Portal data calls (session cookie) for customer ${portal.customer}, one of the ${portal.customers} customers owning the most of the stored orders; latency in ms`,
      );
      console.log('');
      printPages(portal, portal.targetMs);
    }
  }
  console.log('');
  console.log(`ledger: ${ledger.ok ? 'OK' : 'FAILED'} — ${ledger.verify.output.split('\n').pop()}`);
  console.log(`  overdrawn customer accounts: ${ledger.overdrawnAccounts}`);
  if (ledger.hot) {
    console.log(
      `  hot balance: grant ${num(ledger.hot.grant)} - ${num(ledger.hot.successfulCharges)} successful charges; posted ${num(ledger.hot.posted)}; ${num(ledger.hot.chargeTransfers)} charge transfers`,
    );
  }
  if (ledger.spread) {
    console.log(
      `  spread wallets: ${num(ledger.spread.successfulCharges)} successful charges; ${num(ledger.spread.spent)} spent (net of ${num(ledger.spread.toppedUp)} credited by top-ups)`,
    );
  }
  if (ledger.webhooks) {
    const w = ledger.webhooks;
    console.log(
      `  webhook orders: ${num(w.credited)} events processed (warm-up, run and re-delivered); ${num(w.succeeded)} orders succeeded, ${num(w.stillPending)} still pending; ` +
        `${num(w.providerEvents)} provider events, ${num(w.creditTransfers)} credit + ${num(w.feeTransfers)} fee transfers`,
    );
  }
  console.log('  (checked before the history orders were bulk-inserted: they carry no ledger transfers)');
  for (const p of ledger.problems) console.log(`  PROBLEM: ${p}`);
  console.log('');
  const pgs = machine.postgres;
  console.log(
    `machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, load average ${machine.loadAverage.join(' ')} at start`,
  );
  console.log(
    `Node ${machine.node}; PostgreSQL ${pgs.version} (${settings.postgres}; fsync=${pgs.fsync}, synchronous_commit=${pgs.synchronousCommit}, shared_buffers=${pgs.sharedBuffers})`,
  );
  const changed =
    r.source.sha256 !== r.sourceAtEnd.sha256 ? ` — CHANGED during the run, now ${r.sourceAtEnd.sha256}` : '';
  console.log(`source: src/ digest ${r.source.sha256} (last change ${r.source.newestChange})${changed}`);
  console.log(
    `time: ${Object.entries(r.phasesSeconds)
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')}`,
  );
  console.log(
    'Coffer, PostgreSQL, pgbench and autocannon share this machine; other work on it makes the numbers noisy.',
  );
}
