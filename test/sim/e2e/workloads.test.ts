// Simulated kubelets and the default scheduler, observed through the API as a user
// would: pods start and finish, usage becomes metrics, nodes go NotReady, and the
// scheduler honours cordons, taints, selectors, affinity and capacity.

import { CoreV1Api, CoreV1Event, KubeConfig, Metrics, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimCluster } from '../../../sim/index.js';
import { podManifest, sleep, startTestSim, waitFor, type TestSim } from './helpers.js';

let t: TestSim;
let core: CoreV1Api;
let kc: KubeConfig;
let cluster: SimCluster;
const NODES = ['host-node-0', 'host-node-1', 'host-node-2'];
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 3, nodeShape: { cpu: '2', memory: '8Gi', pods: 20 }, startDelayMs: 100, terminationDelayMs: 100,
    // A flat day curve: shares of the request are exact.
    dayCurve: { dayLengthMs: 86_400_000, low: 1, high: 1 },
  });
  cluster = t.sim.cluster('host');
  kc = new KubeConfig();
  kc.loadFromString(t.sim.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await t?.stop();
});

const readPod = (name: string, namespace = 'default'): Promise<V1Pod> => core.readNamespacedPod({ name, namespace });

async function podEvents(name: string): Promise<CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${name}` }).catch(async () => core.listNamespacedEvent({ namespace: 'default' }));
  return list.items.filter((e) => e.involvedObject.name === name);
}

async function newPod(name: string, extra: Parameters<typeof podManifest>[1] = {}): Promise<V1Pod> {
  return core.createNamespacedPod({ namespace: 'default', body: podManifest(name, extra) as V1Pod });
}

async function remove(...names: string[]): Promise<void> {
  for (const name of names) await core.deleteNamespacedPod({ name, namespace: 'default', gracePeriodSeconds: 0 }).catch(() => undefined);
}

describe('simulated kubelets', () => {
  it('a scheduled pod goes Pending -> Running with IPs and container statuses', async () => {
    const created = await newPod('starter');
    expect(created.status?.phase).toBe('Pending');
    const pod = await waitFor('Running', async () => {
      const p = await readPod('starter');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    expect(NODES).toContain(pod.spec?.nodeName);
    expect(pod.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(pod.status?.podIPs?.[0]?.ip).toBe(pod.status?.podIP);
    const node = await core.readNode({ name: pod.spec!.nodeName! });
    const internal = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    expect(pod.status?.hostIP).toBe(internal);
    expect(pod.status?.startTime).toBeTruthy();
    const cs = pod.status?.containerStatuses ?? [];
    expect(cs.map((c) => [c.name, c.ready, c.restartCount, c.image])).toEqual([['app', true, 0, 'nginx:1.27']]);
    expect(cs[0]?.state?.running?.startedAt).toBeTruthy();
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    const events = await podEvents('starter');
    expect(events.some((e) => e.reason === 'Scheduled' && e.message?.includes(pod.spec!.nodeName!))).toBe(true);
    await remove('starter');
  });

  it('init containers show as completed, sidecars as running', async () => {
    await newPod('inits', {
      spec: {
        initContainers: [
          { name: 'setup', image: 'busybox' },
          { name: 'proxy', image: 'envoy', restartPolicy: 'Always' },
        ],
      },
    });
    const pod = await waitFor('Running', async () => {
      const p = await readPod('inits');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    const byName = new Map((pod.status?.initContainerStatuses ?? []).map((c) => [c.name, c]));
    expect(byName.get('setup')?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(byName.get('proxy')?.state?.running?.startedAt).toBeTruthy();
    expect(byName.get('proxy')?.started).toBe(true);
    await remove('inits');
  });

  it('pods on one node get distinct IPs inside the node podCIDR', async () => {
    await newPod('ip-a', { spec: { nodeName: 'host-node-2' } });
    await newPod('ip-b', { spec: { nodeName: 'host-node-2' } });
    const [a, b] = await waitFor('both Running', async () => {
      const ps = await Promise.all([readPod('ip-a'), readPod('ip-b')]);
      return ps.every((p) => p.status?.phase === 'Running') ? ps : undefined;
    });
    expect(a!.status?.podIP).not.toBe(b!.status?.podIP);
    const cidr = (await core.readNode({ name: 'host-node-2' })).spec!.podCIDR!;
    const prefix = cidr.split('.').slice(0, 3).join('.') + '.';
    expect(a!.status!.podIP!.startsWith(prefix)).toBe(true);
    await remove('ip-a', 'ip-b');
  });

  it('a pod with a duration annotation ends Succeeded with terminated containers', async () => {
    await newPod('short-job', { annotations: { 'sim.tidepool.dev/duration': '300ms' } });
    const pod = await waitFor('Succeeded', async () => {
      const p = await readPod('short-job');
      return p.status?.phase === 'Succeeded' ? p : undefined;
    });
    const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
    expect(term?.exitCode).toBe(0);
    expect(term?.reason).toBe('Completed');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    // A finished pod is deleted at once: there is no kubelet work left.
    await core.deleteNamespacedPod({ name: 'short-job', namespace: 'default' });
    await waitFor('gone', async () => readPod('short-job').then(() => false, () => true));
  });

  it('graceful deletion: Terminating with a deletionTimestamp, then gone', async () => {
    await newPod('graceful');
    await waitFor('Running', async () => (await readPod('graceful')).status?.phase === 'Running');
    // The answer to a graceful delete is the object, now terminating (the kubelet then removes it).
    const terminating = await core.deleteNamespacedPod({ name: 'graceful', namespace: 'default', gracePeriodSeconds: 5 });
    expect(terminating.metadata?.deletionTimestamp).toBeTruthy();
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(5);
    await waitFor('gone', async () => readPod('graceful').then(() => false, () => true));
  });

  it('usage annotations become PodMetrics, as quantities or a fraction of the request', async () => {
    await newPod('half', {
      annotations: { 'sim.tidepool.dev/cpu-usage': '50%', 'sim.tidepool.dev/memory-usage': '100Mi' },
      spec: { containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '400m', memory: '128Mi' } } }] },
    });
    await waitFor('Running', async () => (await readPod('half')).status?.phase === 'Running');
    const m = await new Metrics(kc).getPodMetrics('default');
    const half = m.items.find((p) => p.metadata.name === 'half');
    expect(half?.containers[0]?.usage.cpu).toBe('200m');
    expect(half?.containers[0]?.usage.memory).toBe(`${100 * 1024}Ki`);
    await remove('half');
  });

  it('a node made NotReady reports it, is tainted, gets no new pods, and drops out of metrics', async () => {
    cluster.fleet.setReady('host-node-1', false);
    try {
      const node = await core.readNode({ name: 'host-node-1' });
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      expect(ready?.status).not.toBe('True');
      expect(node.spec?.taints?.map((x) => `${x.key}:${x.effect}`)).toEqual(
        expect.arrayContaining(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']),
      );
      const names = ['nr-0', 'nr-1', 'nr-2', 'nr-3'];
      for (const n of names) await newPod(n);
      const pods = await waitFor('all scheduled', async () => {
        const ps = await Promise.all(names.map((n) => readPod(n)));
        return ps.every((p) => p.spec?.nodeName) ? ps : undefined;
      });
      expect(pods.map((p) => p.spec?.nodeName)).not.toContain('host-node-1');
      const nm = await new Metrics(kc).getNodeMetrics();
      expect(nm.items.map((x) => x.metadata.name)).not.toContain('host-node-1');
      await remove(...names);
    } finally {
      cluster.fleet.setReady('host-node-1', true);
    }
    const back = await core.readNode({ name: 'host-node-1' });
    expect(back.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(back.spec?.taints ?? []).toEqual([]);
  });
});

describe('the default scheduler', () => {
  it('respects a cordon (spec.unschedulable) until it is lifted', async () => {
    for (const n of NODES) await core.patchNode({ name: n, body: { spec: { unschedulable: true } } }, merge);
    try {
      await newPod('cordoned');
      await waitFor('FailedScheduling', async () => (await podEvents('cordoned')).some((e) => e.reason === 'FailedScheduling' && /unschedulable/.test(e.message ?? '')));
      const pod = await readPod('cordoned');
      expect(pod.spec?.nodeName).toBeUndefined();
      expect(pod.status?.phase).toBe('Pending');
      const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      await core.patchNode({ name: 'host-node-0', body: { spec: { unschedulable: false } } }, merge);
      const placed = await waitFor('scheduled after uncordon', async () => (await readPod('cordoned')).spec?.nodeName, 15_000);
      expect(placed).toBe('host-node-0');
    } finally {
      for (const n of NODES) await core.patchNode({ name: n, body: { spec: { unschedulable: null } } }, merge);
      await remove('cordoned');
    }
  });

  it('keeps pods off tainted nodes unless they tolerate the taint', async () => {
    await core.patchNode({ name: 'host-node-0', body: { spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } } }, merge);
    try {
      const plain = ['t-0', 't-1', 't-2', 't-3'];
      for (const n of plain) await newPod(n);
      await newPod('t-tol', {
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': 'host-node-0' },
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
        },
      });
      const nodes = await waitFor('all scheduled', async () => {
        const ps = await Promise.all([...plain, 't-tol'].map((n) => readPod(n)));
        return ps.every((p) => p.spec?.nodeName) ? ps.map((p) => p.spec!.nodeName!) : undefined;
      });
      expect(nodes.slice(0, 4)).not.toContain('host-node-0');
      expect(nodes[4]).toBe('host-node-0');
      // Without the toleration, a pod pinned there stays Pending with the taint named.
      await newPod('t-pinned', { spec: { nodeSelector: { 'kubernetes.io/hostname': 'host-node-0' } } });
      await waitFor('FailedScheduling', async () => (await podEvents('t-pinned')).some((e) => e.reason === 'FailedScheduling' && /taint \{dedicated: gpu\}/.test(e.message ?? '')));
      expect((await readPod('t-pinned')).spec?.nodeName).toBeUndefined();
      await remove(...plain, 't-tol', 't-pinned');
    } finally {
      await core.patchNode({ name: 'host-node-0', body: { spec: { taints: null } } }, merge);
    }
  });

  it('honours nodeSelector and required node affinity', async () => {
    await core.patchNode({ name: 'host-node-2', body: { metadata: { labels: { disk: 'ssd', tier: 'gold' } } } }, merge);
    await newPod('sel', { spec: { nodeSelector: { disk: 'ssd' } } });
    await newPod('aff', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold', 'platinum'] }] }],
            },
          },
        },
      },
    });
    await newPod('aff-none', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['diamond'] }] }] },
          },
        },
      },
    });
    const [sel, aff] = await waitFor('scheduled', async () => {
      const ps = await Promise.all([readPod('sel'), readPod('aff')]);
      return ps.every((p) => p.spec?.nodeName) ? ps : undefined;
    });
    expect(sel!.spec?.nodeName).toBe('host-node-2');
    expect(aff!.spec?.nodeName).toBe('host-node-2');
    await waitFor('FailedScheduling', async () => (await podEvents('aff-none')).some((e) => e.reason === 'FailedScheduling' && /affinity\/selector/.test(e.message ?? '')));
    expect((await readPod('aff-none')).spec?.nodeName).toBeUndefined();
    await remove('sel', 'aff', 'aff-none');
  });

  it('insufficient cpu leaves a pod Pending with a FailedScheduling event', async () => {
    await newPod('huge', { spec: { containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '3' } } }] } });
    const ev = await waitFor('FailedScheduling', async () => (await podEvents('huge')).find((e) => e.reason === 'FailedScheduling'));
    expect(ev.type).toBe('Warning');
    expect(ev.message).toMatch(/^0\/3 nodes are available: 3 Insufficient cpu\.$/);
    expect(ev.source?.component).toBe('default-scheduler');
    expect((await readPod('huge')).spec?.nodeName).toBeUndefined();
    await remove('huge');
  });

  it('counts requests: a node that is full gets no more pods', async () => {
    const big = (n: string, node: string): Promise<V1Pod> =>
      newPod(n, { spec: { nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'app', image: 'x', resources: { requests: { cpu: '1500m' } } }] } });
    await big('fill-a', 'host-node-1');
    await waitFor('fill-a bound', async () => (await readPod('fill-a')).spec?.nodeName);
    await big('fill-b', 'host-node-1');
    await waitFor('fill-b FailedScheduling', async () => (await podEvents('fill-b')).some((e) => e.reason === 'FailedScheduling' && /Insufficient cpu/.test(e.message ?? '')));
    // Freeing the node lets the waiting pod in.
    await remove('fill-a');
    await waitFor('fill-b bound after fill-a left', async () => (await readPod('fill-b')).spec?.nodeName === 'host-node-1', 15_000);
    await remove('fill-b');
  });

  it('leaves pods of another scheduler alone', async () => {
    await newPod('other', { spec: { schedulerName: 'tidepool-colocation' } });
    await sleep(400);
    expect((await readPod('other')).spec?.nodeName).toBeUndefined();
    await remove('other');
  });

  it('switched off, it leaves pods Pending; switched on, it schedules them', async () => {
    cluster.scheduler.setEnabled(false);
    try {
      await newPod('waiting');
      await sleep(500);
      const pod = await readPod('waiting');
      expect(pod.spec?.nodeName).toBeUndefined();
      expect(pod.status?.phase).toBe('Pending');
    } finally {
      cluster.scheduler.setEnabled(true);
    }
    await waitFor('Running once enabled', async () => (await readPod('waiting')).status?.phase === 'Running');
    await remove('waiting');
  });
});
