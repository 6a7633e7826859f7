#!/usr/bin/env node
// Builds the web app (web/ → dist/web) unless it is already up to date, writes brotli and gzip
// copies of its assets (served when the browser accepts them), and checks the first-load budget:
// the JavaScript a browser must fetch before the portal's landing pages can render, gzipped.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const webSrc = path.join(root, 'web');
const out = path.join(root, 'dist', 'web');
const BUDGET_KB = 300;
// Where a customer lands: a sign-in link opens /signin, which leads to Home.
const LANDING = ['src/pages/signin/index.tsx', 'src/pages/home/index.tsx'];
const force = process.argv.includes('--force');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function upToDate() {
  const stamp = path.join(out, '.vite', 'manifest.json');
  if (!fs.existsSync(stamp)) return false;
  const builtAt = fs.statSync(stamp).mtimeMs;
  return builtAt > newestMtime(webSrc) && builtAt > fs.statSync(path.join(root, 'package-lock.json')).mtimeMs;
}

function compressAssets() {
  const dir = path.join(out, 'assets');
  for (const name of fs.readdirSync(dir)) {
    if (!/\.(js|css|svg|json)$/.test(name)) continue;
    const data = fs.readFileSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, `${name}.gz`), zlib.gzipSync(data, { level: 9 }));
    fs.writeFileSync(
      path.join(dir, `${name}.br`),
      zlib.brotliCompressSync(data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
    );
  }
}

/** Every chunk a module needs before it can run: itself and its static imports, transitively. */
function closure(manifest, key, seen = new Set()) {
  if (seen.has(key) || !manifest[key]) return seen;
  seen.add(key);
  for (const dep of manifest[key].imports ?? []) closure(manifest, dep, seen);
  return seen;
}

function budget() {
  const manifest = JSON.parse(fs.readFileSync(path.join(out, '.vite', 'manifest.json'), 'utf8'));
  const entry = Object.keys(manifest).find((k) => manifest[k].isEntry);
  const gz = (file) => zlib.gzipSync(fs.readFileSync(path.join(out, file)), { level: 9 }).length;
  let worst = { page: '', bytes: 0 };
  for (const page of LANDING) {
    if (!manifest[page]) continue;
    const chunks = new Set([...closure(manifest, entry), ...closure(manifest, page)]);
    const bytes = [...chunks].reduce((sum, k) => sum + gz(manifest[k].file), 0);
    console.log(
      `web: first load of ${page.replace(/^src\/pages\/|\/index\.tsx$/g, '')}: ${(bytes / 1024).toFixed(1)} KB of JavaScript gzipped (budget ${BUDGET_KB} KB)`,
    );
    if (bytes > worst.bytes) worst = { page, bytes };
  }
  if (worst.bytes > BUDGET_KB * 1024) {
    console.error(`web: over budget: ${worst.page} loads ${(worst.bytes / 1024).toFixed(1)} KB > ${BUDGET_KB} KB`);
    process.exit(1);
  }
}

if (!force && upToDate()) {
  console.log('web: up to date (dist/web)');
} else {
  const { build } = await import('vite');
  await build({ configFile: path.join(webSrc, 'vite.config.ts'), logLevel: 'warn', build: { manifest: true } });
  compressAssets();
}
budget();
