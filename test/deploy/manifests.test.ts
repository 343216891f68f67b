// Every manifest under deploy/ is what users will `kubectl apply` to a real cluster: it must
// apply against the sim with strict server-side field validation, and re-applying it
// unchanged must change nothing (no diff, no new resourceVersion).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, Kubectl } from '../helpers/kubectl.js';
import { startTestSim, type TestSim } from '../sim/e2e/helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DEPLOY = join(ROOT, 'deploy');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return name.endsWith('.yaml') || name.endsWith('.yml') ? [p] : [];
    });
}

interface Manifest {
  file: string;
  text: string;
  kinds: string[];
}

/**
 * Some manifests are templates: the uninstall Job names a node with the placeholder NODE,
 * which users replace (it is not a valid name as written). Fill it with a real node.
 */
function render(text: string, node: string): string {
  return text.replace(/\bNODE\b/g, node);
}

const FILES = yamlFiles(DEPLOY);
let t: TestSim;
let kubectl: Kubectl;
let manifests: Manifest[];

beforeAll(async () => {
  if (!hasKubectl) return;
  t = await startTestSim({ clusters: ['host'], nodes: 1 });
  kubectl = new Kubectl(t.sim.kubeconfig);
  const node = t.sim.cluster('host').fleet.nodeNames()[0]!;
  manifests = FILES.map((file) => {
    const text = render(readFileSync(file, 'utf8'), node);
    const kinds = YAML.parseAllDocuments(text)
      .map((d) => (d.toJS() as { kind?: string } | null)?.kind)
      .filter((k): k is string => typeof k === 'string');
    return { file, text, kinds };
  });
  // kubectl applies in file order and does not sort by kind: create what others live in
  // (namespaces, CRDs) first, as an installer would.
  const rank = (m: Manifest): number => (m.kinds.includes('Namespace') || m.kinds.includes('CustomResourceDefinition') ? 0 : 1);
  manifests.sort((a, b) => rank(a) - rank(b));
});

afterAll(async () => {
  kubectl?.cleanup();
  await t?.stop();
});

async function apply(m: Manifest): Promise<string> {
  const path = kubectl.writeFile(relative(DEPLOY, m.file).replaceAll('/', '_'), m.text);
  return kubectl.ok(['apply', '--validate=strict', '-f', path], { timeoutMs: 60_000 });
}

async function resourceVersions(m: Manifest): Promise<Record<string, string>> {
  const path = kubectl.writeFile(`get-${relative(DEPLOY, m.file).replaceAll('/', '_')}`, m.text);
  const out = await kubectl.ok(['get', '-f', path, '-o', 'json'], { timeoutMs: 60_000 });
  const parsed = JSON.parse(out) as { items?: Array<{ kind: string; metadata: { name: string; resourceVersion: string } }>; kind?: string; metadata?: { name: string; resourceVersion: string } };
  const items = parsed.items ?? [parsed as { kind: string; metadata: { name: string; resourceVersion: string } }];
  return Object.fromEntries(items.map((i) => [`${i.kind}/${i.metadata.name}`, i.metadata.resourceVersion]));
}

describe.skipIf(!hasKubectl)('deploy/ manifests against the sim', () => {
  it('there are manifests to check', () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  it('each applies with --validate=strict, creating every object it names', { timeout: 180_000 }, async () => {
    for (const m of manifests) {
      const out = await apply(m);
      const created = out.split('\n').filter((l) => l.trim() !== '');
      expect(created, `${m.file}: ${out}`).toHaveLength(m.kinds.length);
      for (const line of created) expect(line, m.file).toMatch(/ (created|configured|unchanged)$/);
    }
  });

  it('re-applying each unchanged manifest changes nothing: all unchanged, same resourceVersions, empty diff', { timeout: 180_000 }, async () => {
    for (const m of manifests) {
      const before = await resourceVersions(m);
      const out = await apply(m);
      for (const line of out.split('\n').filter((l) => l.trim() !== '')) expect(line, m.file).toMatch(/ unchanged$/);
      expect(await resourceVersions(m), m.file).toEqual(before);
      const path = kubectl.writeFile(`diff-${relative(DEPLOY, m.file).replaceAll('/', '_')}`, m.text);
      const diff = await kubectl.run(['diff', '-f', path], { timeoutMs: 60_000 });
      // kubectl diff: 0 = no differences, 1 = differences, >1 = error.
      expect({ file: m.file, code: diff.code, stdout: diff.stdout, stderr: diff.stderr }).toEqual({ file: m.file, code: 0, stdout: '', stderr: '' });
    }
  });
});
