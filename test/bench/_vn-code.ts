// Which code every process of `bench virtual-node` runs — the sims, the virtual node, the ceiling's
// writer and this process's clients — decided once, when the run starts: dist/ (what users run;
// `npm run bench` compiles first) when its build of every tree on the path is at least as new as
// the sources, else the TypeScript sources through tsx. Deciding once keeps the processes on the
// same code when someone edits a source during the several minutes of a full run.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { staleSource } from './_compiled.js';

export type Code = 'dist' | 'sources';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The source trees the processes of the run load. */
const TREES = ['api', 'kube', 'federation', 'virtual-node', 'cli', 'sim'];

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
