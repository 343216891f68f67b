/**
 * Metrics of the load sources, one set per registry (the component that serves /metrics passes
 * its registry; never prom-client's global one).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LoadStore } from './store.js';

export interface LoadMetrics {
  samples: Counter<'source' | 'outcome'>;
  sourceErrors: Counter<'source'>;
  streams: Gauge<'state'>;
  /** Stores whose sample ages the age gauge reports. */
  stores: Set<LoadStore>;
}

const byRegistry = new WeakMap<Registry, LoadMetrics>();

export function loadMetrics(registry: Registry): LoadMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const stores = new Set<LoadStore>();
  new Gauge({
    name: 'tidepool_colocation_load_oldest_sample_age_seconds',
    help: 'Age of the oldest "latest sample" among nodes with load data: how stale the worst node is.',
    registers: [registry],
    collect() {
      let oldest = 0;
      for (const s of stores) for (const n of s.nodes()) oldest = Math.max(oldest, s.ageMs(n) ?? 0);
      this.set(oldest / 1000);
    },
  });
  const m: LoadMetrics = {
    stores,
    samples: new Counter({
      name: 'tidepool_colocation_load_samples_total',
      help: 'Node load samples received, by source (agent, metrics-api) and outcome (added, older, agent-preferred, invalid).',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    sourceErrors: new Counter({
      name: 'tidepool_colocation_load_source_errors_total',
      help: 'Failed polls of metrics.k8s.io and broken agent streams.',
      labelNames: ['source'],
      registers: [registry],
    }),
    streams: new Gauge({
      name: 'tidepool_colocation_load_agent_streams',
      help: 'Agent load streams by state (connected, retrying).',
      labelNames: ['state'],
      registers: [registry],
    }),
  };
  byRegistry.set(registry, m);
  return m;
}
