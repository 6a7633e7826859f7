import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Every namespace of the web app exists in both languages with the same keys, no empty value, and
// the same {{variables}}. Plural forms differ by language (English has _one and _other, Chinese only
// _other), so a key is compared by its name without the plural suffix.
const LOCALES = path.resolve('web/src/i18n/locales');
const LANGS = ['en', 'zh-CN'] as const;
const PLURAL = /_(zero|one|two|few|many|other)$/;

type Tree = { [key: string]: string | Tree };

/** "a.b.c" → value, for every leaf. */
function flatten(tree: Tree, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Tree, key, out);
    else out.set(key, v);
  }
  return out;
}

const variables = (text: string): string[] =>
  [...new Set([...text.matchAll(/\{\{\s*([\w.-]+)[^}]*\}\}/g)].map((m) => m[1]))].sort();

/** The keys by base name (plural suffix removed), each with its values. */
function byBase(leaves: Map<string, unknown>): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const [k, v] of leaves) {
    const base = k.replace(PLURAL, '');
    out.set(base, [...(out.get(base) ?? []), v]);
  }
  return out;
}

function namespaces(lang: string): string[] {
  return fs
    .readdirSync(path.join(LOCALES, lang))
    .filter((f) => f.endsWith('.json'))
    .sort();
}

function load(lang: string, file: string): Map<string, unknown> {
  const text = fs.readFileSync(path.join(LOCALES, lang, file), 'utf8');
  let parsed: Tree;
  try {
    parsed = JSON.parse(text) as Tree;
  } catch (err) {
    throw new Error(`${lang}/${file} is not valid JSON: ${(err as Error).message}`);
  }
  return flatten(parsed);
}

/** Everything wrong between the two languages of one namespace, as sentences naming the key. */
function compareNamespace(file: string, en: Map<string, unknown>, zh: Map<string, unknown>): string[] {
  const problems: string[] = [];
  const ns = file.replace(/\.json$/, '');
  const sides = { en: byBase(en), 'zh-CN': byBase(zh) };
  for (const [lang, other] of [
    ['en', 'zh-CN'],
    ['zh-CN', 'en'],
  ] as const) {
    for (const key of sides[lang].keys()) {
      if (!sides[other].has(key)) problems.push(`${ns}:${key} is in ${lang}/${file} but missing from ${other}/${file}`);
    }
  }
  for (const [lang, leaves] of [
    ['en', en],
    ['zh-CN', zh],
  ] as const) {
    for (const [key, value] of leaves) {
      if (typeof value !== 'string') problems.push(`${ns}:${key} in ${lang}/${file} is not a string`);
      else if (value.trim() === '') problems.push(`${ns}:${key} in ${lang}/${file} is empty`);
    }
  }
  for (const [key, enValues] of sides.en) {
    const zhValues = sides['zh-CN'].get(key);
    if (!zhValues) continue;
    const vars = (values: unknown[]) =>
      [...new Set(values.flatMap((v) => (typeof v === 'string' ? variables(v) : [])))].sort();
    const a = vars(enValues);
    const b = vars(zhValues);
    for (const v of a) if (!b.includes(v)) problems.push(`${ns}:${key} uses {{${v}}} in en but not in zh-CN`);
    for (const v of b) if (!a.includes(v)) problems.push(`${ns}:${key} uses {{${v}}} in zh-CN but not in en`);
  }
  return problems;
}

describe('i18n: every key in both languages', () => {
  it('has the same namespace files in every language', () => {
    const [en, zh] = LANGS.map(namespaces);
    expect(en.length, 'no namespace files found').toBeGreaterThan(0);
    const missing = [
      ...en.filter((f) => !zh.includes(f)).map((f) => `zh-CN/${f} is missing (en/${f} exists)`),
      ...zh.filter((f) => !en.includes(f)).map((f) => `en/${f} is missing (zh-CN/${f} exists)`),
    ];
    expect(missing, missing.join('\n')).toEqual([]);
  });

  for (const file of namespaces('en')) {
    it(`${file}: same keys, no empty value, same {{variables}}`, () => {
      if (!fs.existsSync(path.join(LOCALES, 'zh-CN', file))) return; // reported by the test above
      const problems = compareNamespace(file, load('en', file), load('zh-CN', file));
      expect(problems, problems.join('\n')).toEqual([]);
    });
  }

  it('names the missing key when a language lacks one (the checker itself)', () => {
    const en = flatten({
      title: 'Orders',
      col: { paid: 'Paid', credited: 'Credited' },
      n_one: '{{count}} order',
      n_other: '{{count}} orders',
    });
    const zh = flatten({ title: '订单', col: { paid: '支付金额' }, n_other: '{{count}} 条', extra: '' });
    const problems = compareNamespace('orders.json', en, zh);
    expect(problems).toContain('orders:col.credited is in en/orders.json but missing from zh-CN/orders.json');
    expect(problems).toContain('orders:extra is in zh-CN/orders.json but missing from en/orders.json');
    expect(problems).toContain('orders:extra in zh-CN/orders.json is empty');
    expect(problems.filter((p) => p.startsWith('orders:n '))).toEqual([]);
    const badVars = compareNamespace('x.json', flatten({ a: 'min {{minimum}}' }), flatten({ a: '最低 {{min}}' }));
    expect(badVars).toEqual(['x:a uses {{minimum}} in en but not in zh-CN', 'x:a uses {{min}} in zh-CN but not in en']);
  });
});
