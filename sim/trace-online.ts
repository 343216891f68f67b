// Online services for a utilization trace: on every node a few service pods that request what
// they need at their daily peak plus the headroom their owners keep (bursts, failover), and
// use a share of it that breathes with the day/night curve. So a cluster is nearly full by
// requests while its CPU is mostly idle: the capacity colocation is there to use.

import type { SimCluster } from './cluster.js';
import { CPU_NOISE_ANNOTATION, CPU_USAGE_ANNOTATION, MEMORY_USAGE_ANNOTATION, type DayCurve } from './usage.js';
import { formatBytes, formatCpuMilli, parseQuantity, toMilli, toUnits } from '../kube/index.js';

export const TRACE_ONLINE_NAMESPACE = 'online-services';

export interface OnlineServiceSpec {
  /** Service pods per node. Default 4. */
  podsPerNode: number;
  /** Share of the node's allocatable CPU the node's service pods request together. Default 0.85. */
  cpuRequestShare: number;
  /** Share of the node's allocatable memory they request together. Default 0.5. */
  memoryRequestShare: number;
  /** Their CPU use averaged over a day, as a share of the node's allocatable CPU. Default 0.25. */
  averageCpuShare: number;
  /** Share of its memory request a service uses. Default 0.5. */
  memoryUsageShare: number;
  /** Minute-to-minute CPU noise around the curve, ± share. Default 0.1. */
  cpuNoise: number;
}

export const DEFAULT_ONLINE_SERVICES: Readonly<OnlineServiceSpec> = Object.freeze({
  podsPerNode: 4,
  cpuRequestShare: 0.85,
  memoryRequestShare: 0.5,
  averageCpuShare: 0.25,
  memoryUsageShare: 0.5,
  cpuNoise: 0.1,
});

/**
 * The CPU usage annotation (a share of the request) that makes a service average
 * `averageCpuShare` of the node over a day of `curve`: the day factor of a cosine curve averages
 * (low + high) / 2, and the noise averages zero.
 */
export function onlineUsageShare(spec: Pick<OnlineServiceSpec, 'averageCpuShare' | 'cpuRequestShare'>, curve: DayCurve): number {
  return spec.averageCpuShare / (spec.cpuRequestShare * ((curve.low + curve.high) / 2));
}

function check(spec: OnlineServiceSpec): void {
  const share = (name: keyof OnlineServiceSpec, v: number, max = 1): void => {
    if (!(typeof v === 'number' && v >= 0 && v <= max)) throw new RangeError(`online services: ${name} must be a share from 0 to ${max}, got ${String(v)}`);
  };
  if (!(Number.isInteger(spec.podsPerNode) && spec.podsPerNode >= 1)) throw new RangeError(`online services: podsPerNode must be a whole number of at least 1, got ${spec.podsPerNode}`);
  share('cpuRequestShare', spec.cpuRequestShare);
  share('memoryRequestShare', spec.memoryRequestShare);
  share('averageCpuShare', spec.averageCpuShare);
  share('memoryUsageShare', spec.memoryUsageShare);
  share('cpuNoise', spec.cpuNoise);
  if (spec.averageCpuShare > spec.cpuRequestShare) throw new RangeError(`online services: averageCpuShare (${spec.averageCpuShare}) cannot exceed cpuRequestShare (${spec.cpuRequestShare})`);
}

/**
 * Creates `podsPerNode` service pods on every simulated node of `cluster`, bound directly (as
 * if they had been running for long), labelled tidepool.dev/qos=online. Returns how many.
 * Their CPU follows the cluster's day curve (`curve` must be the one the sim runs with).
 */
export function seedOnlineServices(cluster: SimCluster, curve: DayCurve, partial: Partial<OnlineServiceSpec> = {}): number {
  const spec: OnlineServiceSpec = { ...DEFAULT_ONLINE_SERVICES, ...partial };
  check(spec);
  const usageShare = onlineUsageShare(spec, curve);
  const api = cluster.api;
  const nsRt = api.registry.lookup('', 'v1', 'namespaces')!;
  const podsRt = api.registry.lookup('', 'v1', 'pods')!;
  const nodesRt = api.registry.lookup('', 'v1', 'nodes')!;
  if (!api.tryGet(nsRt, '', TRACE_ONLINE_NAMESPACE)) {
    api.create(nsRt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: TRACE_ONLINE_NAMESPACE } });
  }
  let created = 0;
  for (const nodeName of cluster.fleet.nodeNames()) {
    const node = api.parse(api.get(nodesRt, '', nodeName));
    const alloc = ((node['status'] as Record<string, unknown>)['allocatable'] ?? {}) as Record<string, string>;
    const cpu = toMilli(parseQuantity(alloc['cpu'] ?? '0'));
    const mem = toUnits(parseQuantity(alloc['memory'] ?? '0'));
    const reqCpu = Math.floor((cpu * spec.cpuRequestShare) / spec.podsPerNode);
    const reqMem = Math.floor((mem * spec.memoryRequestShare) / spec.podsPerNode);
    for (let i = 0; i < spec.podsPerNode; i++) {
      api.create(podsRt, TRACE_ONLINE_NAMESPACE, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `svc-${nodeName}-${i}`,
          labels: { app: `svc-${i}`, 'tidepool.dev/qos': 'online' },
          annotations: {
            [CPU_USAGE_ANNOTATION]: `${(usageShare * 100).toFixed(2)}%`,
            [MEMORY_USAGE_ANNOTATION]: `${(spec.memoryUsageShare * 100).toFixed(2)}%`,
            ...(spec.cpuNoise > 0 ? { [CPU_NOISE_ANNOTATION]: `${(spec.cpuNoise * 100).toFixed(2)}%` } : {}),
          },
        },
        spec: {
          nodeName,
          containers: [{ name: 'svc', image: 'registry.example/svc:1.0', resources: { requests: { cpu: formatCpuMilli(reqCpu), memory: formatBytes(reqMem) } } }],
        },
      });
      created++;
    }
  }
  return created;
}
