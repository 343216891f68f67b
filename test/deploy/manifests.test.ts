// deploy/ is what users `kubectl apply -k` to real clusters. Every entry point (the base, each
// overlay, the member-cluster RBAC) must apply to a simulated cluster of its own with
// server-side apply and strict field validation, creating every object kustomize renders, and
// applying it again must change nothing (same resourceVersions, an empty `kubectl diff`). The
// uninstall Job, a template applied by hand per node, must apply once filled in. No YAML under
// deploy/ may sit outside all of these: a file nothing applies is a file nothing tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, Kubectl } from '../helpers/kubectl.js';
import { startTestSim, type TestSim } from '../sim/e2e/helpers.js';
import { DEPLOY, ENTRY_POINTS, render, type EntryPoint } from './kustomize.js';

/** One simulated cluster per entry point, named after it. */
const CLUSTER: Record<EntryPoint, string> = { base: 'base', 'overlays/federation': 'federation', 'overlays/colocation': 'colocation', 'overlays/all': 'all', member: 'member' };
const OPERATOR_CRDS = join(import.meta.dirname, 'fixtures/operator-crds.yaml');
const UNINSTALL_JOB = join(DEPLOY, 'isolation/uninstall-job.yaml');

let t: TestSim;
let kubectl: Kubectl;

beforeAll(async () => {
  if (!hasKubectl) return;
  t = await startTestSim({ clusters: Object.values(CLUSTER), nodes: 1 });
  kubectl = new Kubectl(t.sim.kubeconfig);
  // The operators the components rely on (prometheus-operator, cert-manager) are installed first, as on a real cluster.
  await Promise.all(Object.values(CLUSTER).map((c) => kubectl.ok(['--context', c, 'apply', '--server-side', '-f', OPERATOR_CRDS], { timeoutMs: 60_000 })));
}, 120_000);

afterAll(async () => {
  kubectl?.cleanup();
  await t?.stop();
});

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return yamlFiles(p);
      return /\.(ya?ml|json)$/.test(name) ? [p] : [];
    });
}

/** Every file a kustomization under deploy/ names (resources, generator files), and the kustomization files themselves. */
function filesKustomizeUses(): Set<string> {
  const used = new Set<string>();
  for (const k of yamlFiles(DEPLOY).filter((f) => /kustomization\.ya?ml$/.test(f))) {
    used.add(k);
    const doc = YAML.parse(readFileSync(k, 'utf8')) as { resources?: string[]; configMapGenerator?: Array<{ files?: string[] }> };
    const named = [...(doc.resources ?? []), ...(doc.configMapGenerator ?? []).flatMap((g) => g.files ?? [])];
    for (const r of named) {
      const p = resolve(dirname(k), r);
      if (statSync(p).isFile()) used.add(p);
    }
  }
  return used;
}

async function resourceVersions(ep: EntryPoint): Promise<Record<string, string>> {
  const out = await kubectl.ok(['--context', CLUSTER[ep], 'get', '-k', join(DEPLOY, ep), '-o', 'json'], { timeoutMs: 60_000 });
  const list = JSON.parse(out) as { items: Array<{ kind: string; metadata: { name: string; namespace?: string; resourceVersion: string } }> };
  return Object.fromEntries(list.items.map((i) => [`${i.kind}/${i.metadata.namespace ?? ''}/${i.metadata.name}`, i.metadata.resourceVersion]));
}

describe.skipIf(!hasKubectl)('deploy/ against the sim', () => {
  it('has no YAML outside the kustomizations but the uninstall Job template', () => {
    const used = filesKustomizeUses();
    const loose = yamlFiles(DEPLOY).filter((f) => !used.has(f) && f !== UNINSTALL_JOB).map((f) => relative(DEPLOY, f));
    expect(loose).toEqual([]);
  });

  for (const ep of ENTRY_POINTS) {
    it(`kubectl apply -k deploy/${ep} --server-side --validate=strict creates every object, and again changes nothing`, { timeout: 180_000 }, async () => {
      const objects = await render(ep);
      const args = ['--context', CLUSTER[ep], 'apply', '-k', join(DEPLOY, ep), '--server-side', '--validate=strict'];
      const out = await kubectl.ok(args, { timeoutMs: 120_000 });
      const lines = out.split('\n').filter((l) => l.trim() !== '');
      expect(lines, out).toHaveLength(objects.length);
      for (const l of lines) expect(l).toMatch(/ serverside-applied$/);

      const before = await resourceVersions(ep);
      expect(Object.keys(before)).toHaveLength(objects.length);
      await kubectl.ok(args, { timeoutMs: 120_000 });
      expect(await resourceVersions(ep)).toEqual(before);
      const diff = await kubectl.run(['--context', CLUSTER[ep], 'diff', '-k', join(DEPLOY, ep), '--server-side'], { timeoutMs: 120_000 });
      // kubectl diff: 0 = no differences, 1 = differences, >1 = error.
      expect({ code: diff.code, stdout: diff.stdout, stderr: diff.stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
    });
  }

  it('the uninstall Job applies once NODE is replaced by a node name, beside the agent it undoes', { timeout: 60_000 }, async () => {
    const node = t.sim.cluster('colocation').fleet.nodeNames()[0]!;
    const text = readFileSync(UNINSTALL_JOB, 'utf8').replace(/\bNODE\b/g, node);
    const out = await kubectl.ok(['--context', 'colocation', 'apply', '--server-side', '--validate=strict', '-f', kubectl.writeFile('uninstall.yaml', text)], { timeoutMs: 60_000 });
    expect(out.trim()).toBe(`job.batch/tidepool-agent-restore-${node} serverside-applied`);
    const job = JSON.parse(await kubectl.ok(['--context', 'colocation', '-n', 'tidepool-node', 'get', 'job', `tidepool-agent-restore-${node}`, '-o', 'json'])) as { spec: { template: { spec: { serviceAccountName: string; nodeName: string } } } };
    expect(job.spec.template.spec).toMatchObject({ serviceAccountName: 'tidepool-agent', nodeName: node });
  });
});
