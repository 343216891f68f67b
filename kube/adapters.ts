/**
 * The narrow interfaces of leader-election.ts and event-recorder.ts, backed by a real
 * KubeClient. Both go through client-node's typed APIs (its serializer gets MicroTime and
 * Date fields right) sent through our client, so Lease renewals and Events share the cluster's
 * rate limiter, retries and metrics with everything else.
 */
import { CoordinationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { isNotFound } from './api-error.js';
import type { KubeClient } from './client.js';
import type { EventObj, EventPatch, EventSink } from './event-recorder.js';
import type { Lease, LeaseClient } from './leader-election.js';

export function leaseClientFor(client: KubeClient): LeaseClient {
  const api = client.api(CoordinationV1Api);
  return {
    get: async (namespace, name, signal) => {
      try {
        return await client.withSignal(signal, () => api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: (namespace, lease: Lease, signal) => client.withSignal(signal, () => api.createNamespacedLease({ namespace, body: lease })),
    replace: (namespace, name, lease: Lease, signal) =>
      client.withSignal(signal, () => api.replaceNamespacedLease({ name, namespace, body: lease })),
  };
}

export function eventSinkFor(client: KubeClient): EventSink {
  const api = client.api(CoreV1Api);
  return {
    create: (namespace, event: EventObj) => api.createNamespacedEvent({ namespace, body: event }),
    // A merge patch of two fields: the typed patch call would need per-call content-type options.
    patch: (namespace, name, patch: EventPatch) =>
      client.requestJson<EventObj>({
        method: 'PATCH',
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events/${encodeURIComponent(name)}`,
        body: { count: patch.count, lastTimestamp: patch.lastTimestamp.toISOString().replace(/\.\d{3}Z$/, 'Z') },
        contentType: 'application/merge-patch+json',
      }),
  };
}
