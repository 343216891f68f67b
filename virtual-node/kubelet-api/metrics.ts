/**
 * The kubelet API's own Prometheus metrics (not the /metrics/resource it serves): requests by
 * endpoint and code, authentication and authorization decisions (and how many the caches
 * answered), and the streams open right now (followed logs, exec/attach/port-forward).
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';

export type AuthStep = 'authentication' | 'authorization';
export type AuthResult = 'allowed' | 'denied' | 'error';

export interface KubeletApiMetrics {
  requests: Counter<'endpoint' | 'code'>;
  authDecisions: Counter<'step' | 'result' | 'cached'>;
  openStreams: Gauge<'endpoint'>;
}

/**
 * The metrics in `registry`. A second server on the same registry (one per virtual node) shares
 * them instead of failing on a duplicate name.
 */
export function kubeletApiMetrics(registry: Registry = new Registry()): KubeletApiMetrics {
  const reuse = <M extends Metric>(name: string, make: () => M): M => (registry.getSingleMetric(name) as M | undefined) ?? make();
  return {
    requests: reuse(
      'tidepool_virtual_node_kubelet_requests_total',
      () =>
        new Counter({
          name: 'tidepool_virtual_node_kubelet_requests_total',
          help: 'Requests to the virtual node kubelet API, by endpoint and HTTP status code.',
          labelNames: ['endpoint', 'code'] as const,
          registers: [registry],
        }),
    ),
    authDecisions: reuse(
      'tidepool_virtual_node_kubelet_auth_decisions_total',
      () =>
        new Counter({
          name: 'tidepool_virtual_node_kubelet_auth_decisions_total',
          help: 'Authentication and authorization decisions of the kubelet API; cached="true" when no review was sent.',
          labelNames: ['step', 'result', 'cached'] as const,
          registers: [registry],
        }),
    ),
    openStreams: reuse(
      'tidepool_virtual_node_kubelet_open_streams',
      () =>
        new Gauge({
          name: 'tidepool_virtual_node_kubelet_open_streams',
          help: 'Streams the kubelet API is serving now (followed logs, exec, attach, port-forward).',
          labelNames: ['endpoint'] as const,
          registers: [registry],
        }),
    ),
  };
}
