// The virtual node as a user runs it: `tidepool sim` and two `tidepool virtual-node` replicas as
// processes, driven with kubectl through the host cluster — apply a pod that reads a ConfigMap,
// see it Running and mirrored, `kubectl logs`, `kubectl exec`, delete with a grace period; then
// kill the leader in the middle of a 1,000-pod burst and find no duplicate and no orphan mirror.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../kube/index.js';
import { startCli, type CliProcess } from '../helpers/cli-process.js';
import { Kubectl, hasKubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let sim: CliProcess;
const replicas: CliProcess[] = [];
let kubectl: Kubectl;
let host: KubeClient;
const members = new Map<string, KubeClient>();

function client(kubeconfig: string, context: string): KubeClient {
  return new KubeClient({ config: { kind: 'inline', text: kubeconfig, context }, cluster: context, qps: 2000, burst: 2000, timeoutMs: 15_000 });
}

async function startReplica(): Promise<CliProcess> {
  return startCli(
    ['virtual-node', '--kubeconfig', join(dir, 'kubeconfig'), '--host-context', 'host', '--member-contexts', 'east,west', '--kubelet-port', '0', '--metrics-port', '127.0.0.1:0', '--lease-duration', '3', '--member-unreachable', '5', '--qps', '1000', '--burst', '2000'],
    /"msg":"virtual node started"/,
    60_000,
  );
}

/** A replica's /metrics address, from its start line. */
function healthOf(p: CliProcess): string {
  const line = p.stdout().split('\n').find((l) => l.includes('"virtual node started"'))!;
  return (JSON.parse(line) as { health: string }).health;
}

async function isLeader(p: CliProcess): Promise<boolean> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return false;
  const text = await (await fetch(`${healthOf(p)}/metrics`)).text();
  return /^tidepool_virtual_node_leader 1$/m.test(text);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-vn-e2e-'));
  sim = await startCli(['sim', '--clusters', 'host,east,west', '--nodes', '10', '--host-nodes', '1', '--dir', dir, '--start-delay-ms', '50'], /tidepool sim ready/, 60_000);
  const kubeconfig = readFileSync(join(dir, 'kubeconfig'), 'utf8');
  host = client(kubeconfig, 'host');
  for (const m of ['east', 'west']) members.set(m, client(kubeconfig, m));
  replicas.push(await startReplica(), await startReplica());
  kubectl = new Kubectl(kubeconfig);
  await waitFor('a leader', async () => (await Promise.all(replicas.map(isLeader))).some(Boolean), 30_000);
  await waitFor('the virtual node Ready', async () => (await kubectl.run(['get', 'node', 'tidepool', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout === 'True', 30_000);
}, 120_000);

afterAll(async () => {
  for (const r of replicas) await r.kill();
  await sim?.kill();
  host?.close();
  for (const c of members.values()) c.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const POD = `apiVersion: v1
kind: ConfigMap
metadata:
  name: greeting
data:
  GREETING: hello from the host
---
apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  nodeSelector:
    type: virtual-kubelet
  tolerations:
  - key: virtual-kubelet.io/provider
    operator: Exists
    effect: NoSchedule
  containers:
  - name: app
    image: busybox
    envFrom:
    - configMapRef:
        name: greeting
    resources:
      requests:
        cpu: 100m
        memory: 64Mi
`;

async function mirrorOf(name: string): Promise<{ cluster: string; name: string } | undefined> {
  for (const [cluster, c] of members) {
    const list = await c.requestJson<{ items: Array<{ metadata: { name: string; annotations?: Record<string, string> } }> }>({ path: '/api/v1/pods', query: { labelSelector: 'tidepool.dev/origin-cluster=host' } });
    const m = list.items.find((p) => p.metadata.annotations?.['tidepool.dev/origin-name'] === name);
    if (m) return { cluster, name: m.metadata.name };
  }
  return undefined;
}

describe.skipIf(!hasKubectl)('tidepool virtual-node with kubectl', () => {
  it('kubectl get nodes shows the virtual node with its role', async () => {
    const out = await kubectl.ok(['get', 'nodes', '-o', 'wide']);
    expect(out).toMatch(/^tidepool\s+Ready\s+agent\s/m);
  });

  it('a pod applied for the virtual node runs in a member, and kubectl logs and exec work through the host', async () => {
    await kubectl.ok(['apply', '-f', '-'], { input: POD });
    await waitFor('hello Running', async () => (await kubectl.run(['get', 'pod', 'hello', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 30_000);
    const wide = await kubectl.ok(['get', 'pod', 'hello', '-o', 'wide']);
    expect(wide).toMatch(/hello\s+1\/1\s+Running\s+0\s+\S+\s+\S+\s+tidepool\s/);
    const mirror = await mirrorOf('hello');
    expect(mirror).toBeDefined();
    // The ConfigMap it reads arrived in the member.
    await members.get(mirror!.cluster)!.request({ path: '/api/v1/namespaces/default/configmaps/greeting' });

    const logs = await kubectl.ok(['logs', 'hello', '--tail', '2']);
    expect(logs).toMatch(/app default\/\S+ line \d+/);
    expect(await kubectl.ok(['exec', 'hello', '--', 'echo', 'hi'])).toBe('hi\n');
    expect(await kubectl.ok(['exec', '-i', 'hello', '--', 'cat'], { input: 'piped through two clusters\n' })).toBe('piped through two clusters\n');
    expect(await kubectl.ok(['exec', 'hello', '--', 'env'])).toContain('GREETING=hello from the host');
    const failing = await kubectl.run(['exec', 'hello', '--', 'sh', '-c', 'exit 3']);
    expect(failing.code).toBe(3);
    // As a real kube-apiserver speaks to kubelets: SPDY/3.1 reaches the virtual node, which opens
    // the member with whichever protocol it answers and bridges the two.
    const spdy = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    expect(await kubectl.ok(['exec', 'hello', '--', 'echo', 'over', 'spdy'], { env: spdy })).toBe('over spdy\n');
    expect(await kubectl.ok(['exec', '-i', 'hello', '--', 'cat'], { input: 'spdy stdin\n', env: spdy })).toBe('spdy stdin\n');
    expect((await kubectl.run(['exec', 'hello', '--', 'sh', '-c', 'exit 7'], { env: spdy })).code).toBe(7);
  });

  it('kubectl delete with a grace period removes both sides', async () => {
    const mirror = (await mirrorOf('hello'))!;
    await kubectl.ok(['delete', 'pod', 'hello', '--grace-period', '5', '--wait=true'], { timeoutMs: 30_000 });
    await expect(members.get(mirror.cluster)!.request({ path: `/api/v1/namespaces/default/pods/${mirror.name}` })).rejects.toMatchObject({ code: 404 });
  });

  it('killing the leader in the middle of a 1,000-pod burst leaves no duplicate and no orphan mirror', async () => {
    const pods = Array.from({ length: 1000 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `burst-${i}` },
      spec: {
        nodeSelector: { type: 'virtual-kubelet' },
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
        containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
      },
    }));
    let created = 0;
    const send = async (from: number, to: number): Promise<void> => {
      const queue = pods.slice(from, to);
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          for (let p = queue.shift(); p; p = queue.shift()) {
            await host.request({ method: 'POST', path: '/api/v1/namespaces/default/pods', body: p });
            created++;
          }
        }),
      );
    };
    await send(0, 300);
    // Mirrors are being made: kill the leader without letting it release anything.
    await waitFor('mirrors on the way', async () => ((await mirrorOf('burst-0')) ? true : undefined), 30_000);
    // Whoever leads now (with a 3 s lease on a loaded machine the lease may just be changing hands).
    const leader = await waitFor('the replica that leads', async () => {
      const i = (await Promise.all(replicas.map(isLeader))).indexOf(true);
      return i >= 0 ? i : undefined;
    }, 30_000);
    replicas[leader]!.child.kill('SIGKILL');
    await replicas[leader]!.exited;
    await send(300, 1000);
    expect(created).toBe(1000);
    const survivor = replicas[1 - leader]!;
    await waitFor('the survivor to lead', () => isLeader(survivor), 30_000);
    await waitFor('all 1,000 Running on the host', async () => {
      const list = await host.requestJson<{ items: Array<{ status?: { phase?: string } }> }>({ path: '/api/v1/namespaces/default/pods', query: { labelSelector: '' } });
      return list.items.filter((p) => p.status?.phase === 'Running').length >= 1000;
    }, 180_000, 1_000);
    const hostPods = await host.requestJson<{ items: Array<{ metadata: { uid: string; name: string } }> }>({ path: '/api/v1/namespaces/default/pods' });
    const hostUids = new Set(hostPods.items.filter((p) => p.metadata.name.startsWith('burst-')).map((p) => p.metadata.uid));
    expect(hostUids.size).toBe(1000);
    const seen = new Map<string, number>();
    for (const c of members.values()) {
      const list = await c.requestJson<{ items: Array<{ metadata: { annotations?: Record<string, string> } }> }>({ path: '/api/v1/namespaces/default/pods', query: { labelSelector: 'tidepool.dev/origin-cluster=host' } });
      for (const m of list.items) {
        if (!m.metadata.annotations?.['tidepool.dev/origin-name']?.startsWith('burst-')) continue;
        const uid = m.metadata.annotations['tidepool.dev/origin-uid']!;
        seen.set(uid, (seen.get(uid) ?? 0) + 1);
      }
    }
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    const orphans = [...seen.keys()].filter((u) => !hostUids.has(u)).length;
    expect({ mirrors: seen.size, duplicates, orphans }).toEqual({ mirrors: 1000, duplicates: 0, orphans: 0 });
  }, 300_000);
});
