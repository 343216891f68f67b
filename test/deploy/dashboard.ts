// The Grafana dashboard deploy/ ships and the metrics it queries, matched against what a running
// component exports on /metrics (Prometheus text: a histogram family x is queried as x_bucket,
// x_sum, x_count).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOY } from './kustomize.js';

export const DASHBOARD_FILE = join(DEPLOY, 'components/monitoring/tidepool-dashboard.json');

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ expr?: string }>;
}

export function dashboardPanels(): Panel[] {
  return (JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: Panel[] }).panels;
}

/** Every tidepool_* series name the dashboard's queries use. */
export function dashboardMetrics(): string[] {
  const names = new Set<string>();
  for (const p of dashboardPanels()) for (const t of p.targets ?? []) for (const m of (t.expr ?? '').matchAll(/\btidepool_[a-z0-9_]+\b/g)) names.add(m[0]);
  return [...names].sort();
}

/** Which component's /metrics each prefix comes from (its deploy test scrapes it). */
export const METRIC_OWNERS: ReadonlyArray<[prefix: string, component: string]> = [
  ['tidepool_virtual_node_', 'virtual-node'],
  ['tidepool_federation_', 'capacity'],
  ['tidepool_scheduler_', 'scheduler'],
  ['tidepool_webhook_', 'webhook'],
  ['tidepool_batch_', 'batch-controller'],
  ['tidepool_eviction_', 'batch-controller'],
  ['tidepool_agent_', 'agent'],
  ['tidepool_kube_', 'virtual-node'],
];

export function ownerOf(metric: string): string | undefined {
  return METRIC_OWNERS.find(([p]) => metric.startsWith(p))?.[1];
}

/** The dashboard's metrics a component owns. */
export function dashboardMetricsOf(component: string): string[] {
  return dashboardMetrics().filter((m) => ownerOf(m) === component);
}

/** The series names an exposition text offers: each family, and a histogram's/summary's parts. */
export function exportedSeries(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    out.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) out.add(name + s);
  }
  return out;
}

/** The dashboard metrics of `component` that `/metrics` text does not offer. */
export function missingFromExport(component: string, metricsText: string): string[] {
  const offered = exportedSeries(metricsText);
  return dashboardMetricsOf(component).filter((m) => !offered.has(m));
}
