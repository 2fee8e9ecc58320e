/**
 * `npm run bench [-- filter]`: runs every `bench/*.bench.ts` (or those whose name contains the filter).
 * Each module exports `run(): Promise<void>` and prints its own tables.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter === undefined || f.includes(filter))
  .sort();

console.log(`# Omega benchmarks — node ${process.version}, ${new Date().toISOString()}`);
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { run: () => Promise<void> };
  console.log(`\n## ${f}`);
  await mod.run();
}
