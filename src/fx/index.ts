import fs from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { CofferError, invalidRequest } from '../errors.js';
import { isKnownCurrency } from '../money/index.js';
import { isoTime } from '../lib/json.js';

/** 1 `base` = `rate` `quote`, as staff entered it, with where it came from and when. */
export interface FxRate {
  base: string;
  quote: string;
  rate: string;
  source: string;
  createdAt: Date;
}

const RATE_PATTERN = /^(?:0|[1-9]\d{0,11})(?:\.\d{1,12})?$/;

/** Checks one rate as the API and the CSV import accept it; returns its normal form ("7.20" stays "7.20"). */
export function validateRate(base: string, quote: string, rate: string): string {
  for (const [field, code] of [
    ['base', base],
    ['quote', quote],
  ] as const) {
    if (!isKnownCurrency(code)) throw invalidRequest(field, `is not a supported currency (${code})`);
  }
  if (base === quote) throw invalidRequest('quote', 'must differ from base');
  if (!RATE_PATTERN.test(rate) || /^0(\.0*)?$/.test(rate)) {
    throw invalidRequest('rate', 'must be a positive decimal string with at most 12 decimals, e.g. "7.20"');
  }
  return rate;
}

export async function setRate(
  db: Kysely<Database>,
  input: { base: string; quote: string; rate: string; source?: string | null },
): Promise<FxRate> {
  const rate = validateRate(input.base, input.quote, input.rate);
  const row = await db
    .insertInto('fx_rates')
    .values({ base: input.base, quote: input.quote, rate, source: input.source || 'api' })
    .returning(['base', 'quote', 'rate', 'source', 'created_at'])
    .executeTakeFirstOrThrow();
  return { base: row.base, quote: row.quote, rate: row.rate, source: row.source, createdAt: row.created_at };
}

/** The newest rate of every pair. */
export async function currentRates(db: Kysely<Database>): Promise<FxRate[]> {
  const rows = await db
    .selectFrom('fx_rates')
    .distinctOn(['base', 'quote'])
    .select(['base', 'quote', 'rate', 'source', 'created_at'])
    .orderBy('base')
    .orderBy('quote')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({ base: r.base, quote: r.quote, rate: r.rate, source: r.source, createdAt: r.created_at }));
}

/** Looks up the rate between two currencies, whichever way round it was entered. */
export type RateLookup = (a: string, b: string) => FxRate | null;

/**
 * Every pair's newest rate, quoted either way round (USD→CNY "7.20" also serves CNY→USD), in one
 * query: the lookups a quote or a price list needs then cost nothing more. A pair staff never
 * entered has no rate: a stale rate is worse than none.
 */
export async function rateTable(db: Kysely<Database>): Promise<RateLookup> {
  const { rows } = await sql<{ base: string; quote: string; rate: string; source: string; created_at: Date }>`
    SELECT DISTINCT ON (least(base, quote), greatest(base, quote)) base, quote, rate, source, created_at
    FROM fx_rates ORDER BY least(base, quote), greatest(base, quote), id DESC`.execute(db);
  const byPair = new Map(
    rows.map((r) => [
      [r.base, r.quote].sort().join('/'),
      { base: r.base, quote: r.quote, rate: r.rate, source: r.source, createdAt: r.created_at },
    ]),
  );
  return (x, y) => byPair.get([x, y].sort().join('/')) ?? null;
}

export const noRate = (from: string, to: string): CofferError =>
  new CofferError(
    'currency_not_supported',
    `There is no exchange rate between ${from} and ${to}; ask the operator to add one.`,
    {
      from,
      to,
    },
  );

export const presentRate = (r: FxRate) => ({
  object: 'fx_rate',
  base: r.base,
  quote: r.quote,
  rate: r.rate,
  source: r.source,
  created_at: isoTime(r.createdAt),
});

/**
 * `coffer fx import <file.csv>`: lines `base,quote,rate[,source]` (a header line is skipped).
 * Every line is checked first; nothing is stored unless all of them are valid.
 */
export async function importRatesCsv(db: Kysely<Database>, file: string): Promise<number> {
  const text = fs.readFileSync(file, 'utf8');
  const rows: { base: string; quote: string; rate: string; source: string }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    if (line.trim() === '' || (i === 0 && cells[0].toLowerCase() === 'base')) return;
    if (cells.length < 3 || cells.length > 4) throw new Error(`${file}:${i + 1}: expected base,quote,rate[,source]`);
    const [base, quote, rate, source] = cells;
    try {
      validateRate(base.toUpperCase(), quote.toUpperCase(), rate);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: ${err instanceof Error ? err.message : String(err)}`);
    }
    rows.push({
      base: base.toUpperCase(),
      quote: quote.toUpperCase(),
      rate,
      source: source || `import:${file.split('/').pop()}`,
    });
  });
  if (rows.length === 0) throw new Error(`${file}: no rates found`);
  await db.insertInto('fx_rates').values(rows).execute();
  return rows.length;
}
