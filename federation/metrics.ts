/**
 * prom-client gauges per cluster and resource, read from the model at scrape time (no timers,
 * no per-event metric updates on the hot path).
 */
import { Gauge, Registry } from 'prom-client';
import type { FederationModel } from './model.js';

const FIGURES = ['allocatable', 'requested', 'idle', 'lent', 'batch', 'usage', 'largestSlot'] as const;

export function federationMetrics(model: FederationModel, registry: Registry = new Registry()): Registry {
  const cpu = new Gauge({ name: 'tidepool_federation_cpu_millicores', help: 'CPU per member cluster and figure (allocatable, requested, idle, lent, batch, usage, largest_slot), millicores', labelNames: ['cluster', 'figure'], registers: [] });
  const mem = new Gauge({ name: 'tidepool_federation_memory_bytes', help: 'Memory per member cluster and figure, bytes', labelNames: ['cluster', 'figure'], registers: [] });
  const ready = new Gauge({ name: 'tidepool_federation_cluster_ready', help: '1 when the member cluster is Ready (its capacity is in the pool)', labelNames: ['cluster'], registers: [] });
  const nodes = new Gauge({ name: 'tidepool_federation_nodes', help: 'Real nodes per member cluster (virtual nodes excluded)', labelNames: ['cluster'], registers: [] });
  const frag = new Gauge({ name: 'tidepool_federation_free_slot_nodes', help: 'Schedulable nodes per free-CPU bucket (lower bound in millicores)', labelNames: ['cluster', 'cpu_from'], registers: [] });
  // One collect refreshes all gauges from one document; registered first so that it runs
  // before the gauges it fills are read out.
  new Gauge({
    name: 'tidepool_federation_clusters',
    help: 'Member clusters known',
    registers: [registry],
    collect() {
      const doc = model.document();
      this.set(doc.clusters.length);
      for (const g of [cpu, mem, ready, nodes, frag]) g.reset();
      for (const c of [...doc.clusters, { name: '_total', ready: true, nodes: doc.clusters.reduce((s, x) => s + (x.ready ? x.nodes : 0), 0), ...doc.total }]) {
        for (const f of FIGURES) {
          const label = f === 'largestSlot' ? 'largest_slot' : f;
          cpu.set({ cluster: c.name, figure: label }, c.cpu[f]);
          mem.set({ cluster: c.name, figure: label }, c.memory[f]);
        }
        ready.set({ cluster: c.name }, c.ready ? 1 : 0);
        nodes.set({ cluster: c.name }, c.nodes);
      }
      for (const c of doc.clusters) for (const b of c.fragmentation?.cpu ?? []) frag.set({ cluster: c.name, cpu_from: String(b.from) }, b.nodes);
    },
  });
  for (const g of [cpu, mem, ready, nodes, frag]) registry.registerMetric(g);
  return registry;
}
