// Which code every process of `bench virtual-node` runs — the sims, the virtual node, the ceiling's
// writer and this process's clients — decided once, when the run starts: dist/ (what users run;
// `npm run bench` compiles first) when its build of every tree on the path is at least as new as
// the sources, else the TypeScript sources through tsx. Deciding once keeps the processes on the
// same code when someone edits a source during the several minutes of a full run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type Code = 'dist' | 'sources';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The source trees the processes of the run load. */
const TREES = ['api', 'kube', 'federation', 'virtual-node', 'cli', 'sim'];

/**
 * The first source file under `dir` whose build in dist/ is missing or older than it, if any.
 * (Source by source: a .js left in dist/ by a source since deleted says nothing about freshness.)
 */
function staleSource(dir: string): string | undefined {
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

export function chooseCode(sources: boolean): { code: Code; why: string } {
  if (sources) return { code: 'sources', why: 'TypeScript sources through tsx (--sources)' };
  for (const tree of TREES) {
    const stale = staleSource(tree);
    if (stale) return { code: 'sources', why: `TypeScript sources through tsx (dist/ has no fresh build of ${stale}: run npm run build, or npm run bench)` };
  }
  return { code: 'dist', why: 'compiled dist/ (fresh when the run started)' };
}

/** Imports `modulePath` (a source path such as 'sim/index.js') from dist/ or from the sources. */
export async function importCode<T>(modulePath: string, code: Code): Promise<T> {
  const file = code === 'dist' ? join(ROOT, 'dist', modulePath) : join(ROOT, modulePath.replace(/\.js$/, '.ts'));
  return (await import(pathToFileURL(file).href)) as T;
}

/** The CLI's entry point for `code`. */
export function cliEntry(code: Code): string {
  return code === 'dist' ? join(ROOT, 'dist', 'cli', 'main.js') : join(ROOT, 'cli', 'main.ts');
}
