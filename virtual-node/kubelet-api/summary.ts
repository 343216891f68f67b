/**
 * The kubelet Summary API (stats/v1alpha1) for a virtual node, built from the member clusters:
 * for each served pod that has a mirror, the mirror's PodMetrics from the member's
 * metrics.k8s.io (`GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods/{name}`) becomes the
 * host pod's PodStats (named and uid'd as the host pod), and the node's figures are the sum
 * of its pods: a virtual node has no other use of its capacity.
 *
 * Only CPU and memory are known (metrics.k8s.io has nothing else): working set is reported as
 * both workingSetBytes and usageBytes, and cumulative CPU comes from CpuIntegrator. An
 * endpoint shared by several virtual nodes reports them as one node (named after the first);
 * give each node its own endpoint for per-node figures.
 */
import { tryParseQuantity, toUnits, type Clock, type KubeClient, type RawObject } from '../../kube/index.js';
import { CpuIntegrator } from './cpu-integrator.js';
import { isRecord, type PodDirectory, type ServedPod } from './pod-directory.js';

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

export interface MemoryStats {
  time: string;
  usageBytes?: number;
  workingSetBytes?: number;
}

export interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime?: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface NodeStats {
  nodeName: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

export interface CollectedSummary {
  summary: Summary;
  /** What could not be read (a member unreachable, a bad answer), one line each; empty when all went well. */
  errors: string[];
}

export interface SummaryCollectorOptions {
  pods: PodDirectory;
  clock: Clock;
  /** When the node "started" (epoch ms): the Summary's node startTime and the origin of its CPU counter. */
  nodeStartTime: number;
  /** Metrics requests in flight at once, across members. Default 8. */
  concurrency?: number;
  /** Deadline of one metrics request. Default 5 s (a scraper waits for the slowest member). */
  timeoutMs?: number;
}

interface PodMetricsObject {
  containers?: Array<{ name?: unknown; usage?: { cpu?: unknown; memory?: unknown } }>;
}

const NODE_SERIES = '\u0000node';

export class SummaryCollector {
  private readonly cpu = new CpuIntegrator();
  private readonly concurrency: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: SummaryCollectorOptions) {
    this.concurrency = opts.concurrency ?? 8;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
  }

  async collect(signal?: AbortSignal): Promise<CollectedSummary> {
    const nodes = this.opts.pods.nodes();
    const served = this.opts.pods.pods();
    const errors: string[] = [];
    const fetched = await mapBounded(served, this.concurrency, (pod) => this.fetchPod(pod, errors, signal));
    const now = this.opts.clock.now();
    const time = new Date(now).toISOString();
    const pods: PodStats[] = [];
    let nodeNanoCores = 0;
    let nodeBytes = 0;
    for (const [i, metrics] of fetched.entries()) {
      if (!metrics) continue;
      const pod = served[i]!;
      const stats = this.podStats(pod, metrics, now, time);
      pods.push(stats);
      nodeNanoCores += stats.cpu?.usageNanoCores ?? 0;
      nodeBytes += stats.memory?.workingSetBytes ?? 0;
    }
    const node: NodeStats = {
      nodeName: nodes[0] ?? '',
      startTime: new Date(this.opts.nodeStartTime).toISOString(),
      cpu: { time, usageNanoCores: nodeNanoCores, usageCoreNanoSeconds: this.cpu.observe(NODE_SERIES, nodeNanoCores, now, this.opts.nodeStartTime) },
      memory: { time, usageBytes: nodeBytes, workingSetBytes: nodeBytes },
    };
    this.cpu.prune(now);
    return { summary: { node, pods }, errors };
  }

  /** The mirror's PodMetrics, or undefined when it has none (not running, not placed) or it could not be read. */
  private async fetchPod(pod: ServedPod, errors: string[], signal: AbortSignal | undefined): Promise<PodMetricsObject | undefined> {
    const mirror = this.opts.pods.mirrorOf(pod.namespace, pod.name);
    if (!mirror) return undefined;
    try {
      return await fetchPodMetrics(mirror.client, mirror.namespace, mirror.name, this.timeoutMs, signal);
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return undefined;
      errors.push(`pod ${pod.namespace}/${pod.name} (mirror ${mirror.namespace}/${mirror.name} in member cluster ${mirror.cluster}): ${(err as Error).message}`);
      return undefined;
    }
  }

  private podStats(pod: ServedPod, metrics: PodMetricsObject, now: number, time: string): PodStats {
    const uid = pod.pod.metadata?.uid ?? '';
    const podStart = podStartTime(pod.pod);
    const containers: ContainerStats[] = [];
    let podNanoCores = 0;
    let podBytes = 0;
    for (const c of metrics.containers ?? []) {
      if (typeof c.name !== 'string') continue;
      const nanoCores = quantityNanos(c.usage?.cpu);
      const bytes = quantityUnits(c.usage?.memory);
      const started = containerStartTime(pod.pod, c.name) ?? podStart ?? now;
      const stats: ContainerStats = { name: c.name, startTime: new Date(started).toISOString() };
      if (nanoCores !== undefined) {
        stats.cpu = { time, usageNanoCores: nanoCores, usageCoreNanoSeconds: this.cpu.observe(`${uid}/${pod.namespace}/${pod.name}/${c.name}`, nanoCores, now, started) };
        podNanoCores += nanoCores;
      }
      if (bytes !== undefined) {
        stats.memory = { time, usageBytes: bytes, workingSetBytes: bytes };
        podBytes += bytes;
      }
      containers.push(stats);
    }
    const podStarted = podStart ?? now;
    return {
      podRef: { name: pod.name, namespace: pod.namespace, uid },
      startTime: new Date(podStarted).toISOString(),
      containers,
      cpu: { time, usageNanoCores: podNanoCores, usageCoreNanoSeconds: this.cpu.observe(`${uid}/${pod.namespace}/${pod.name}`, podNanoCores, now, podStarted) },
      memory: { time, usageBytes: podBytes, workingSetBytes: podBytes },
    };
  }
}

function fetchPodMetrics(client: KubeClient, namespace: string, name: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<PodMetricsObject> {
  return client.requestJson<PodMetricsObject>({
    path: `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
    timeoutMs,
    // A scrape comes again in seconds; retrying a slow member would only hold this one up.
    retry: false,
    ...(signal ? { signal } : {}),
  });
}

function quantityNanos(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const q = tryParseQuantity(v);
  return q && q.nanos >= 0n ? Number(q.nanos) : undefined;
}

function quantityUnits(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const q = tryParseQuantity(v);
  return q && q.nanos >= 0n ? toUnits(q) : undefined;
}

function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The host pod's start: status.startTime (synced back from the mirror), else its creation. */
function podStartTime(pod: RawObject): number | undefined {
  const status = isRecord(pod['status']) ? pod['status'] : {};
  return timeOf(status['startTime']) ?? timeOf(pod.metadata?.['creationTimestamp']);
}

function containerStartTime(pod: RawObject, container: string): number | undefined {
  const status = isRecord(pod['status']) ? pod['status'] : {};
  for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    const list = status[key];
    if (!Array.isArray(list)) continue;
    for (const cs of list) {
      if (!isRecord(cs) || cs['name'] !== container) continue;
      const state = isRecord(cs['state']) ? cs['state'] : {};
      const running = isRecord(state['running']) ? state['running'] : {};
      return timeOf(running['startedAt']);
    }
  }
  return undefined;
}

/** fn over items with at most `limit` calls running at once; results in item order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}
