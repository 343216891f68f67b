/**
 * The batch controller's metrics (names tidepool_batch_*), on the registry the process serves.
 * Per-node figures are read from the controller at scrape time: no metric work per sample.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { BatchBreakdown } from './formula.js';

export interface BatchMetrics {
  decisions: Counter<'rule'>;
  writes: Counter<'result'>;
}

export interface BatchFigures {
  /** The last breakdown computed per node. */
  breakdowns(): Iterable<BatchBreakdown>;
  isLeader(): boolean;
}

/** Per registry: the metrics and whose figures they read (a restarted controller takes over). */
const byRegistry = new WeakMap<Registry, { metrics: BatchMetrics; figures: BatchFigures }>();

export function batchMetrics(registry: Registry, figures: BatchFigures): BatchMetrics {
  const known = byRegistry.get(registry);
  if (known) {
    known.figures = figures;
    return known.metrics;
  }
  const entry = { figures } as { metrics: BatchMetrics; figures: BatchFigures };
  const cpu = new Gauge({ name: 'tidepool_batch_cpu_millicores', help: 'Batch CPU per node as last computed (what is published may lag by the hysteresis).', labelNames: ['node'], registers: [] });
  const memory = new Gauge({ name: 'tidepool_batch_memory_bytes', help: 'Batch memory per node as last computed.', labelNames: ['node'], registers: [] });
  const degraded = new Gauge({ name: 'tidepool_batch_degraded_nodes', help: 'Nodes whose batch capacity is 0 because their load data is missing or stale.', labelNames: ['reason'], registers: [] });
  new Gauge({
    name: 'tidepool_batch_leader',
    help: '1 while this replica is the batch controller leader.',
    registers: [registry],
    collect() {
      this.set(entry.figures.isLeader() ? 1 : 0);
      cpu.reset();
      memory.reset();
      degraded.reset();
      const counts: Record<string, number> = { 'no-load-data': 0, 'stale-load-data': 0 };
      for (const b of entry.figures.breakdowns()) {
        cpu.set({ node: b.node }, b.result.cpu);
        memory.set({ node: b.node }, b.result.memory);
        if (b.degraded) counts[b.degraded] = (counts[b.degraded] ?? 0) + 1;
      }
      for (const [reason, n] of Object.entries(counts)) degraded.set({ reason }, n);
    },
  });
  for (const g of [cpu, memory, degraded]) registry.registerMetric(g);
  entry.metrics = {
    decisions: new Counter({
      name: 'tidepool_batch_publish_decisions_total',
      help: 'Publish decisions per rule (unexplained, unchanged, first, to-zero, significant, overdue, hysteresis).',
      labelNames: ['rule'],
      registers: [registry],
    }),
    writes: new Counter({
      name: 'tidepool_batch_node_writes_total',
      help: 'Node batch figure writes (status + breakdown annotation), by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
  byRegistry.set(registry, entry);
  return entry.metrics;
}
