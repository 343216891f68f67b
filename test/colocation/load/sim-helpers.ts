// Shared by the colocation load, batch and eviction tests: a client for a simulated cluster and
// pods whose usage the simulated kubelet reports from annotations.
import { KubeClient } from '../../../kube/index.js';
import { CPU_USAGE_ANNOTATION, MEMORY_USAGE_ANNOTATION, type Sim } from '../../../sim/index.js';

export function simClient(sim: Sim, context: string): KubeClient {
  return new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context }, cluster: context, qps: 1000, burst: 1000, timeoutMs: 5_000, maxAttempts: 1 });
}

export interface UsagePod {
  name: string;
  node: string;
  /** Measured usage the simulated kubelet reports (quantities). */
  cpuUsage: string;
  memoryUsage: string;
  qos?: 'online' | 'offline';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  requests?: Record<string, string>;
  priority?: number;
  priorityClassName?: string;
}

export function usagePodBody(p: UsagePod): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      labels: { ...(p.qos ? { 'tidepool.dev/qos': p.qos } : {}), ...p.labels },
      annotations: { [CPU_USAGE_ANNOTATION]: p.cpuUsage, [MEMORY_USAGE_ANNOTATION]: p.memoryUsage, ...p.annotations },
    },
    spec: {
      nodeName: p.node,
      ...(p.priority !== undefined ? { priority: p.priority } : {}),
      ...(p.priorityClassName !== undefined ? { priorityClassName: p.priorityClassName } : {}),
      containers: [{ name: 'c', image: 'busybox', resources: { requests: p.requests ?? { cpu: '100m', memory: '128Mi' } } }],
    },
  };
}

export async function createUsagePod(c: KubeClient, p: UsagePod, namespace = 'default'): Promise<void> {
  await c.request({ method: 'POST', path: `/api/v1/namespaces/${namespace}/pods`, body: usagePodBody(p) });
}

export async function deletePod(c: KubeClient, name: string, namespace = 'default'): Promise<void> {
  await c.request({ method: 'DELETE', path: `/api/v1/namespaces/${namespace}/pods/${name}`, query: { gracePeriodSeconds: 0 } });
}
