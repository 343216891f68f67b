// Benchmarks measure the code users run: the JavaScript tsc compiles into dist/ (what
// `npm start` and `npx tidepool` execute), not the TypeScript sources as tsx loads them.
// tsx's transform keeps function names by wrapping every inner function and arrow in a
// `__name()` call at the point it is created, which costs the write path several percent.
// `npm run bench` compiles first. When dist/ is missing or older than the sources (a test
// run after an edit), the sources are loaded instead, so a stale build is never measured.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Newest .ts under `dir` (source trees) or oldest .js (a build), by mtime in ms. */
function mtimeOf(dir: string, ext: '.ts' | '.js', pick: (a: number, b: number) => number, start: number): number {
  if (!existsSync(dir)) return start;
  let out = start;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out = mtimeOf(p, ext, pick, out);
    else if (entry.name.endsWith(ext) && !entry.name.endsWith('.d.ts')) out = pick(out, statSync(p).mtimeMs);
  }
  return out;
}

/** True when dist/ holds a build of `trees` at least as new as every source file in them. */
export function compiledIsFresh(trees: readonly string[]): boolean {
  for (const tree of trees) {
    const newestSource = mtimeOf(join(ROOT, tree), '.ts', Math.max, 0);
    const oldestBuild = mtimeOf(join(ROOT, 'dist', tree), '.js', Math.min, Number.POSITIVE_INFINITY);
    if (!Number.isFinite(oldestBuild) || oldestBuild < newestSource) return false;
  }
  return true;
}

export interface Loaded<T> {
  mod: T;
  /** Where the module came from, for the suite's log. */
  from: string;
}

/**
 * Imports `modulePath` (a source path such as 'sim/index.js') from dist/ when the build of
 * `trees` (the source folders it depends on) is fresh, else (or with `sources`, to compare
 * the two) from the sources.
 */
export async function loadCompiled<T>(modulePath: string, trees: readonly string[], opts: { sources?: boolean } = {}): Promise<Loaded<T>> {
  const compiled = !opts.sources && compiledIsFresh(trees);
  const file = compiled ? join(ROOT, 'dist', modulePath) : join(ROOT, modulePath.replace(/\.js$/, '.ts'));
  const mod = (await import(pathToFileURL(file).href)) as T;
  const why = opts.sources ? 'asked for with --sources' : 'dist/ is missing or older: run npm run build';
  const from = compiled ? `compiled ${relative(ROOT, file)}` : `TypeScript sources through tsx (${relative(ROOT, file)}; ${why})`;
  return { mod, from };
}
