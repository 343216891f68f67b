// A member cluster goes away and comes back, with the product deployed as its parts run in
// production: `tidepool sim` (host, east, west), `tidepool colocation` in east and `tidepool
// virtual-node` with per-cluster nodes, as processes; kubectl and the sim's fault endpoint drive
// them. While east is down its pods show Unknown in the host (the virtual node cannot know their
// state, and deletes nothing), its node is NotReady, the aggregate node keeps serving from west and
// new work goes there. When east returns the same pods are Running again: no host pod or mirror
// was deleted or made twice, and colocation in east works as before.
//
// The wait is the federation's: a member is out of the pool 30 s after its last answer
// (tidepool virtual-node has no flag for it), then --member-unreachable 3 s turns its pods Unknown.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type CliProcess } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { adminUrlOf, newProduct, phases, sparkExecutor, submitDriver, SPARK_NAMESPACE, VIRTUAL_NODE_TOLERATION, type PodJson, type Product } from './helpers.js';

let p: Product;
let sim: CliProcess;
let admin: string;
let driverUid: string;
const before = new Map<string, { hostUid: string; mirrorUid: string; member: string }>();

function webPod(name: string, node: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: SPARK_NAMESPACE, labels: { app: 'web' } },
    spec: {
      nodeSelector: { 'kubernetes.io/hostname': node },
      tolerations: [VIRTUAL_NODE_TOLERATION],
      containers: [{ name: 'web', image: 'nginx:1.27', resources: { requests: { cpu: '500m', memory: '256Mi' } } }],
    },
  };
}

beforeAll(async () => {
  p = newProduct('outage');
  sim = await p.start(['sim', '--clusters', 'host,east,west', '--nodes', '2', '--host-nodes', '1', '--dir', p.dir, '--start-delay-ms', '100', '--online-load', '0.2'], /^  stop with Ctrl-C$/m);
  admin = adminUrlOf(sim);
  p.useKubeconfig();
  // Colocation in east, as deploy/ installs it: the ColocationPolicy CRD first.
  await p.kubectl.ok(['--context', 'east', 'apply', '-f', join(REPO_ROOT, 'deploy/crds/colocationpolicy.yaml')]);
  const kubeconfig = p.kubeconfigPath;
  await Promise.all([
    p.start(
      ['colocation', '--kubeconfig', kubeconfig, '--context', 'east', '--no-leader-elect', '--listen', '127.0.0.1:0', '--bind-address', '127.0.0.1', '--secure-port', '0', '--register-webhook', '--metrics-interval-seconds', '2'],
      /"msg":"colocation started"/,
    ),
    p.start(
      ['virtual-node', '--kubeconfig', kubeconfig, '--host-context', 'host', '--member-contexts', 'east,west', '--per-cluster', '--no-leader-elect', '--kubelet-port', '0', '--metrics-port', '127.0.0.1:0', '--member-unreachable', '3'],
      /"msg":"virtual node started"/,
    ),
  ]);
  await p.kubectl.ok(['create', 'namespace', SPARK_NAMESPACE]);
}, 90_000);

afterAll(async () => {
  await p?.stop();
});

async function hostPods(): Promise<PodJson[]> {
  return p.pods('host');
}

async function nodeReady(name: string): Promise<{ status: string; message: string }> {
  const out = await p.kubectl.ok(['get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].message}']);
  const [status, message] = out.split('|');
  return { status: status ?? '', message: message ?? '' };
}

describe('a member cluster outage and its return', { timeout: 60_000 }, () => {
  it('runs work in both members before: a Spark app in east, a web pod in west', async () => {
    await waitFor('the per-cluster virtual nodes Ready', async () => (await nodeReady('tidepool-east')).status === 'True' && (await nodeReady('tidepool-west')).status === 'True', 30_000, 500);
    driverUid = await submitDriver(p, 'etl', { node: 'tidepool-east', duration: '100h' });
    await p.apply('host', [sparkExecutor('etl', 1, driverUid, { node: 'tidepool-east', duration: '100h' }), sparkExecutor('etl', 2, driverUid, { node: 'tidepool-east', duration: '100h' }), webPod('web-west', 'tidepool-west')]);
    await waitFor('all Running', async () => Object.values(phases(await hostPods())).every((ph) => ph === 'Running') && (await hostPods()).length === 4, 30_000, 500);
    for (const member of ['east', 'west']) {
      for (const [name, mirror] of await p.mirrors(member)) before.set(name, { hostUid: mirror.metadata.annotations!['tidepool.dev/origin-uid']!, mirrorUid: mirror.metadata.uid, member });
    }
    expect(Object.fromEntries([...before].map(([n, b]) => [n, b.member]))).toEqual({ 'etl-driver': 'east', 'etl-exec-1': 'east', 'etl-exec-2': 'east', 'web-west': 'west' });
    // In east the executors went through colocation: batch work bound by tidepool-scheduler.
    expect((await p.mirrors('east')).get('etl-exec-1')!.spec.schedulerName).toBe('tidepool-scheduler');
  });

  it("while east is down: its pods Unknown with the reason, its node NotReady, west's pod Running, new work goes to west", { timeout: 75_000 }, async () => {
    await p.admin(admin, '/clusters/east/outage', { down: true });
    const unknown = await waitFor('east\'s pods Unknown in the host', async () => {
      const pods = await hostPods();
      return pods.filter((x) => x.metadata.name.startsWith('etl-')).every((x) => x.status.phase === 'Unknown') ? pods : undefined;
    }, 60_000, 1_000);
    expect(phases(unknown)).toEqual({ 'etl-driver': 'Unknown', 'etl-exec-1': 'Unknown', 'etl-exec-2': 'Unknown', 'web-west': 'Running' });
    const events = (await p.events('host')).filter((e) => e.reason === 'MemberClusterUnreachable');
    expect(events.map((e) => e.involvedObject.name).sort()).toEqual(['etl-driver', 'etl-exec-1', 'etl-exec-2']);
    expect(events[0]!.message).toBe("member cluster east stopped answering; the pod's state is unknown until it returns (nothing was deleted)");
    // kubectl shows the reason in the STATUS column, as it does for a real kubelet's pods.
    expect(await p.kubectl.ok(['get', 'pods', '-n', SPARK_NAMESPACE])).toMatch(/^etl-driver\s+\S+\s+MemberClusterUnreachable\s/m);

    expect((await nodeReady('tidepool-east')).status).toBe('False');
    expect(await nodeReady('tidepool')).toEqual({ status: 'True', message: '1/2 member clusters ready (west)' });
    // The pool is west alone now: a pod for the aggregate node runs there.
    await p.apply('host', [webPod('web-any', 'tidepool')]);
    await waitFor('web-any Running', async () => (await p.pod('host', 'web-any')).status.phase === 'Running', 30_000, 500);
    expect((await p.mirrors('west')).has('web-any')).toBe(true);
  });

  it('when east returns: the same pods Running again, nothing deleted or made twice, colocation in east as before', async () => {
    await p.admin(admin, '/clusters/east/outage', { down: false });
    await waitFor("east's pods Running again", async () => Object.values(phases(await hostPods())).every((ph) => ph === 'Running'), 45_000, 1_000);
    await waitFor('tidepool-east Ready again', async () => (await nodeReady('tidepool-east')).status === 'True', 20_000, 500);

    const hostUids = Object.fromEntries((await hostPods()).map((x) => [x.metadata.name, x.metadata.uid]));
    const after = new Map<string, { hostUid: string; mirrorUid: string; member: string }>();
    for (const member of ['east', 'west']) {
      for (const m of await p.pods(member, SPARK_NAMESPACE, 'tidepool.dev/origin-cluster')) {
        const name = m.metadata.annotations!['tidepool.dev/origin-name']!;
        expect(after.has(name), `a second mirror of ${name}`).toBe(false);
        after.set(name, { hostUid: m.metadata.annotations!['tidepool.dev/origin-uid']!, mirrorUid: m.metadata.uid, member });
      }
    }
    for (const [name, b] of before) {
      expect(hostUids[name], `${name} in the host`).toBe(b.hostUid);
      expect(after.get(name), `${name}'s mirror`).toEqual(b);
    }
    expect([...after.keys()].sort()).toEqual(['etl-driver', 'etl-exec-1', 'etl-exec-2', 'web-any', 'web-west']);

    // The app asks for one more executor: east's webhook and scheduler handle it as before.
    await p.apply('host', [sparkExecutor('etl', 3, driverUid, { node: 'tidepool-east', duration: '100h' })]);
    const m = await waitFor('etl-exec-3 Running in east', async () => {
      const x = (await p.mirrors('east')).get('etl-exec-3');
      return x?.status.phase === 'Running' ? x : undefined;
    }, 30_000, 500);
    expect(m.spec.schedulerName).toBe('tidepool-scheduler');
    expect(Object.keys(m.spec.containers[0]!.resources?.requests ?? {}).sort()).toEqual(['kubernetes.io/batch-cpu', 'kubernetes.io/batch-memory']);
    await waitFor('etl-exec-3 Running in the host', async () => (await p.pod('host', 'etl-exec-3')).status.phase === 'Running', 20_000, 500);
  });
});
