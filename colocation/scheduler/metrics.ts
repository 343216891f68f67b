/**
 * The scheduler's Prometheus metrics, on the registry the component owns (never the global one).
 * Throughput is the rate of tidepool_scheduler_pods_scheduled_total.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { QueueDepth } from './queue/scheduling-queue.js';

export interface SchedulerMetrics {
  scheduled: Counter<'class'>;
  attempts: Counter<'result'>;
  attemptDuration: Histogram<'result'>;
  e2eDuration: Histogram<'class'>;
  bindDuration: Histogram<'result'>;
}

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const E2E_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export function schedulerMetrics(registry: Registry, sources: { depth: () => QueueDepth; reservations: () => number; bindingsInFlight: () => number; starvationHolds: () => number }): SchedulerMetrics {
  const registers = [registry];
  new Gauge({
    name: 'tidepool_scheduler_queue_pods',
    help: 'Pods waiting, by queue (active, backoff, unschedulable) and class (online, offline).',
    labelNames: ['queue', 'class'],
    registers,
    collect() {
      const d = sources.depth();
      for (const q of ['active', 'backoff', 'unschedulable'] as const) {
        for (const c of ['online', 'offline'] as const) this.set({ queue: q, class: c }, d[q][c]);
      }
    },
  });
  new Gauge({
    name: 'tidepool_scheduler_gang_reservations',
    help: 'Gangs holding room for their workers.',
    registers,
    collect() {
      this.set(sources.reservations());
    },
  });
  new Gauge({
    name: 'tidepool_scheduler_starvation_holds',
    help: 'Nodes holding room for an offline pod that has waited past offlineMaxWait while smaller pods took the room that freed (0 or 1).',
    registers,
    collect() {
      this.set(sources.starvationHolds());
    },
  });
  new Gauge({
    name: 'tidepool_scheduler_bindings_in_flight',
    help: 'Pods assumed and waiting at permit or for their binding to be written.',
    registers,
    collect() {
      this.set(sources.bindingsInFlight());
    },
  });
  return {
    scheduled: new Counter({ name: 'tidepool_scheduler_pods_scheduled_total', help: 'Pods bound by the scheduler, by class.', labelNames: ['class'], registers }),
    attempts: new Counter({
      name: 'tidepool_scheduler_schedule_attempts_total',
      help: 'Scheduling attempts by result (scheduled, unschedulable, error, invalid).',
      labelNames: ['result'],
      registers,
    }),
    attemptDuration: new Histogram({
      name: 'tidepool_scheduler_scheduling_attempt_duration_seconds',
      help: 'One scheduling cycle (pre-filter to permit), by result.',
      labelNames: ['result'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    e2eDuration: new Histogram({
      name: 'tidepool_scheduler_e2e_scheduling_duration_seconds',
      help: 'From a pod first entering the queue to its binding being written, by class.',
      labelNames: ['class'],
      buckets: E2E_BUCKETS,
      registers,
    }),
    bindDuration: new Histogram({
      name: 'tidepool_scheduler_binding_duration_seconds',
      help: 'Writing one binding, by result.',
      labelNames: ['result'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
  };
}
