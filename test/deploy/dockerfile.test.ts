// deploy/Dockerfile cannot be built here (no Docker engine on this machine), so this reads it as
// a specification: two stages on node:20-slim, the build stage compiles every source folder
// tsconfig.json compiles, the runtime stage has only production dependencies, the compiled
// code where package.json's bin points and the files the code reads at run time, and runs as
// the unprivileged node user; every path it copies from the context exists and is not ignored.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEPLOY, REPO } from './kustomize.js';

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  from: string;
  name: string;
  steps: Instruction[];
}

function stages(): Stage[] {
  const text = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const out: Stage[] = [];
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const [op, ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op!.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      out.push({ from: m[1]!, name: m[2] ?? '', steps: [] });
    } else out.at(-1)!.steps.push({ op: op!.toUpperCase(), args });
  }
  return out;
}

const ignored = readFileSync(join(DEPLOY, 'Dockerfile.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

function isIgnored(path: string): boolean {
  return ignored.some((p) => (p.startsWith('*') ? path.endsWith(p.slice(1)) : path === p || path.startsWith(`${p}/`)));
}

/** COPY sources taken from the build context (not --from another stage). */
function contextSources(s: Stage): string[] {
  return s.steps.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
}

describe('deploy/Dockerfile', () => {
  const [build, runtime, ...more] = stages();

  it('has a build stage and a runtime stage, both on Node 20 slim', () => {
    expect(more).toEqual([]);
    expect({ build: [build!.from, build!.name], runtime: [runtime!.from, runtime!.name] }).toEqual({ build: ['node:20-slim', 'build'], runtime: ['node:20-slim', 'runtime'] });
  });

  it('compiles in the build stage every folder tsconfig.json compiles, after a clean install from the lock file', () => {
    const tsconfig = JSON.parse(readFileSync(join(REPO, 'tsconfig.json'), 'utf8')) as { include: string[]; compilerOptions: { outDir: string } };
    const copied = contextSources(build!);
    for (const dir of tsconfig.include) expect(copied, `COPY ${dir}`).toContain(dir);
    const runs = build!.steps.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs[0]).toMatch(/^npm ci\b/);
    expect(runs.some((r) => /tsc -p tsconfig\.json/.test(r))).toBe(true);
    expect(tsconfig.compilerOptions.outDir).toBe('dist');
  });

  it('ships only production dependencies, the compiled code package.json runs, and the .proto the agent reads', () => {
    const runs = runtime!.steps.filter((i) => i.op === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /^npm ci\b.*--omit=dev/.test(r))).toBe(true);
    const fromBuild = runtime!.steps.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build')).map((i) => i.args.split(/\s+/).slice(1));
    expect(fromBuild).toContainEqual(['/src/dist', './dist']);
    // isolation/load-proto.ts looks for ./proto/loadreport.proto next to the compiled module.
    expect(fromBuild).toContainEqual(['/src/isolation/proto', './dist/isolation/proto']);
    expect(existsSync(join(REPO, 'isolation/proto/loadreport.proto'))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    const entry = runtime!.steps.find((i) => i.op === 'ENTRYPOINT')!.args;
    expect(JSON.parse(entry)).toEqual(['node', `/app/${pkg.bin['tidepool']}`]);
    expect(existsSync(join(REPO, pkg.bin['tidepool']!.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
  });

  it('runs as the unprivileged node user', () => {
    expect(runtime!.steps.filter((i) => i.op === 'USER').map((i) => i.args)).toEqual(['node']);
  });

  it('copies from the build context only paths that exist and the .dockerignore lets in', () => {
    for (const s of [build!, runtime!]) {
      for (const src of contextSources(s)) {
        expect(existsSync(join(REPO, src)), src).toBe(true);
        expect(isIgnored(src), `${src} is in Dockerfile.dockerignore`).toBe(false);
      }
    }
    expect(isIgnored('node_modules')).toBe(true);
    expect(isIgnored('test/deploy')).toBe(true);
  });
});
