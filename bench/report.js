// Ledger checks after the load and the printed summary of a bench run.
import * as lib from './lib.js';

/**
 * `coffer ledger verify` must pass; no customer account may be overdrawn (posted - held < 0); the
 * hot balance and the spread balances must have lost exactly one minor unit per successful charge
 * (every 2xx is a durable charge, and nothing else was charged).
 */
export async function checkLedger(databaseUrl, { hot, spread }) {
  const problems = [];
  const verify = await lib.cofferCli(databaseUrl, ['ledger', 'verify'], { allowFailure: true });
  const verifyText = lib.redact((verify.stdout + verify.stderr).trim());
  if (verify.code !== 0) problems.push(`coffer ledger verify exited ${verify.code}: ${verifyText}`);

  const facts = await lib.withClient(databaseUrl, async (c) => {
    const one = async (text, values) => (await c.query(text, values)).rows[0];
    const overdrawn = await one('SELECT count(*)::int AS n FROM accounts WHERE customer_id IS NOT NULL AND posted - held < 0');
    const hotRow = await one(
      `SELECT a.posted::text AS posted, a.held::text AS held,
              (SELECT count(*) FROM transfers t WHERE t.kind = 'charge' AND t.debit_account_id = a.id)::int AS charges
       FROM accounts a WHERE a.customer_id = $1 AND a.code = 'wallet'`,
      [hot.id],
    );
    const spreadRow = await one(
      `SELECT count(*)::int AS accounts, coalesce(sum($2::bigint - posted), 0)::text AS spent
       FROM accounts WHERE code = 'wallet' AND customer_id = ANY($1::text[])`,
      [spread.ids, String(spread.grant)],
    );
    return { overdrawn: overdrawn.n, hot: hotRow, spread: spreadRow };
  });

  if (facts.overdrawn !== 0) problems.push(`${facts.overdrawn} customer account(s) with posted - held < 0`);
  const hotExpected = BigInt(hot.grant) - BigInt(hot.successes);
  if (!facts.hot || BigInt(facts.hot.posted) !== hotExpected) {
    problems.push(`hot balance posted ${facts.hot?.posted} but grant - successful charges = ${hotExpected}`);
  }
  if (facts.hot && facts.hot.charges !== hot.successes) {
    problems.push(`hot balance has ${facts.hot.charges} charge transfers but ${hot.successes} charges succeeded`);
  }
  if (facts.spread.accounts !== spread.ids.length) problems.push(`${facts.spread.accounts} of ${spread.ids.length} spread wallets found`);
  if (BigInt(facts.spread.spent) !== BigInt(spread.successes)) {
    problems.push(`spread wallets lost ${facts.spread.spent} but ${spread.successes} charges of 1 succeeded`);
  }
  return {
    ok: problems.length === 0,
    problems,
    verify: { exitCode: verify.code, output: verifyText },
    overdrawnAccounts: facts.overdrawn,
    hot: { grant: hot.grant, successfulCharges: hot.successes, posted: facts.hot?.posted ?? null, chargeTransfers: facts.hot?.charges ?? null },
    spread: { grant: spread.grant, successfulCharges: spread.successes, spent: facts.spread.spent },
  };
}

const num = (n, digits = 0) => (n === null || n === undefined ? '' : Number(n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const verdict = (ratio) => (ratio.value >= ratio.target ? 'PASS' : 'BELOW TARGET');

export function printReport(r) {
  const { pgbench, charges, ratios, machine, ledger, settings } = r;
  const rows = [
    ['pgbench single-row UPDATE (-c 8 -j 2)', num(pgbench.singleRow.tps, 1), `avg ${num(pgbench.singleRow.latencyAvgMs, 2)}`, '', `mean of ${num(pgbench.singleRow.before, 0)} before, ${num(pgbench.singleRow.after, 0)} after`, '', ''],
    ['pgbench TPC-B-like (-c 8 -j 2)', num(pgbench.tpcb.tps, 1), `avg ${num(pgbench.tpcb.latencyAvgMs, 2)}`, '', `mean of ${num(pgbench.tpcb.before, 0)} before, ${num(pgbench.tpcb.after, 0)} after`, '', ''],
    ['POST /v1/charges, ONE hot balance', num(charges.hot.rate, 1), num(charges.hot.latencyMs.p50, 1), num(charges.hot.latencyMs.p99, 1),
      `${num(ratios.hotVsSingleRow.value, 2)}x single-row`, `>= ${ratios.hotVsSingleRow.target}x`, verdict(ratios.hotVsSingleRow)],
    [`POST /v1/charges, ${num(settings.customers)} customers`, num(charges.spread.rate, 1), num(charges.spread.latencyMs.p50, 1), num(charges.spread.latencyMs.p99, 1),
      `${num(ratios.spreadVsTpcb.value, 2)}x TPC-B`, `>= ${ratios.spreadVsTpcb.target}x`, verdict(ratios.spreadVsTpcb)],
  ];
  console.log('');
  console.log(`Coffer bench — ${settings.seconds} s per measurement (after ${settings.warmupSeconds} s warm-up), ${settings.connections} HTTP connections`);
  console.log('');
  console.log(table(['scenario', 'rate/s', 'p50 ms', 'p99 ms', 'ratio', 'target', 'result'], rows));
  console.log('');
  for (const c of [charges.hot, charges.spread]) {
    console.log(`${c.name}: ${num(c.requests)} requests, ${num(c.ok2xx)} 2xx, ${num(c.non2xx)} non-2xx, ${c.errors} errors; ` +
      `${c.cutOffReplayed} cut off at the end and replayed by key; avg ${num(c.latencyMs.avg, 1)} ms, max ${num(c.latencyMs.max)} ms`);
  }
  console.log('');
  console.log(`ledger: ${ledger.ok ? 'OK' : 'FAILED'} — ${ledger.verify.output.split('\n').pop()}`);
  console.log(`  overdrawn customer accounts: ${ledger.overdrawnAccounts}`);
  console.log(`  hot balance: grant ${num(ledger.hot.grant)} - ${num(ledger.hot.successfulCharges)} successful charges; posted ${num(ledger.hot.posted)}; ${num(ledger.hot.chargeTransfers)} charge transfers`);
  console.log(`  spread wallets: ${num(ledger.spread.successfulCharges)} successful charges; ${num(ledger.spread.spent)} spent`);
  for (const p of ledger.problems) console.log(`  PROBLEM: ${p}`);
  console.log('');
  const pgs = machine.postgres;
  console.log(`machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, load average ${machine.loadAverage.join(' ')} at start`);
  console.log(`Node ${machine.node}; PostgreSQL ${pgs.version} (${settings.postgres}; fsync=${pgs.fsync}, synchronous_commit=${pgs.synchronousCommit}, shared_buffers=${pgs.sharedBuffers})`);
  console.log('Coffer, PostgreSQL, pgbench and autocannon share this machine; other work on it makes the numbers noisy.');
}
