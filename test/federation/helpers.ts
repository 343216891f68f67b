// Test helpers for federation against the sim: clients and object creation (polling: ../helpers/wait.ts).
import { KubeClient } from '../../kube/index.js';
import type { Sim } from '../../sim/index.js';

export function clientFor(sim: Sim, context: string): KubeClient {
  return new KubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context }, cluster: context, qps: 1000, burst: 1000, timeoutMs: 5_000, maxAttempts: 1 });
}

export function podBody(name: string, cpu: string, memory: string, extra: { labels?: Record<string, string>; nodeName?: string; annotations?: Record<string, string> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: extra.labels ?? {}, annotations: extra.annotations ?? {} },
    spec: {
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu, memory } } }],
    },
  };
}

export async function createPod(c: KubeClient, ns: string, body: Record<string, unknown>): Promise<void> {
  await c.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body });
}
