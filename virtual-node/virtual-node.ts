/**
 * One virtual-node process: the kubelet API (every replica serves it), and — on the leader only —
 * the node controllers (one per virtual node: the aggregate and/or one per member) and the pod
 * controller. Leadership is a Lease in the host cluster; a replica that loses it stops writing
 * at once, and the next leader adopts every mirror by ownership, so a change of leader never
 * makes a duplicate or an orphan.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EventRecorder, LeaderElector, eventSinkFor, leaseClientFor, type KubeClient, type Logger } from '../kube/index.js';
import type { PoolProvider } from '../federation/index.js';
import { startKubeletApi, type KubeletApi } from './kubelet-api/index.js';
import { virtualNodeMetrics, type VirtualNodeMetrics } from './metrics.js';
import { NodeController } from './node-controller.js';
import { nodeLabels } from './node-object.js';
import { PodController, type ServedNode } from './pod-controller.js';
import type { HostApiAccess } from './host-token.js';
import type { Registry } from 'prom-client';

export interface VirtualNodeConfig {
  host: KubeClient;
  /** The host cluster's id: origin-cluster on every mirror. */
  hostCluster: string;
  provider: PoolProvider;
  /** The aggregate node's name, and the prefix of per-cluster nodes (`<name>-<member>`). */
  nodeName: string;
  /** One aggregate node over all members. Default true. */
  aggregate?: boolean;
  /** One node per member cluster. Default false. */
  perCluster?: boolean;
  /** The address the host apiserver dials (Node InternalIP; pods' hostIP). */
  address: string;
  kubelet: { listenHost: string; port: number; tls?: { cert: string; key: string }; clientCaPem?: string };
  /** Host API access for mirrors that mount a service-account token. */
  hostApi?: HostApiAccess;
  /** Leader election; off: this replica always leads (a single replica). */
  leaderElection?: { namespace: string; identity?: string; leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number } | false;
  placementDeadlineMs?: number;
  memberUnreachableMs?: number;
  gcIntervalMs?: number;
  gcGraceMs?: number;
  leaseIntervalMs?: number;
  statusIntervalMs?: number;
  workers?: number;
  registry?: Registry;
  logger: Logger;
  version?: string;
}

export interface RunningVirtualNode {
  kubeletApi: KubeletApi;
  metrics: VirtualNodeMetrics;
  isLeader(): boolean;
  /** The pod controller while leading (tests, status). */
  pods(): PodController | undefined;
  nodeNames(): string[];
  /** True when leading with caches synced, or standing by. */
  ready(): boolean;
  stop(): Promise<void>;
}

const VERSION = 'v1.32.0-tidepool';

/** The virtual nodes this process serves, from the members known now. */
export function servedNodes(config: Pick<VirtualNodeConfig, 'nodeName' | 'aggregate' | 'perCluster' | 'address'>, members: readonly string[]): ServedNode[] {
  const out: ServedNode[] = [];
  if (config.aggregate !== false) out.push({ name: config.nodeName, address: config.address, labels: nodeLabels({ name: config.nodeName }) });
  if (config.perCluster) {
    for (const m of members) {
      const name = `${config.nodeName}-${m}`;
      out.push({ name, address: config.address, clusters: [m], labels: nodeLabels({ name, memberCluster: m }) });
    }
  }
  return out;
}

export async function startVirtualNode(config: VirtualNodeConfig): Promise<RunningVirtualNode> {
  const metrics = virtualNodeMetrics(config.registry);
  const log = config.logger;
  let nodes = servedNodes(config, config.provider.memberNames());
  if (nodes.length === 0) throw new Error('no virtual node to serve: --per-cluster needs member clusters, or keep the aggregate node');

  // The backend the kubelet API reads: the pod controller while leading, nothing otherwise.
  let podController: PodController | undefined;
  const backend = {
    nodeNames: () => nodes.map((n) => n.name),
    mirrorOf: (ns: string, name: string) => podController?.mirrorOf(ns, name),
    hasPod: (ns: string, name: string) => podController?.hasPod(ns, name) ?? false,
    hostPods: () => podController?.hostPods() ?? [],
  };
  const kubeletApi = await startKubeletApi({
    backend,
    host: config.host,
    listen: { host: config.kubelet.listenHost, port: config.kubelet.port },
    ...(config.kubelet.tls ? { tls: config.kubelet.tls } : {}),
    ...(config.kubelet.clientCaPem ? { clientCaPem: config.kubelet.clientCaPem } : {}),
    registry: metrics.registry,
    logger: log,
  });
  log.info({ port: kubeletApi.port, address: kubeletApi.address }, 'kubelet API listening');

  const recorder = new EventRecorder({ sink: eventSinkFor(config.host), component: 'tidepool-virtual-node', host: config.nodeName, registry: metrics.registry, logger: log });
  let nodeControllers: NodeController[] = [];
  let synced = false;

  const lead = async (signal: AbortSignal): Promise<void> => {
    metrics.leader.set(1);
    nodes = servedNodes(config, config.provider.memberNames());
    const pc = new PodController({
      host: config.host,
      hostCluster: config.hostCluster,
      provider: config.provider,
      nodes,
      recorder,
      metrics,
      logger: log,
      ...(config.hostApi ? { hostApi: config.hostApi } : {}),
      ...(config.placementDeadlineMs !== undefined ? { placementDeadlineMs: config.placementDeadlineMs } : {}),
      ...(config.memberUnreachableMs !== undefined ? { memberUnreachableMs: config.memberUnreachableMs } : {}),
      ...(config.gcIntervalMs !== undefined ? { gcIntervalMs: config.gcIntervalMs } : {}),
      ...(config.gcGraceMs !== undefined ? { gcGraceMs: config.gcGraceMs } : {}),
      ...(config.workers !== undefined ? { workers: config.workers } : {}),
    });
    const ncs = nodes.map(
      (n) =>
        new NodeController({
          host: config.host,
          identity: { name: n.name, address: n.address, kubeletPort: kubeletApi.port, version: config.version ?? VERSION, ...(n.clusters ? { memberCluster: n.clusters[0]! } : {}) },
          provider: config.provider,
          ...(n.clusters ? { clusters: n.clusters } : {}),
          metrics,
          logger: log,
          ...(config.leaseIntervalMs !== undefined ? { leaseIntervalMs: config.leaseIntervalMs } : {}),
          ...(config.statusIntervalMs !== undefined ? { statusIntervalMs: config.statusIntervalMs } : {}),
        }),
    );
    try {
      // Register before watching pods: the apiserver needs the node to accept bindings to it.
      for (const nc of ncs) {
        for (;;) {
          try {
            await nc.start();
            break;
          } catch (err) {
            log.warn({ node: nc.name, err: (err as Error).message }, 'node registration failed; retrying');
            if (signal.aborted) return;
            await new Promise((r) => setTimeout(r, 1_000));
          }
        }
      }
      nodeControllers = ncs;
      podController = pc;
      pc.start();
      void pc.waitForSync(120_000).then((ok) => {
        synced = ok;
        if (ok) log.info({ nodes: nodes.map((n) => n.name) }, 'virtual node caches synced; reconciling');
      });
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    } finally {
      metrics.leader.set(0);
      synced = false;
      podController = undefined;
      nodeControllers = [];
      await Promise.all([pc.stop(), ...ncs.map((nc) => nc.stop())]);
    }
  };

  const stop = new AbortController();
  let elector: LeaderElector | undefined;
  let running: Promise<unknown>;
  const le = config.leaderElection;
  if (le) {
    const identity = le.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
    elector = new LeaderElector({
      client: leaseClientFor(config.host),
      namespace: le.namespace,
      name: `tidepool-virtual-node-${config.nodeName}`,
      identity,
      callbacks: {
        onStartedLeading: (signal) => lead(signal),
        onNewLeader: (who) => log.info({ leader: who, me: identity }, 'virtual-node leader'),
      },
      ...(le.leaseDurationMs !== undefined ? { leaseDurationMs: le.leaseDurationMs } : {}),
      ...(le.renewDeadlineMs !== undefined ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
      ...(le.retryPeriodMs !== undefined ? { retryPeriodMs: le.retryPeriodMs } : {}),
      logger: log,
    });
    // A replica that loses the lease campaigns again: it may lead later, never at the same time.
    running = (async () => {
      while (!stop.signal.aborted) {
        const end = await elector!.run(stop.signal);
        if (end === 'lost') log.warn({}, 'lost the leader lease; standing by');
      }
    })();
  } else {
    running = lead(stop.signal);
  }

  return {
    kubeletApi,
    metrics,
    isLeader: () => (elector ? elector.isLeader() : !stop.signal.aborted),
    pods: () => podController,
    nodeNames: () => nodes.map((n) => n.name),
    ready: () => (elector && !elector.isLeader() ? true : synced),
    async stop() {
      stop.abort();
      await running.catch(() => undefined);
      await Promise.all(nodeControllers.map((n) => n.stop()));
      await recorder.close();
      await kubeletApi.close();
    },
  };
}
