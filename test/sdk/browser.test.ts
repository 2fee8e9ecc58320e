import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every project source file reachable from `entry` through relative imports, with its bare imports. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (graph.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map(
      (m) => m[1]!,
    );
    const bare: string[] = [];
    for (const s of specifiers) {
      if (s.startsWith('.')) queue.push(resolve(dirname(file), s.replace(/\.js$/, '.ts')));
      else bare.push(s);
    }
    graph.set(file, bare);
  }
  return graph;
}

describe('the SDK runs in browsers', () => {
  it('imports no node: module and nothing from src/api or src/runtime, directly or transitively', () => {
    const graph = importGraph(resolve(root, 'src/sdk/index.ts'));
    expect(graph.size).toBeGreaterThan(5);
    for (const [file, bare] of graph) {
      const rel = file.slice(root.length + 1);
      expect(rel, rel).toMatch(/^src\/(sdk|core|crypto|codec\.ts|errors\.ts)/);
      for (const b of bare) {
        expect(b.startsWith('node:'), `${rel} imports ${b}`).toBe(false);
        // Audited pure-JS packages only: noble for the curves and hashes, PeculiarVentures' ASN.1 schema
        // packages for the registry's X.509 structures (browser-safe; the bundle test below proves it).
        expect(b, `${rel} imports ${b}`).toMatch(/^(@noble\/|@peculiar\/asn1-)/);
      }
    }
  });

  it('bundles for the browser platform with esbuild (no Node built-ins needed)', async () => {
    const result = await build({
      entryPoints: [resolve(root, 'src/sdk/index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).toContain('omega/request/v1');
    expect(code).not.toMatch(/from\s*["']node:/);
    expect(code).not.toMatch(/require\(["'](node:)?(crypto|fs|http|net)["']\)/);
  });
});
