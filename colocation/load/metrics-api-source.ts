/**
 * Node load from metrics.k8s.io, for clusters without Tidepool agents. Every interval it reads
 * NodeMetrics and PodMetrics (two LISTs for the whole cluster, whatever its size) and turns them
 * into one sample per node:
 *
 * - cpu, memory: the node's usage. metrics.k8s.io memory is the working set (usage minus
 *   inactive file cache), never page cache, which the kernel gives back on demand.
 * - onlineCpu/onlineMemory: the sum of the online (and online-exclusive) pods' usage on that
 *   node. Chosen over "node minus offline pods" because the latter would count the node's own
 *   daemons as online load and then subtract them again as system usage.
 * - systemCpu/systemMemory: node usage minus every pod's usage, floored at 0. A pod that is not
 *   in the pod cache yet counts here, so it still lowers the batch capacity.
 *
 * A pod's node and QoS class (api's qosClassOf) come from a pod informer (PodMetrics carry
 * neither). The sample time is NodeMetrics' own timestamp, so metrics-server answering the same
 * old scrape again shows up as age, not as fresh data.
 */
import type { Registry } from 'prom-client';
import { qosClassOf, type QosPod, type TidepoolQos } from '../../api/index.js';
import { createInformer, parseResourceList, podFields, silentLogger, sleep, systemClock, type Clock, type FieldSchema, type KubeClient, type Logger, type RawObject } from '../../kube/index.js';
import { loadMetrics, type LoadMetrics } from './metrics.js';
import type { LoadStore } from './store.js';
import type { NodeLoadSample } from './types.js';

export const NODE_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/nodes';
export const POD_METRICS_PATH = '/apis/metrics.k8s.io/v1beta1/pods';

export interface MetricsApiSourceOptions {
  client: KubeClient;
  store: LoadStore;
  /** Poll period. Default 15 s (metrics-server's default resolution). */
  intervalMs?: number;
  logger?: Logger;
  registry?: Registry;
  clock?: Clock;
}

export interface PollResult {
  /** Nodes whose sample was added. */
  added: number;
  /** Nodes skipped: repeated scrape, an agent reports on them, or a malformed entry. */
  skipped: number;
}

export interface MetricsApiSource {
  /** Reads metrics.k8s.io now; rejects with what failed. The timer calls it too. */
  poll(): Promise<PollResult>;
  /** The last poll's error, undefined once a poll succeeds. */
  readonly lastError: string | undefined;
  stop(): Promise<void>;
}

interface MetricsList<T> {
  items?: T[];
}
interface NodeMetricsItem {
  metadata?: { name?: string };
  timestamp?: string;
  usage?: Record<string, string>;
}
interface PodMetricsItem {
  metadata?: { name?: string; namespace?: string };
  containers?: Array<{ name?: string; usage?: Record<string, string> }>;
}

/** What the source keeps of a pod: where it runs and its class. */
interface LoadPod {
  node: string;
  qos: TidepoolQos;
}

/** The fields qosClassOf reads, and the node. */
const LOAD_POD_FIELDS: FieldSchema = podFields({ metadata: { labels: true, annotations: true }, spec: { nodeName: true, priorityClassName: true } });

function projectLoadPod(raw: RawObject): LoadPod {
  const spec = raw['spec'] as { nodeName?: unknown } | undefined;
  return { node: typeof spec?.nodeName === 'string' ? spec.nodeName : '', qos: qosClassOf(raw as unknown as QosPod) };
}

interface Tally {
  onlineCpu: number;
  onlineMemory: number;
  podCpu: number;
  podMemory: number;
}

export function startMetricsApiSource(o: MetricsApiSourceOptions): MetricsApiSource {
  const intervalMs = o.intervalMs ?? 15_000;
  if (!(intervalMs >= 100)) throw new RangeError(`metrics.k8s.io source: intervalMs must be at least 100, got ${intervalMs}`);
  const log = o.logger ?? silentLogger;
  const clock = o.clock ?? systemClock;
  const metrics: LoadMetrics | undefined = o.registry ? loadMetrics(o.registry) : undefined;
  metrics?.stores.add(o.store);
  const pods = createInformer<LoadPod>({
    client: o.client,
    name: 'load-source-pods',
    resource: { version: 'v1', resource: 'pods' },
    // Finished pods use nothing; the API server leaves them out and the cache stays small.
    fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
    project: projectLoadPod,
    fields: LOAD_POD_FIELDS,
    logger: log,
  });
  pods.start();
  const abort = new AbortController();
  let lastError: string | undefined;

  const poll = async (): Promise<PollResult> => {
    const signal = abort.signal;
    const [nodeList, podList] = await Promise.all([
      o.client.requestJson<MetricsList<NodeMetricsItem>>({ path: NODE_METRICS_PATH, signal }),
      o.client.requestJson<MetricsList<PodMetricsItem>>({ path: POD_METRICS_PATH, signal }),
    ]);
    const tallies = new Map<string, Tally>();
    for (const pm of podList.items ?? []) {
      const ns = pm.metadata?.namespace;
      const name = pm.metadata?.name;
      if (!ns || !name) continue;
      const pod = pods.getByName(ns, name);
      if (!pod || pod.node === '') continue; // not known yet: its usage stays in the system share
      let cpu = 0;
      let memory = 0;
      try {
        for (const c of pm.containers ?? []) {
          const u = parseResourceList(c.usage, `PodMetrics ${ns}/${name} container ${c.name ?? '?'}`);
          cpu += u['cpu'] ?? 0;
          memory += u['memory'] ?? 0;
        }
      } catch (err) {
        log.warn({ err, pod: `${ns}/${name}` }, 'PodMetrics with a malformed usage skipped');
        continue;
      }
      const t = tallies.get(pod.node) ?? { onlineCpu: 0, onlineMemory: 0, podCpu: 0, podMemory: 0 };
      t.podCpu += cpu;
      t.podMemory += memory;
      if (pod.qos !== 'offline') {
        t.onlineCpu += cpu;
        t.onlineMemory += memory;
      }
      tallies.set(pod.node, t);
    }
    const result: PollResult = { added: 0, skipped: 0 };
    for (const nm of nodeList.items ?? []) {
      const sample = nodeSample(nm, tallies);
      if (typeof sample === 'string') {
        result.skipped++;
        metrics?.samples.inc({ source: 'metrics-api', outcome: 'invalid' });
        log.warn({ node: nm.metadata?.name }, `NodeMetrics skipped: ${sample}`);
        continue;
      }
      const outcome = o.store.add(sample);
      metrics?.samples.inc({ source: 'metrics-api', outcome });
      if (outcome === 'added') result.added++;
      else result.skipped++;
    }
    return result;
  };

  const loop = async (): Promise<void> => {
    const signal = abort.signal;
    // Without the pod cache every pod would look unknown and all usage would count as system.
    while (!signal.aborted && !(await pods.waitForSync({ signal, timeoutMs: intervalMs }))) {
      log.warn({}, 'metrics.k8s.io source: still waiting for the pod cache');
    }
    while (!signal.aborted) {
      try {
        await poll();
        if (lastError !== undefined) log.info({}, 'metrics.k8s.io readable again');
        lastError = undefined;
      } catch (err) {
        if (signal.aborted) return;
        metrics?.sourceErrors.inc({ source: 'metrics-api' });
        const message = (err as Error).message;
        // One line per change of trouble, not one per poll.
        if (message !== lastError) log.warn({ err }, 'cannot read metrics.k8s.io; node load data will age');
        lastError = message;
      }
      try {
        await sleep(intervalMs, signal, clock);
      } catch {
        return;
      }
    }
  };
  const running = loop();

  return {
    poll,
    get lastError() {
      return lastError;
    },
    async stop() {
      abort.abort();
      await running;
      await pods.stop();
      metrics?.stores.delete(o.store);
    },
  };
}

/** One node's sample, or why there is none. */
function nodeSample(nm: NodeMetricsItem, tallies: ReadonlyMap<string, Tally>): NodeLoadSample | string {
  const node = nm.metadata?.name;
  if (!node) return 'no metadata.name';
  const at = Date.parse(nm.timestamp ?? '');
  if (!Number.isFinite(at)) return `timestamp ${JSON.stringify(nm.timestamp)} is not a time`;
  let usage;
  try {
    usage = parseResourceList(nm.usage, `NodeMetrics ${node} usage`);
  } catch (err) {
    return (err as Error).message;
  }
  const cpu = usage['cpu'];
  const memory = usage['memory'];
  if (cpu === undefined || memory === undefined) return 'usage lacks cpu or memory';
  const t = tallies.get(node) ?? { onlineCpu: 0, onlineMemory: 0, podCpu: 0, podMemory: 0 };
  return {
    node,
    sampledAt: at,
    cpu,
    memory,
    onlineCpu: t.onlineCpu,
    onlineMemory: t.onlineMemory,
    systemCpu: Math.max(0, cpu - t.podCpu),
    systemMemory: Math.max(0, memory - t.podMemory),
    source: 'metrics-api',
  };
}
