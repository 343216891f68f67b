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

/**
 * The first source file under `dir` whose build in dist/ is missing or older than it, if any.
 * Source by source: a .js left in dist/ by a source since deleted (tsc never removes one) says
 * nothing about freshness — comparing the oldest build to the newest source once sent every run
 * to the sources unawares.
 */
export function staleSource(dir: string): string | undefined {
  if (!existsSync(join(ROOT, dir))) return undefined;
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = staleSource(rel);
      if (found) return found;
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const built = join(ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(ROOT, rel)).mtimeMs) return rel;
    }
  }
  return undefined;
}

/** True when dist/ holds a build of every source file of `trees` at least as new as it. */
export function compiledIsFresh(trees: readonly string[]): boolean {
  return trees.every((tree) => existsSync(join(ROOT, tree)) && staleSource(tree) === undefined);
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
