/**
 * Evicting one pod through the policy/v1 Eviction API, so the API server checks its
 * PodDisruptionBudgets: 429 TooManyRequests means a budget allows no disruption now (the pod
 * stays; the caller tries the next one), never "retry this later" — which is why the request is
 * sent once, without the client's 429 retry.
 */
import { statusCodeOf, type KubeClient } from '../../kube/index.js';

export type EvictionResult = 'evicted' | 'blocked' | 'gone';

/** The one way pods are evicted (a test can wrap it). */
export interface PodEvictor {
  evict(pod: { namespace: string; name: string; uid: string }, signal?: AbortSignal): Promise<EvictionResult>;
}

export function apiEvictor(client: KubeClient, options: { gracePeriodSeconds?: number } = {}): PodEvictor {
  return {
    async evict(pod, signal) {
      try {
        await client.request({
          method: 'POST',
          path: `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}/eviction`,
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: pod.name, namespace: pod.namespace },
            // The uid precondition: never evict a new pod that took the old one's name.
            deleteOptions: { preconditions: { uid: pod.uid }, ...(options.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}) },
          },
          retry: false,
          ...(signal ? { signal } : {}),
        });
        return 'evicted';
      } catch (err) {
        const code = statusCodeOf(err);
        if (code === 429) return 'blocked';
        // 404: already gone; 409: the uid precondition failed (another pod of that name now).
        if (code === 404 || code === 409) return 'gone';
        throw err;
      }
    },
  };
}
