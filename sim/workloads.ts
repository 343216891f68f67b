// Seed workloads for simulated clusters: online services that keep about a given
// fraction of each node's CPU busy, so capacity views and schedulers have something
// real to work around from the first second.
import type { SimCluster } from './cluster.js';
import { CPU_USAGE_ANNOTATION } from './usage.js';
import { formatBytes, formatCpuMilli, parseQuantity, toMilli, toUnits } from '../kube/index.js';

const PODS_PER_NODE = 4;
export const ONLINE_NAMESPACE = 'online-services';

/**
 * Creates PODS_PER_NODE online pods on every simulated node, bound directly, each using
 * fraction × node CPU / PODS_PER_NODE (stated exactly in its usage annotation) and
 * requesting a little more than it uses, as online services do.
 */
export function seedOnlineLoad(cluster: SimCluster, fraction: number): number {
  if (fraction <= 0) return 0;
  const api = cluster.api;
  const nsRt = api.registry.lookup('', 'v1', 'namespaces')!;
  const podsRt = api.registry.lookup('', 'v1', 'pods')!;
  const nodesRt = api.registry.lookup('', 'v1', 'nodes')!;
  if (!api.tryGet(nsRt, '', ONLINE_NAMESPACE)) {
    api.create(nsRt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ONLINE_NAMESPACE } });
  }
  let created = 0;
  for (const nodeName of cluster.fleet.nodeNames()) {
    const node = api.parse(api.get(nodesRt, '', nodeName));
    const alloc = ((node['status'] as Record<string, unknown>)['allocatable'] ?? {}) as Record<string, string>;
    const cpu = toMilli(parseQuantity(alloc['cpu'] ?? '0'));
    const mem = toUnits(parseQuantity(alloc['memory'] ?? '0'));
    const useCpu = Math.max(1, Math.round((fraction * cpu) / PODS_PER_NODE));
    const reqCpu = Math.min(Math.floor(cpu / PODS_PER_NODE), Math.ceil(useCpu / 0.8));
    const reqMem = Math.floor((Math.min(0.9, fraction / 0.8) * mem) / PODS_PER_NODE);
    for (let i = 0; i < PODS_PER_NODE; i++) {
      api.create(podsRt, ONLINE_NAMESPACE, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `web-${nodeName}-${i}`,
          labels: { app: 'web', 'tidepool.dev/qos': 'online' },
          annotations: { [CPU_USAGE_ANNOTATION]: formatCpuMilli(useCpu) },
        },
        spec: {
          nodeName,
          containers: [
            {
              name: 'web',
              image: 'registry.example/web:1.0',
              resources: { requests: { cpu: formatCpuMilli(reqCpu), memory: formatBytes(reqMem) } },
            },
          ],
        },
      });
      created++;
    }
  }
  return created;
}
