// cli/ is the one command line: its files reach other rooms only through their public faces
// (a room's index.ts, or a sub-room's such as colocation/batch/index.ts), never their insides,
// and no room reaches back into cli/. Kubernetes' name rules are kube's (kube/names.ts), not a
// pattern copied into a flag parser.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli-process.js';

const ROOMS = ['api', 'kube', 'federation', 'virtual-node', 'colocation', 'isolation', 'sim'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The module specifiers a file imports or re-exports (static imports, `import type` included). */
function specifiers(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)].map((m) => m[1]!);
}

describe('the command line', () => {
  it('reaches the rooms only through their index.ts', () => {
    const insides: string[] = [];
    for (const file of tsFiles(join(REPO_ROOT, 'cli'))) {
      for (const spec of specifiers(file)) {
        if (!spec.startsWith('../')) continue;
        if (!spec.endsWith('/index.js')) insides.push(`${relative(REPO_ROOT, file)}: ${spec}`);
      }
    }
    expect(insides).toEqual([]);
  });

  it('is reached by no room', () => {
    const back: string[] = [];
    for (const room of ROOMS) {
      for (const file of tsFiles(join(REPO_ROOT, room))) {
        for (const spec of specifiers(file)) if (/(^|\/)cli\//.test(spec)) back.push(`${relative(REPO_ROOT, file)}: ${spec}`);
      }
    }
    expect(back).toEqual([]);
  });

  it('checks Kubernetes names with kube, not with a copy of the DNS-1123 pattern', () => {
    const copies = tsFiles(join(REPO_ROOT, 'cli')).filter((f) => readFileSync(f, 'utf8').includes('[a-z0-9]([-a-z0-9]*[a-z0-9])?'));
    expect(copies.map((f) => relative(REPO_ROOT, f))).toEqual([]);
  });

  it('finds the imports it checks (the check itself can fail)', () => {
    expect(specifiers(join(REPO_ROOT, 'cli', 'agent.ts'))).toContain('../isolation/index.js');
    expect(specifiers(join(REPO_ROOT, 'cli', 'program.ts'))).toContain('./agent.js');
  });
});
