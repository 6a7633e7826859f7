import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Folders are the architecture (docs/design.md §11): the imports between src's top-level folders
 * form no cycle, infrastructure never imports a use case, and the provider contract is imported by
 * top-ups, never the reverse.
 */

const SRC = path.resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** folder → the other top-level folders its files import (files directly under src/ are the composition root). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files(SRC)) {
    const rel = path.relative(SRC, file).split(path.sep);
    if (rel.length === 1) continue;
    const from = rel[0];
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = path.relative(SRC, path.resolve(path.dirname(file), m[1])).split(path.sep);
      if (target.length > 1 && target[0] !== from && target[0] !== '..') edges.add(target[0]);
    }
  }
  return graph;
}

describe('folder layers', () => {
  const graph = folderGraph();

  it('no two folders import each other, directly or round a cycle', () => {
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]) => {
      for (const next of graph.get(node) ?? []) {
        if (trail.includes(next)) cycles.push([...trail.slice(trail.indexOf(next)), next].join(' → '));
        else visit(next, [...trail, next]);
      }
    };
    for (const node of graph.keys()) visit(node, [node]);
    expect(cycles).toEqual([]);
  });

  it('infrastructure imports no use case, and providers do not import top-ups', () => {
    const infrastructure = ['lib', 'money', 'db', 'jobs', 'mail'];
    for (const f of infrastructure) {
      for (const to of graph.get(f) ?? []) expect(infrastructure, `${f} imports ${to}`).toContain(to);
    }
    expect([...(graph.get('providers') ?? [])]).not.toContain('topups');
    expect([...(graph.get('db') ?? [])]).toEqual([]);
  });
});
