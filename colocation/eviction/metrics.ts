/** Offline eviction's metrics (tidepool_eviction_*), on the registry the process serves. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface EvictionMetrics {
  pods: Counter<'resource' | 'result'>;
  rounds: Counter<'resource'>;
}

/** Per registry: the metrics and whose leadership they read (a restarted controller takes over). */
const byRegistry = new WeakMap<Registry, { metrics: EvictionMetrics; isLeader: () => boolean }>();

export function evictionMetrics(registry: Registry, isLeader: () => boolean): EvictionMetrics {
  const known = byRegistry.get(registry);
  if (known) {
    known.isLeader = isLeader;
    return known.metrics;
  }
  const entry = { isLeader } as { metrics: EvictionMetrics; isLeader: () => boolean };
  new Gauge({
    name: 'tidepool_eviction_leader',
    help: '1 while this replica is the offline eviction leader.',
    registers: [registry],
    collect() {
      this.set(entry.isLeader() ? 1 : 0);
    },
  });
  entry.metrics = {
    pods: new Counter({
      name: 'tidepool_eviction_pods_total',
      help: 'Offline pod eviction decisions, by the resource under pressure and the result (evicted, blocked by a PodDisruptionBudget, gone, failed).',
      labelNames: ['resource', 'result'],
      registers: [registry],
    }),
    rounds: new Counter({
      name: 'tidepool_eviction_rounds_total',
      help: 'Times a node was found under sustained load pressure and offline pods were chosen to leave it.',
      labelNames: ['resource'],
      registers: [registry],
    }),
  };
  byRegistry.set(registry, entry);
  return entry.metrics;
}
