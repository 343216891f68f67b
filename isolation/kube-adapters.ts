// The agent's few writes to the Kubernetes API, through kube/'s client (shared
// rate limiter, retries, metrics): evictions (pods/eviction) and its status as
// one node annotation. Events go through kube/'s recorder and eventSinkFor.
import { CoreV1Api } from '@kubernetes/client-node';
import { statusCodeOf, type KubeClient } from '../kube/index.js';
import type { NodeIsolationStatus, StatusPublisher } from './agent.js';
import type { EvictionResult, Evictor } from './eviction.js';
import type { PodInfo } from './pods.js';

export const STATUS_ANNOTATION = 'tidepool.dev/isolation-status';

function messageOf(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      return body.slice(0, 300);
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Evicts through the Eviction API, so PodDisruptionBudgets are honoured (429 = blocked). */
export class KubeEvictor implements Evictor {
  private readonly api: CoreV1Api;
  constructor(client: KubeClient) {
    this.api = client.api(CoreV1Api);
  }

  async evict(pod: PodInfo, reason: string): Promise<EvictionResult> {
    try {
      await this.api.createNamespacedPodEviction({
        name: pod.name,
        namespace: pod.namespace,
        body: {
          apiVersion: 'policy/v1',
          kind: 'Eviction',
          metadata: { name: pod.name, namespace: pod.namespace, annotations: { 'tidepool.dev/eviction-reason': reason.slice(0, 200) } },
          // The UID precondition: never evict a new pod that took the old one's name.
          deleteOptions: { preconditions: { uid: pod.uid } },
        },
      });
      return { outcome: 'evicted' };
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 404) return { outcome: 'gone' };
      if (code === 409) return { outcome: 'gone', message: 'a different pod now has this name' };
      if (code === 429) return { outcome: 'blocked', message: messageOf(err) };
      return { outcome: 'failed', message: `${code ?? ''} ${messageOf(err)}`.trim() };
    }
  }
}
/** The slow-moving part of the status, as kept in the node annotation. */
export function statusAnnotation(s: NodeIsolationStatus): string {
  return JSON.stringify({
    cgroup: `${s.capabilities.cgroup.version}/${s.capabilities.cgroup.driver}`,
    controllers: Object.entries(s.capabilities.cgroup.controllers)
      .filter(([, on]) => on)
      .map(([c]) => c),
    resctrl: s.capabilities.resctrl.mounted ? { l3: s.capabilities.resctrl.l3, mb: s.capabilities.resctrl.mb, vendor: s.capabilities.resctrl.vendor } : null,
    numaNodes: s.capabilities.topology.numaNodes,
    degraded: s.degraded,
    unsupported: s.unsupported.map((u) => `${u.file}: ${u.code}`).sort(),
    contested: s.contested.length,
    dryRun: s.dryRun,
  });
}

/** Publishes the status as an annotation on the agent's Node (merge patch; the agent calls it only on change). */
export class NodeAnnotationPublisher implements StatusPublisher {
  constructor(
    private readonly client: KubeClient,
    private readonly nodeName: string,
  ) {}

  async publish(status: NodeIsolationStatus): Promise<void> {
    await this.client.requestJson({
      method: 'PATCH',
      path: `/api/v1/nodes/${encodeURIComponent(this.nodeName)}`,
      body: { metadata: { annotations: { [STATUS_ANNOTATION]: statusAnnotation(status) } } },
      contentType: 'application/merge-patch+json',
    });
  }
}
