// The virtual node restarts in the middle of a burst, with the product deployed as its parts run
// in production: `tidepool sim` (host, east), `tidepool colocation` in east, and one `tidepool
// virtual-node` replica, as processes. A Spark app scales out to 240 executors in three waves. The
// first comes from the driver's executor allocator straight to the API (16 at a time, faster than
// kubectl), and while the virtual node is mirroring it, its only process is killed (SIGKILL: no
// goodbye); the second arrives (kubectl apply) while none runs and Spark gives ten executors back
// (kubectl delete); a new process starts before the third. In the end every host executor has
// exactly one mirror, Running, turned into batch work by east's webhook; the ten given back are
// gone from both clusters; no mirror is left without its host pod.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type CliProcess } from '../helpers/cli-process.js';
import { createKubeClient } from '../../kube/index.js';
import { waitFor } from '../helpers/wait.js';
import { newProduct, sparkExecutor, submitDriver, SPARK_NAMESPACE, type PodJson, type Product } from './helpers.js';

const APP = 'burst';
const WAVES: Array<[number, number]> = [
  [1, 150],
  [151, 200],
  [201, 240],
];
const GIVEN_BACK = Array.from({ length: 10 }, (_, i) => `${APP}-exec-${i + 1}`);
const SMALL = { node: 'tidepool', duration: '100h', cpu: '50m', memory: '64Mi' };

let p: Product;
let driverUid: string;

// The first process is held to a slow client rate (each mirror costs at least two writes) so the
// kill lands while it is still mirroring the first wave, however fast the machine; the second
// runs at full rate.
function startVirtualNode(qps: number): Promise<CliProcess> {
  return p.start(
    ['virtual-node', '--kubeconfig', p.kubeconfigPath, '--host-context', 'host', '--member-contexts', 'east', '--no-leader-elect', '--kubelet-port', '0', '--metrics-port', '127.0.0.1:0', '--qps', String(qps), '--burst', String(qps)],
    /"msg":"virtual node started"/,
  );
}

beforeAll(async () => {
  p = newProduct('restart');
  await p.start(['sim', '--clusters', 'host,east', '--nodes', '3', '--host-nodes', '1', '--dir', p.dir, '--start-delay-ms', '100'], /^  stop with Ctrl-C$/m);
  p.useKubeconfig();
  await p.kubectl.ok(['--context', 'east', 'apply', '-f', join(REPO_ROOT, 'deploy/crds/colocationpolicy.yaml')]);
  await Promise.all([
    p.start(
      ['colocation', '--kubeconfig', p.kubeconfigPath, '--context', 'east', '--no-leader-elect', '--listen', '127.0.0.1:0', '--bind-address', '127.0.0.1', '--secure-port', '0', '--register-webhook', '--metrics-interval-seconds', '1', '--qps', '500', '--burst', '1000'],
      /"msg":"colocation started"/,
    ),
    startVirtualNode(40),
  ]);
  await p.kubectl.ok(['create', 'namespace', SPARK_NAMESPACE]);
  // Executors wait for batch capacity: let the batch controller publish it first.
  await waitFor('batch capacity on east\'s nodes', async () => {
    const out = await p.kubectl.ok(['--context', 'east', 'get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.allocatable.kubernetes\\.io/batch-cpu}{" "}{end}']);
    const values = out.trim().split(/\s+/).filter(Boolean);
    return values.length === 3 && values.every((v) => Number(v.replace(/k$/, '000')) > 0);
  }, 30_000, 500);
}, 90_000);

afterAll(async () => {
  await p?.stop();
});

function wave([from, to]: [number, number]): object[] {
  return Array.from({ length: to - from + 1 }, (_, i) => sparkExecutor(APP, from + i, driverUid, SMALL));
}

function countByOrigin(mirrors: PodJson[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const m of mirrors) {
    const uid = m.metadata.annotations?.['tidepool.dev/origin-uid'] ?? '';
    n.set(uid, (n.get(uid) ?? 0) + 1);
  }
  return n;
}

describe('a virtual-node restart in the middle of a burst', { timeout: 90_000 }, () => {
  it('leaves every executor with exactly one mirror, and none without its host pod', async () => {
    driverUid = await submitDriver(p, APP, { ...SMALL, cpu: '500m', memory: '512Mi' });
    await waitFor('the driver Running', async () => (await p.pod('host', `${APP}-driver`)).status.phase === 'Running', 30_000, 500);

    const allocator = createKubeClient({ config: { kind: 'file', path: p.kubeconfigPath, context: 'host' }, cluster: 'host', qps: 1000, burst: 1000 });
    try {
      const queue = wave(WAVES[0]!);
      const burst = Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let pod = queue.shift(); pod; pod = queue.shift()) await allocator.request({ method: 'POST', path: `/api/v1/namespaces/${SPARK_NAMESPACE}/pods`, body: pod });
        }),
      );
      await waitFor('mirrors on the way', async () => (await p.mirrors('east')).size >= 20, 30_000, 100);
      const first = p.processes.find((x) => x.child.spawnargs.includes('virtual-node'))!;
      first.child.kill('SIGKILL');
      await first.exited;
      await burst;
    } finally {
      allocator.close();
    }
    // It died with the first wave part mirrored, the executors Spark will give back among them.
    const mirroredAtKill = new Set([...(await p.mirrors('east')).keys()].filter((n) => n.includes('-exec-')));
    expect(mirroredAtKill.size).toBeLessThan(WAVES[0]![1]);
    expect(GIVEN_BACK.filter((n) => mirroredAtKill.has(n)).length).toBeGreaterThan(0);

    // With no virtual node running: more executors, and Spark gives ten back.
    await p.apply('host', wave(WAVES[1]!));
    await p.kubectl.ok(['delete', 'pod', '-n', SPARK_NAMESPACE, '--wait=false', ...GIVEN_BACK]);

    await startVirtualNode(500);
    await p.apply('host', wave(WAVES[2]!));

    const total = WAVES.at(-1)![1];
    const kept = await waitFor(`${total - GIVEN_BACK.length} executors Running in the host, the rest gone`, async () => {
      const pods = await p.pods('host', SPARK_NAMESPACE, 'spark-role=executor');
      return pods.length === total - GIVEN_BACK.length && pods.every((x) => x.status.phase === 'Running') ? pods : undefined;
    }, 75_000, 1_000);
    expect(kept.map((x) => x.metadata.name)).not.toContain(GIVEN_BACK[0]);

    const mirrors = (await p.pods('east', SPARK_NAMESPACE, 'tidepool.dev/origin-cluster')).filter((m) => m.metadata.labels?.['spark-role'] === 'executor');
    const hostUids = new Set(kept.map((x) => x.metadata.uid));
    const perOrigin = countByOrigin(mirrors);
    const duplicates = [...perOrigin.values()].filter((n) => n > 1).length;
    const orphans = [...perOrigin.keys()].filter((uid) => !hostUids.has(uid)).length;
    const missing = [...hostUids].filter((uid) => !perOrigin.has(uid)).length;
    expect({ mirrors: mirrors.length, duplicates, orphans, missing }).toEqual({ mirrors: kept.length, duplicates: 0, orphans: 0, missing: 0 });

    // Mirrors made by either process went through east's webhook and scheduler alike.
    for (const m of mirrors) {
      expect(m.status.phase).toBe('Running');
      expect(m.spec.schedulerName).toBe('tidepool-scheduler');
      expect(m.spec.containers[0]!.resources?.requests).toEqual({ 'kubernetes.io/batch-cpu': '50', 'kubernetes.io/batch-memory': '67108864' });
    }
  });
});
