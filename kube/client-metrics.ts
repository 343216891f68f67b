/**
 * Prometheus metrics of the Kubernetes clients, per cluster and verb: what an operator needs to
 * see whether we are a good citizen of someone else's API server (request rate and codes,
 * latency, and how long we hold ourselves back in the rate limiter).
 *
 * Library code never registers on prom-client's global registry; each registry gets one set of
 * metric objects shared by every client registered on it.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export interface ClientMetrics {
  readonly registry: Registry;
  /** code is the HTTP status, or "error" when no answer came (refused, reset, timed out). */
  readonly requests: Counter<'cluster' | 'verb' | 'code'>;
  readonly latency: Histogram<'cluster' | 'verb'>;
  readonly rateLimiterWait: Histogram<'cluster'>;
  readonly retries: Counter<'cluster' | 'verb'>;
  /** Times a 429 paused every request of a client. */
  readonly throttled: Counter<'cluster'>;
}

const byRegistry = new WeakMap<Registry, ClientMetrics>();

export function clientMetricsFor(registry: Registry): ClientMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const m: ClientMetrics = {
    registry,
    requests: new Counter({
      name: 'tidepool_kube_requests_total',
      help: 'Requests to Kubernetes API servers, by cluster, verb and HTTP code ("error" when there was no answer).',
      labelNames: ['cluster', 'verb', 'code'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'tidepool_kube_request_duration_seconds',
      help: 'Time from sending a request to the end of its answer (for watches: to the response headers).',
      labelNames: ['cluster', 'verb'],
      buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    rateLimiterWait: new Histogram({
      name: 'tidepool_kube_rate_limiter_wait_seconds',
      help: 'Time a request waited in the client-side rate limiter (QPS/burst and 429 pauses).',
      labelNames: ['cluster'],
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'tidepool_kube_request_retries_total',
      help: 'Requests sent again after a retryable failure.',
      labelNames: ['cluster', 'verb'],
      registers: [registry],
    }),
    throttled: new Counter({
      name: 'tidepool_kube_throttled_total',
      help: 'Times an API server answered 429 and the whole client paused for its Retry-After.',
      labelNames: ['cluster'],
      registers: [registry],
    }),
  };
  byRegistry.set(registry, m);
  return m;
}
