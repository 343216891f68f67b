// Test helpers for the virtual node against the sim: a host + members topology with a federation
// and a running virtual node, clients, and pod shapes that target the virtual node.
import pino from 'pino';
import { KubeClient } from '../../kube/index.js';
import { DEFAULT_POLICY, Federation, type ClusterPolicy } from '../../federation/index.js';
import { startSim, type Sim, type SimOptions } from '../../sim/index.js';
import { startVirtualNode, type RunningVirtualNode, type VirtualNodeConfig } from '../../virtual-node/index.js';
import { waitFor } from '../helpers/wait.js';

export function clientFor(sim: Sim, context: string, extra: { qps?: number; burst?: number } = {}): KubeClient {
  return new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context }, cluster: context, qps: extra.qps ?? 1000, burst: extra.burst ?? 1000, timeoutMs: 10_000, maxAttempts: 3 });
}

export const quietLogger = pino({ level: process.env['TIDEPOOL_TEST_LOG'] ?? 'silent' });

export interface Topology {
  sim: Sim;
  host: KubeClient;
  fed: Federation;
  vn: RunningVirtualNode;
  member(name: string): KubeClient;
  stop(): Promise<void>;
}

/** host + members on the sim, a federation over the members, a virtual node on the host. */
export async function startTopology(opts: { members?: string[]; sim?: Partial<SimOptions>; vn?: Partial<VirtualNodeConfig>; fed?: ConstructorParameters<typeof Federation>[0]; policies?: Record<string, Partial<ClusterPolicy>> } = {}): Promise<Topology> {
  const members = opts.members ?? ['east', 'west'];
  const sim = await startSim({ clusters: ['host', ...members], nodes: 3, hostNodes: 1, startDelayMs: 50, terminationDelayMs: 50, ...opts.sim });
  const host = clientFor(sim, 'host');
  const fed = new Federation({ readyTimeoutMs: 2_000, probeIntervalMs: 200, usageIntervalMs: 0, assumeTtlMs: 60_000, logger: quietLogger, ...opts.fed });
  fed.start();
  const memberClients = new Map<string, KubeClient>();
  for (const m of members) {
    const c = clientFor(sim, m);
    memberClients.set(m, clientFor(sim, m));
    fed.addMemberWithClient(m, c, { ...DEFAULT_POLICY, ...opts.policies?.[m] });
  }
  await waitFor('members ready', () => members.every((m) => fed.isReady(m)), 15_000);
  const ca = (await host.connectionOptions()).ca;
  const caPem = Buffer.isBuffer(ca) ? ca.toString() : String(ca);
  const hostUrl = new URL(host.server);
  const vn = await startVirtualNode({
    host,
    hostCluster: 'host',
    provider: fed,
    nodeName: 'tidepool',
    address: '127.0.0.1',
    kubelet: { listenHost: '127.0.0.1', port: 0, clientCaPem: caPem },
    hostApi: { host: hostUrl.hostname, port: Number(hostUrl.port), caPem },
    leaderElection: false,
    memberUnreachableMs: 3_000,
    gcIntervalMs: 1_000,
    gcGraceMs: 1_000,
    logger: quietLogger,
    ...opts.vn,
  });
  await waitFor('the virtual node to sync', () => vn.ready(), 20_000);
  return {
    sim,
    host,
    fed,
    vn,
    member: (name) => memberClients.get(name)!,
    async stop() {
      await vn.stop();
      await fed.stop();
      host.close();
      for (const c of memberClients.values()) c.close();
      await sim.stop();
    },
  };
}

/** A pod that targets the virtual node the way users do: nodeSelector + toleration. */
export function vnPod(name: string, extra: { cpu?: string; memory?: string; labels?: Record<string, string>; spec?: Record<string, unknown>; annotations?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: extra.labels ?? {}, annotations: { 'sim.tidepool.dev/cpu-usage': '50m', ...(extra.annotations ?? {}) } },
    spec: {
      nodeSelector: { type: 'virtual-kubelet' },
      tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'main', image: 'busybox', resources: { requests: { cpu: extra.cpu ?? '100m', memory: extra.memory ?? '64Mi' } } }],
      ...(extra.spec ?? {}),
    },
  };
}

export type PodView = { metadata: { name: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string>; deletionTimestamp?: string }; spec: Record<string, unknown>; status?: Record<string, unknown> };

export async function getPod(c: KubeClient, ns: string, name: string): Promise<PodView | undefined> {
  try {
    return await c.requestJson<PodView>({ path: `/api/v1/namespaces/${ns}/pods/${name}` });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Mirrors of host pods in a member (pods labelled with our origin cluster). */
export async function mirrorsIn(c: KubeClient, ns?: string): Promise<PodView[]> {
  const path = ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods';
  const list = await c.requestJson<{ items: PodView[] }>({ path, query: { labelSelector: 'tidepool.dev/origin-cluster=host' } });
  return list.items;
}

export async function eventsFor(c: KubeClient, ns: string, name: string): Promise<Array<{ reason: string; message: string; type: string }>> {
  const list = await c.requestJson<{ items: Array<{ reason: string; message: string; type: string; involvedObject: { name: string } }> }>({ path: `/api/v1/namespaces/${ns}/events` });
  return list.items.filter((e) => e.involvedObject.name === name);
}
