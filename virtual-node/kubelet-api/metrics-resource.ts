/**
 * GET /metrics/resource: the kubelet's resource metrics in Prometheus text format, as
 * metrics-server scrapes them: node, pod and container cumulative CPU (core-seconds) and
 * working-set memory, container start times, and scrape_error / resource_scrape_error (1 when
 * some member's metrics could not be read). Samples carry explicit timestamps (ms), as the
 * kubelet's do: metrics-server computes CPU rates between two scrapes from them.
 *
 * Written by hand rather than with prom-client, which cannot attach timestamps.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestSignal, type EndpointContext, type KubeletRoute } from './context.js';
import type { Summary } from './summary.js';

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: string[];
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

export function metricsResourceRoute(ctx: EndpointContext): KubeletRoute {
  return {
    endpoint: 'metrics/resource',
    urls: ['/metrics/resource', '/metrics/resource/'],
    methods: ['GET'],
    async handler(_req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const { signal, dispose } = requestSignal(ctx, reply);
      try {
        const { summary, errors } = await ctx.summary.collect(signal);
        if (errors.length > 0) ctx.logger.warn({ errors }, 'kubelet API: resource metrics are missing pods whose member metrics could not be read');
        reply.code(200).type(PROMETHEUS_TEXT).send(renderResourceMetrics(summary, errors.length > 0));
      } finally {
        dispose();
      }
    },
  };
}

/** The Summary as the kubelet's resource metrics collector exposes it. */
export function renderResourceMetrics(summary: Summary, scrapeError: boolean): string {
  const family = (name: string, type: Family['type'], stability: string, help: string): Family => ({ name, help: `[${stability}] ${help}`, type, samples: [] });
  const nodeCpu = family('node_cpu_usage_seconds_total', 'counter', 'STABLE', 'Cumulative cpu time consumed by the node in core-seconds');
  const nodeMem = family('node_memory_working_set_bytes', 'gauge', 'STABLE', 'Current working set of the node in bytes');
  const ctrStart = family('container_start_time_seconds', 'gauge', 'STABLE', 'Start time of the container since unix epoch in seconds');
  const ctrCpu = family('container_cpu_usage_seconds_total', 'counter', 'STABLE', 'Cumulative cpu time consumed by the container in core-seconds');
  const ctrMem = family('container_memory_working_set_bytes', 'gauge', 'STABLE', 'Current working set of the container in bytes');
  const podCpu = family('pod_cpu_usage_seconds_total', 'counter', 'STABLE', 'Cumulative cpu time consumed by the pod in core-seconds');
  const podMem = family('pod_memory_working_set_bytes', 'gauge', 'STABLE', 'Current working set of the pod in bytes');
  const scrape = family('scrape_error', 'gauge', 'ALPHA', '(Deprecated since 1.29.0) 1 if there was an error while getting container metrics, 0 otherwise');
  const resourceScrape = family('resource_scrape_error', 'gauge', 'STABLE', '1 if there was an error while getting container metrics, 0 otherwise');

  const { node } = summary;
  if (node.cpu?.usageCoreNanoSeconds !== undefined) nodeCpu.samples.push(sample({}, node.cpu.usageCoreNanoSeconds / 1e9, node.cpu.time));
  if (node.memory?.workingSetBytes !== undefined) nodeMem.samples.push(sample({}, node.memory.workingSetBytes, node.memory.time));
  for (const pod of summary.pods) {
    const { name, namespace } = pod.podRef;
    for (const c of pod.containers) {
      const labels = { container: c.name, namespace, pod: name };
      const started = Date.parse(c.startTime);
      if (started > 0) ctrStart.samples.push(sample(labels, started / 1000));
      if (c.cpu?.usageCoreNanoSeconds !== undefined) ctrCpu.samples.push(sample(labels, c.cpu.usageCoreNanoSeconds / 1e9, c.cpu.time));
      if (c.memory?.workingSetBytes !== undefined) ctrMem.samples.push(sample(labels, c.memory.workingSetBytes, c.memory.time));
    }
    const labels = { namespace, pod: name };
    if (pod.cpu?.usageCoreNanoSeconds !== undefined) podCpu.samples.push(sample(labels, pod.cpu.usageCoreNanoSeconds / 1e9, pod.cpu.time));
    if (pod.memory?.workingSetBytes !== undefined) podMem.samples.push(sample(labels, pod.memory.workingSetBytes, pod.memory.time));
  }
  scrape.samples.push(sample({}, scrapeError ? 1 : 0));
  resourceScrape.samples.push(sample({}, scrapeError ? 1 : 0));

  let out = '';
  // Families in name order, as the kubelet's registry writes them.
  for (const f of [ctrCpu, ctrMem, ctrStart, nodeCpu, nodeMem, podCpu, podMem, resourceScrape, scrape]) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) out += `${f.name}${s}\n`;
  }
  return out;
}

/** One sample line after the metric name: labels, value and, when given, a timestamp in ms. */
function sample(labels: Record<string, string>, value: number, time?: string): string {
  const entries = Object.entries(labels);
  const l = entries.length > 0 ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
  const ts = time !== undefined ? Date.parse(time) : NaN;
  return `${l} ${formatValue(value)}${Number.isNaN(ts) ? '' : ` ${ts}`}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}
