// MemberCluster objects in a simulated host cluster: a good spec becomes a member whose status
// carries conditions and capacity; a bad spec or a missing Secret gets a condition that says
// what is wrong; deleting the object removes the member. Plus the config file's errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startSim, type Sim } from '../../sim/index.js';
import { Federation, MemberClusterRegistry, loadFederationConfig, type Condition } from '../../federation/index.js';
import type { KubeClient } from '../../kube/index.js';
import { clientFor } from './helpers.js';
import { waitFor } from '../helpers/wait.js';
import { hasKubectl, Kubectl } from '../helpers/kubectl.js';

let sim: Sim;
let host: KubeClient;
let fed: Federation;
let registry: MemberClusterRegistry;
let dir: string;

const MC = '/apis/tidepool.dev/v1alpha1/memberclusters';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-fed-'));
  sim = await startSim({ clusters: ['host', 'east'], nodes: 2, nodeShape: { cpu: '8', memory: '16Gi', pods: 110 } });
  host = clientFor(sim, 'host');
  const crd = parseYaml(readFileSync(new URL('../../deploy/crds/membercluster.yaml', import.meta.url), 'utf8')) as object;
  await host.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd });
  await waitFor('the MemberCluster resource to be served', async () => (await host.request({ path: MC })).status === 200, 15_000);
  await host.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tidepool-system' } } });
  await host.request({
    method: 'POST',
    path: '/api/v1/namespaces/tidepool-system/secrets',
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'east-kubeconfig' }, data: { kubeconfig: Buffer.from(sim.kubeconfig).toString('base64') } },
  });
  fed = new Federation({ readyTimeoutMs: 2_000, probeIntervalMs: 200, usageIntervalMs: 0 });
  fed.start();
  registry = new MemberClusterRegistry({ host, federation: fed, statusIntervalMs: 1_000 });
  registry.start();
});

afterAll(async () => {
  await registry?.stop();
  await fed?.stop();
  host?.close();
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function create(name: string, spec: object): Promise<void> {
  await host.request({ method: 'POST', path: MC, body: { apiVersion: 'tidepool.dev/v1alpha1', kind: 'MemberCluster', metadata: { name }, spec } });
}

async function conditions(name: string): Promise<Condition[]> {
  const obj = await host.requestJson<{ status?: { conditions?: Condition[] } }>({ path: `${MC}/${name}` });
  return obj.status?.conditions ?? [];
}

describe('MemberCluster registry', () => {
  it('turns a good MemberCluster into a Ready member and writes its status', async () => {
    await create('east', { kubeconfigSecretRef: { name: 'east-kubeconfig', context: 'east' }, weight: 2, headroom: { fraction: 0.1, cpu: '1' }, labels: { region: 'east' } });
    await waitFor('east to be Ready in the federation', () => fed.isReady('east'), 15_000);
    const doc = fed.document();
    expect(doc.clusters[0]).toMatchObject({ name: 'east', ready: true, nodes: 2 });
    const status = await waitFor('status with Ready=True', async () => {
      const obj = await host.requestJson<{ status?: { conditions?: Condition[]; lastProbeTime?: string; observedGeneration?: number; capacity?: { nodes: number; cpu: { allocatable: number } } } }>({ path: `${MC}/east` });
      return obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? obj.status : undefined;
    }, 15_000);
    expect(status.capacity).toMatchObject({ nodes: 2, cpu: { allocatable: doc.clusters[0]!.cpu.allocatable } });
    expect(Number.isNaN(Date.parse(status.lastProbeTime ?? ''))).toBe(false);
    expect(status.observedGeneration).toBe(1);
    expect(status.conditions!.map((c) => `${c.type}=${c.status}`).sort()).toEqual(['Reachable=True', 'Ready=True', 'SpecValid=True', 'Synced=True']);
    expect(fed.clusterState('east')!.policy).toMatchObject({ weight: 2, headroom: { fraction: 0.1, cpu: 1000 }, labels: { region: 'east' } });
  });

  it.skipIf(!hasKubectl)('shows MemberClusters with their printer columns in kubectl', async () => {
    const kubectl = new Kubectl(sim.kubeconfig);
    try {
      const out = await kubectl.ok(['--context', 'host', 'get', 'memberclusters']);
      const [head, row] = out.trim().split('\n');
      expect(head!.split(/\s+/)).toEqual(['NAME', 'READY', 'NODES', 'IDLE-CPU-M', 'PAUSED', 'AGE']);
      const idle = fed.document().clusters.find((c) => c.name === 'east')!.cpu.idle;
      expect(row!.split(/\s+/).slice(0, 4)).toEqual(['east', 'True', '2', String(idle)]);
    } finally {
      kubectl.cleanup();
    }
  });

  it('explains a bad spec in a status condition and runs no member for it', async () => {
    await create('broken', {
      kubeconfigSecretRef: { name: 'east-kubeconfig' },
      headroom: { fraction: 1.5 },
      maxCPU: 'lots',
      taints: [{ key: 'dedicated', effect: 'Sometimes' }],
    });
    const conds = await waitFor('a SpecValid=False condition', async () => {
      const c = await conditions('broken');
      return c.some((x) => x.type === 'SpecValid' && x.status === 'False') ? c : undefined;
    }, 15_000);
    const specValid = conds.find((c) => c.type === 'SpecValid')!;
    expect(specValid.reason).toBe('InvalidSpec');
    expect(specValid.message).toContain('spec.headroom.fraction: must be between 0 and 1, got 1.5');
    expect(specValid.message).toContain('spec.maxCPU: "lots" is not a valid quantity');
    expect(specValid.message).toContain('spec.taints[0].effect: must be NoSchedule, PreferNoSchedule or NoExecute, got "Sometimes"');
    expect(conds.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(fed.clusterState('broken')).toBeUndefined();
  });

  it('says so when the kubeconfig Secret is missing', async () => {
    await create('nosecret', { kubeconfigSecretRef: { name: 'absent', namespace: 'tidepool-system' } });
    const conds = await waitFor('a Ready=False condition', async () => {
      const c = await conditions('nosecret');
      return c.some((x) => x.type === 'Ready' && x.status === 'False') ? c : undefined;
    }, 15_000);
    const ready = conds.find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe('KubeconfigError');
    expect(ready.message).toContain('kubeconfig Secret tidepool-system/absent');
  });

  it('restarts a member whose kubeconfig Secret was rotated', async () => {
    const before = fed.member('east');
    expect(before).toBeDefined();
    // Same clusters, new text (a rotated credential looks like this to us).
    const rotated = sim.kubeconfig + '\n# rotated\n';
    await host.request({
      method: 'PATCH',
      path: '/api/v1/namespaces/tidepool-system/secrets/east-kubeconfig',
      body: { data: { kubeconfig: Buffer.from(rotated).toString('base64') } },
      contentType: 'application/merge-patch+json',
    });
    await waitFor('a new member for east', () => fed.member('east') !== undefined && fed.member('east') !== before, 15_000);
    await waitFor('east Ready again', () => fed.isReady('east'), 15_000);
  });

  it('follows spec changes and deletion', async () => {
    await host.request({ method: 'PATCH', path: `${MC}/east`, body: { spec: { paused: true } }, contentType: 'application/merge-patch+json' });
    await waitFor('east to be paused', () => fed.clusterState('east')?.policy.paused === true, 15_000);
    expect(fed.document().clusters[0]!.cpu.idle).toBe(0);
    await host.request({ method: 'DELETE', path: `${MC}/east` });
    await waitFor('east to leave the federation', () => fed.clusterState('east') === undefined, 15_000);
    expect(fed.memberNames()).toEqual([]);
  });
});

describe('federation config file', () => {
  it('loads members with paths relative to the file', () => {
    const path = join(dir, 'fed.yaml');
    writeFileSync(path, 'readyTimeoutSeconds: 10\nscorePolicy: bin-pack\nkubeconfig: ./kc\nmembers:\n  - name: east\n    context: east-ctx\n    maxPods: 50\n  - name: west\n    kubeconfig: /abs/kc\n');
    const cfg = loadFederationConfig(path);
    expect(cfg.readyTimeoutMs).toBe(10_000);
    expect(cfg.scorePolicy).toBe('bin-pack');
    expect(cfg.members.map((m) => [m.name, m.access])).toEqual([
      ['east', { kind: 'file', path: join(dir, 'kc'), context: 'east-ctx' }],
      ['west', { kind: 'file', path: '/abs/kc', context: 'west' }],
    ]);
    expect(cfg.members[0]!.policy.maxPods).toBe(50);
  });

  it('names every bad field in one error', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'scorePolicy: random\nmembers:\n  - name: East_1\n    kubeconfig: ./kc\n  - name: west\n    weight: -1\n');
    expect(() => loadFederationConfig(path)).toThrowError(/members\[0\]\.name: "East_1" is not a DNS-1123 label[\s\S]*members\[1\]\.kubeconfigSecretRef: required[\s\S]*members\[1\]\.weight: must be a number between 0 and 1000, got -1[\s\S]*scorePolicy: must be one of/);
  });
});
