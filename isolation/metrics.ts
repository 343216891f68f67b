// Prometheus metrics of the agent, on its own Registry: tidepool_agent_<what>_<unit>.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Capabilities } from './capabilities.js';
import type { ExecutorHooks } from './executor.js';
import type { LoadSample } from './load-sampler.js';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly reconcileSeconds = new Histogram({
    name: 'tidepool_agent_reconcile_duration_seconds',
    help: 'Time to compute and apply the desired isolation state',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({ name: 'tidepool_agent_reconcile_errors_total', help: 'Reconciles that threw', registers: [this.registry] });
  readonly writes = new Counter({
    name: 'tidepool_agent_writes_total',
    help: 'Kernel file writes by kind, file and result (ok, error, dry-run, refused)',
    labelNames: ['kind', 'file', 'result'],
    registers: [this.registry],
  });
  readonly overwrites = new Counter({
    name: 'tidepool_agent_overwrites_total',
    help: 'Values the agent had set that something else (kubelet) rewrote',
    labelNames: ['file'],
    registers: [this.registry],
  });
  readonly unsupported = new Gauge({ name: 'tidepool_agent_unsupported_files', help: 'Cgroup files the kernel keeps refusing (reported unsupported)', registers: [this.registry] });
  readonly contested = new Gauge({ name: 'tidepool_agent_contested_files', help: 'Files left alone because another agent keeps rewriting them', registers: [this.registry] });
  readonly capability = new Gauge({ name: 'tidepool_agent_capability_info', help: '1 when the node supports the feature', labelNames: ['feature'], registers: [this.registry] });
  readonly pods = new Gauge({ name: 'tidepool_agent_pods', help: 'Pods on the node by tidepool QoS', labelNames: ['qos'], registers: [this.registry] });
  readonly cpuUsage = new Gauge({ name: 'tidepool_agent_cpu_usage_millicores', help: 'CPU use by class (node, online, online-exclusive, offline, system)', labelNames: ['class'], registers: [this.registry] });
  readonly memoryUsage = new Gauge({ name: 'tidepool_agent_memory_usage_bytes', help: 'Memory working set by class', labelNames: ['class'], registers: [this.registry] });
  readonly offlineCpus = new Gauge({ name: 'tidepool_agent_offline_cpuset_cpus', help: 'CPUs in the offline cpuset', registers: [this.registry] });
  readonly offlineQuota = new Gauge({ name: 'tidepool_agent_offline_cpu_budget_millicores', help: 'CPU the offline pods may use in total', registers: [this.registry] });
  readonly evictions = new Counter({ name: 'tidepool_agent_evictions_total', help: 'Eviction requests by outcome', labelNames: ['outcome'], registers: [this.registry] });
  readonly streamClients = new Gauge({ name: 'tidepool_agent_load_stream_clients', help: 'Open load-report streams', registers: [this.registry] });
  readonly streamRejected = new Counter({ name: 'tidepool_agent_load_stream_rejected_total', help: 'Load-report calls refused as unauthenticated', registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'tidepool_agent_' });
  }

  executorHooks(): ExecutorHooks {
    return {
      write: (kind, file, result) => this.writes.inc({ kind, file, result }),
      overwrite: (file) => this.overwrites.inc({ file }),
    };
  }

  setCapabilities(c: Capabilities): void {
    const set = (feature: string, on: boolean): void => this.capability.set({ feature }, on ? 1 : 0);
    set('cgroup_v2', c.cgroup.version === 'v2');
    set('systemd_driver', c.cgroup.driver === 'systemd');
    for (const [k, v] of Object.entries(c.cgroup.controllers)) set(`controller_${k}`, v);
    set('cpu_idle', c.cgroup.cpuIdle);
    set('memory_protection', c.cgroup.memoryProtection);
    set('resctrl', c.resctrl.mounted);
    set('l3_cat', c.resctrl.l3);
    set('mba', c.resctrl.mb);
    set('numa', c.topology.numaNodes > 1);
  }

  setLoad(s: LoadSample): void {
    this.cpuUsage.set({ class: 'node' }, s.node.cpuMilli);
    this.memoryUsage.set({ class: 'node' }, s.node.memoryBytes);
    for (const [k, v] of Object.entries(s.byClass)) {
      this.cpuUsage.set({ class: k }, v.cpuMilli);
      this.memoryUsage.set({ class: k }, v.memoryBytes);
      if (k !== 'system') this.pods.set({ qos: k }, v.pods);
    }
  }
}
