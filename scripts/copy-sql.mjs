// Part of `npm run build`: copies the database routines (src/<module>/sql/*.sql) beside the
// compiled modules in dist/, where src/db/routines.ts reads them at run time.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
let copied = 0;
for (const module of fs.readdirSync(src, { withFileTypes: true })) {
  const dir = path.join(src, module.name, 'sql');
  if (!module.isDirectory() || !fs.existsSync(dir)) continue;
  const out = path.join(root, 'dist', module.name, 'sql');
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
    fs.copyFileSync(path.join(dir, file), path.join(out, file));
    copied++;
  }
}
if (copied === 0) throw new Error('copy-sql: no routine files found under src/*/sql');
