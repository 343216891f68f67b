// sim/: simulated Kubernetes control planes that kubectl and @kubernetes/client-node
// use unmodified. `startSim` starts one HTTPS API server per cluster on loopback,
// writes a kubeconfig with one context per cluster, and returns handles for tests,
// benchmarks and the CLI.

import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAdminServer, type AdminServer } from './admin.js';
import { SimCluster, DEFAULT_NODE_SHAPE, type ClusterOptions } from './cluster.js';
import { writeKubeconfig, renderKubeconfig } from './kubeconfig.js';
import type { NodeShape } from './kubelet.js';
import { seedOnlineLoad } from './workloads.js';
import { createCertificateAuthority } from '../kube/index.js';
import type { DayCurve } from './usage.js';
import { scaledClock, type SimClock } from './time.js';
import { isDNS1123Label } from '../kube/index.js';

export { SimCluster, DEFAULT_NODE_SHAPE } from './cluster.js';
export type { ClusterOptions } from './cluster.js';
export type { NodeShape } from './kubelet.js';
export type { FaultSettings } from './faults.js';
export { CPU_USAGE_ANNOTATION, MEMORY_USAGE_ANNOTATION, DURATION_ANNOTATION, CPU_NOISE_ANNOTATION, DEFAULT_DAY_CURVE, dayFactor } from './usage.js';
export type { DayCurve } from './usage.js';
export { systemUsage } from './usage.js';
export type { KubeObject } from './object.js';
export { scaledClock, MAX_TIME_SCALE } from './time.js';
export type { SimClock } from './time.js';
export { governTimeScale } from './time-governor.js';
export type { Governor, GovernorOptions, GovernorStats } from './time-governor.js';
export type { NodeDemand } from './kubelet.js';
export * from './trace.js';
export { renderKubeconfig } from './kubeconfig.js';
// Callers other than the admin: SimCluster.issueToken(ns, sa, spec) mints ServiceAccount tokens;
// these name the users and the issuer those tokens carry.
export { ADMIN_USER, DEFAULT_ISSUER, serviceAccountGroups, serviceAccountUsername } from './auth/index.js';
export type { TokenRequestSpec, UserInfo } from './auth/index.js';

export interface SimOptions {
  /** Cluster names; the first is the host cluster, the others members. */
  clusters: string[];
  nodes?: number;
  nodeShape?: NodeShape;
  /** Zones per cluster, assigned round-robin to its nodes. */
  zones?: string[];
  /** Writes `<dir>/kubeconfig` when set. */
  dir?: string;
  /** Consecutive ports from here (one per cluster) instead of free ports. */
  basePort?: number;
  host?: string;
  /** Seed each member cluster with online pods using about this fraction of its CPU. */
  onlineLoad?: number;
  /** Nodes in the host (first) cluster; members get `nodes`. Default: same as members. */
  hostNodes?: number;
  scheduler?: boolean;
  startDelayMs?: number;
  terminationDelayMs?: number;
  leaseIntervalMs?: number;
  dayCurve?: DayCurve;
  eventWindow?: number;
  bookmarkIntervalMs?: number;
  /** Start the fault-injection admin endpoint (a separate loopback port). */
  admin?: boolean;
  /**
   * Simulated ms per real ms, for every cluster of the sim (default 1: real time). At 360 a
   * simulated day takes 4 minutes: API timestamps, kubelet start/termination delays and pod
   * durations, the day curve, usage and the default scheduler's backoff all follow `sim.clock`.
   * Components that should live in the same time take `sim.clock` as their clock.
   */
  timeScale?: number;
  /** The simulated time at start, ms since the epoch (e.g. a midnight, so the day curve starts at night). Default: now. */
  startAt?: number;
}

export interface Sim {
  clusters: Map<string, SimCluster>;
  cluster(name: string): SimCluster;
  /** The kubeconfig text (contexts named after the clusters, current = the first). */
  kubeconfig: string;
  kubeconfigPath: string | undefined;
  admin: AdminServer | undefined;
  /** `<dir>/admin-token` (mode 0600) when both `admin` and `dir` are set. */
  adminTokenPath: string | undefined;
  /** The simulated time every cluster runs on (real time unless timeScale or startAt was given). */
  clock: SimClock;
  stop(): Promise<void>;
}

export async function startSim(opts: SimOptions): Promise<Sim> {
  if (opts.clusters.length === 0) throw new Error('startSim: at least one cluster name is required');
  const seen = new Set<string>();
  for (const c of opts.clusters) {
    if (isDNS1123Label(c).length > 0 || c.length > 40) throw new Error(`startSim: cluster name "${c}" must be a DNS-1123 label of at most 40 characters`);
    if (seen.has(c)) throw new Error(`startSim: cluster name "${c}" is given twice`);
    seen.add(c);
  }
  if (opts.onlineLoad !== undefined && !(opts.onlineLoad >= 0 && opts.onlineLoad <= 0.95)) {
    throw new Error(`startSim: onlineLoad must be a fraction in [0, 0.95], got ${opts.onlineLoad}`);
  }
  let clock: SimClock;
  try {
    clock = scaledClock({ scale: opts.timeScale ?? 1, ...(opts.startAt !== undefined ? { startAt: opts.startAt } : {}) });
  } catch (e) {
    throw new Error(`startSim: ${(e as Error).message}`);
  }
  // Real time stays the clusters' own default clock, so a sim without these options behaves as before.
  const simulatedTime = (opts.timeScale ?? 1) !== 1 || opts.startAt !== undefined;
  const ca = createCertificateAuthority('tidepool-sim-ca');
  const clusters = new Map<string, SimCluster>();
  try {
    for (const [i, name] of opts.clusters.entries()) {
      const isHost = i === 0;
      const copts: ClusterOptions = {
        name,
        ca,
        nodes: isHost ? (opts.hostNodes ?? opts.nodes ?? 3) : (opts.nodes ?? 3),
        nodeShape: opts.nodeShape ?? DEFAULT_NODE_SHAPE,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.basePort ? { port: opts.basePort + i } : {}),
        ...(opts.zones ? { zones: opts.zones.map((z) => `${name}-${z}`) } : {}),
        region: name,
        ...(opts.scheduler === false ? { scheduler: false } : {}),
        fleet: {
          ...(opts.startDelayMs !== undefined ? { startDelayMs: opts.startDelayMs } : {}),
          ...(opts.terminationDelayMs !== undefined ? { terminationDelayMs: opts.terminationDelayMs } : {}),
          ...(opts.leaseIntervalMs !== undefined ? { leaseIntervalMs: opts.leaseIntervalMs } : {}),
          ...(opts.dayCurve ? { curve: opts.dayCurve } : {}),
        },
        ...(opts.eventWindow ? { eventWindow: opts.eventWindow } : {}),
        ...(opts.bookmarkIntervalMs ? { bookmarkIntervalMs: opts.bookmarkIntervalMs } : {}),
        ...(simulatedTime ? { clock } : {}),
      };
      const cluster = new SimCluster(copts);
      clusters.set(name, cluster);
      await cluster.start();
      if (!isHost && opts.onlineLoad) seedOnlineLoad(cluster, opts.onlineLoad);
    }
  } catch (e) {
    await Promise.allSettled([...clusters.values()].map((c) => c.stop()));
    throw e;
  }
  const entries = [...clusters.values()].map((c) => c.kubeconfigEntry());
  const kubeconfig = renderKubeconfig(entries);
  let kubeconfigPath: string | undefined;
  if (opts.dir) {
    kubeconfigPath = join(opts.dir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, entries);
  }
  const admin = opts.admin ? await startAdminServer(clusters, opts.host ?? '127.0.0.1') : undefined;
  let adminTokenPath: string | undefined;
  if (admin && opts.dir) {
    // The token goes to a 0600 file beside the kubeconfig, never to stdout or logs.
    adminTokenPath = join(opts.dir, 'admin-token');
    writeFileSync(adminTokenPath, admin.token + '\n', { mode: 0o600 });
    chmodSync(adminTokenPath, 0o600);
  }
  let stopped = false;
  return {
    clusters,
    cluster(name: string): SimCluster {
      const c = clusters.get(name);
      if (!c) throw new Error(`no simulated cluster "${name}" (have: ${[...clusters.keys()].join(', ')})`);
      return c;
    },
    kubeconfig,
    kubeconfigPath,
    admin,
    adminTokenPath,
    clock,
    async stop() {
      if (stopped) return;
      stopped = true;
      await admin?.close();
      await Promise.all([...clusters.values()].map((c) => c.stop()));
    },
  };
}
