// Benchmark runner: `npm run bench -- <suite> [args...]` runs test/bench/<suite>.ts.
// Each suite module exports `main(args)`; it prints its figures and, as its last line,
// `BENCH <suite> <one-line JSON>` so runs can be compared by a script.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchSuite {
  main(args: string[]): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const suites = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const [wanted, ...rest] = process.argv.slice(2);
const toRun = wanted === undefined || wanted === 'all' ? suites : [wanted];
for (const name of toRun) {
  if (!suites.includes(name)) {
    console.error(`unknown bench suite "${name}"; known: ${suites.join(', ')}`);
    process.exit(2);
  }
}
for (const name of toRun) {
  const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as BenchSuite;
  await mod.main(rest);
}
