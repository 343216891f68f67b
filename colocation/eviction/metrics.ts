/** Offline eviction's metrics (tidepool_eviction_*), on the registry the process serves. */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface EvictionMetrics {
  pods: Counter<'resource' | 'result'>;
  rounds: Counter<'resource'>;
}

export function evictionMetrics(registry: Registry, isLeader: () => boolean): EvictionMetrics {
  new Gauge({
    name: 'tidepool_eviction_leader',
    help: '1 while this replica is the offline eviction leader.',
    registers: [registry],
    collect() {
      this.set(isLeader() ? 1 : 0);
    },
  });
  return {
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
}
