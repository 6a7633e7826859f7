import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// `yaml` comes with the build tooling (it is not a dependency of Coffer itself).
import YAML from 'yaml';

const read = (file: string) => fs.readFileSync(file, 'utf8');
// npm's own range logic (fastify depends on it); loaded untyped.
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(v: string, range: string): boolean;
  minVersion(range: string): { version: string };
};

/** Every installed package's name, version and engines.node, nested copies included. */
function installedEngines(
  dir = 'node_modules',
  out: { id: string; node: string }[] = [],
): { id: string; node: string }[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      installedEngines(p, out);
      continue;
    }
    const pj = path.join(p, 'package.json');
    if (fs.existsSync(pj)) {
      const j = JSON.parse(read(pj)) as { name?: string; version?: string; engines?: { node?: unknown } };
      if (typeof j.engines?.node === 'string') out.push({ id: `${j.name}@${j.version} (${p})`, node: j.engines.node });
    }
    if (fs.existsSync(path.join(p, 'node_modules'))) installedEngines(path.join(p, 'node_modules'), out);
  }
  return out;
}

function dockerWorks(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

describe('supported Node versions', () => {
  it('every installed package accepts the oldest Node of each line package.json promises (npm ci prints no EBADENGINE)', () => {
    const range = JSON.parse(read('package.json')).engines.node as string;
    const oldest = range.split('||').map((r) => semver.minVersion(r.trim()).version);
    expect(oldest.length).toBeGreaterThanOrEqual(2);
    const refusing = installedEngines().flatMap(({ id, node }) =>
      oldest.filter((v) => !semver.satisfies(v, node)).map((v) => `${id} wants node ${node}, not ${v}`),
    );
    expect(refusing).toEqual([]);
  });
});

describe('deployment files', () => {
  it('compose.yaml parses and runs Coffer on PostgreSQL 15, configured by variables', () => {
    const doc = YAML.parse(read('compose.yaml'));
    expect(Object.keys(doc.services).sort()).toEqual(['coffer', 'postgres']);
    const { postgres, coffer } = doc.services;
    expect(postgres.image).toMatch(/^postgres:15(\.|-|$)/);
    expect(postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(postgres.volumes[0]).toMatch(/:\/var\/lib\/postgresql\/data$/);
    expect(Object.keys(doc.volumes)).toContain(postgres.volumes[0].split(':')[0]);
    expect(coffer.build).toBe('.');
    expect(coffer.depends_on.postgres.condition).toBe('service_healthy');
    const env = coffer.environment as Record<string, string>;
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/coffer:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432\/coffer$/);
    expect(env.SESSION_SECRET).toMatch(/^\$\{SESSION_SECRET/);
    expect(env.PUBLIC_URL).toMatch(/^\$\{PUBLIC_URL/);
    expect(env.HOST).toBe('0.0.0.0');
    expect(coffer.ports).toEqual([`127.0.0.1:8080:${env.PORT}`]);
  });

  it('the Dockerfile is multi-stage, builds with npm ci and npm run build, runs coffer serve as a non-root user with a health check', () => {
    const lines = read('Dockerfile')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));
    const from = lines.filter((l) => /^FROM /.test(l));
    expect(from.length).toBeGreaterThanOrEqual(2);
    // The same Node major as the engines field promises first.
    const major = /^\^?(\d+)/.exec(JSON.parse(read('package.json')).engines.node)![1];
    for (const f of from) expect(f).toMatch(new RegExp(`^FROM node:${major}-`));
    const text = lines.join('\n');
    expect(text).toMatch(/RUN npm ci && npm run build/);
    const user = lines.filter((l) => /^USER /.test(l)).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)\b/);
    expect(text).toMatch(/HEALTHCHECK [^\n]*\\\n[^\n]*\/healthz/);
    expect(text).toMatch(/HOST=0\.0\.0\.0/);
    expect(lines.at(-1)).toBe('CMD ["node", "bin/coffer.js", "serve"]');
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['node_modules', 'dist', '.git']) expect(ignored).toContain(p);
  });

  it('the systemd unit runs coffer serve as its own user and stops it with SIGTERM', () => {
    const unit = read('deploy/coffer.service');
    for (const section of ['[Unit]', '[Service]', '[Install]']) expect(unit).toContain(section);
    expect(unit).toMatch(/^ExecStart=.*bin\/coffer\.js serve$/m);
    expect(unit).toMatch(/^User=coffer$/m);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^EnvironmentFile=/m);
  });

  it.skipIf(!dockerWorks())(
    'the image builds',
    () => {
      execFileSync('docker', ['build', '-q', '-t', 'coffer-test', '.'], { stdio: 'inherit', timeout: 900_000 });
    },
    900_000,
  );
});
