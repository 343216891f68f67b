// Tidepool's colocation parts for one simulated cluster of the utilization trace, as an operator
// runs them: node load from metrics.k8s.io into a LoadStore, the batch capacity controller
// publishing kubernetes.io/batch-cpu|memory, the load-aware scheduler (tidepool-scheduler) and
// offline eviction — all on the sim's clock, so their windows, timeouts and backoffs keep their
// simulated meaning at any time scale — and the admission webhook's mutation of offline pods.
// (The leading underscore keeps test/bench/run.ts from taking it for a suite.)
import jsonpatch from 'fast-json-patch';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { BATCH_CPU, BATCH_MEMORY, type ColocationPolicySpec } from '../../api/index.js';
import { startBatchController, staticPolicySource, type BatchController } from '../../colocation/batch/index.js';
import { startEvictionController, type EvictionController } from '../../colocation/eviction/index.js';
import { LoadStore, startMetricsApiSource, type MetricsApiSource } from '../../colocation/load/index.js';
import { startScheduler, type RunningScheduler, type SettingsInput } from '../../colocation/scheduler/index.js';
import { mutatePod } from '../../colocation/webhook/index.js';
import { KubeClient } from '../../kube/index.js';
import type { KubeObject, Sim, SimClock } from '../../sim/index.js';

type Obj = Record<string, unknown>;

/** The priority class the webhook gives offline pods (deploy/ creates it; the sim does not). */
export const OFFLINE_PRIORITY_CLASS_BODY: Readonly<KubeObject> = {
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name: 'tidepool-offline' },
  value: -100,
  preemptionPolicy: 'Never',
  description: 'Offline batch work on reclaimed capacity.',
};

/** How the colocation parts run in the trace (simulated ms unless said otherwise). */
export interface StackSettings {
  policy: ColocationPolicySpec;
  metricsIntervalMs: number;
  /** Batch figures: a write at least this often even when they hardly move. */
  batchMaxQuietMs: number;
  evictionSustainMs: number;
  evictionCooldownMs: number;
  evictionBackoffMs: number;
  scheduler: SettingsInput;
}

/** What the webhook does to a pod at admission: its JSON patch applied (a pod it leaves alone comes back as is). */
export function admitWithWebhook(pod: KubeObject): KubeObject {
  const m = mutatePod(pod);
  if (m.patch.length === 0) return pod;
  return jsonpatch.applyPatch(pod, m.patch as jsonpatch.Operation[], false, false).newDocument;
}

/** A gang's worker reservation in the currency offline workers are scheduled in after the webhook. */
export function batchWorkerRequests(cpuMilli: number, memoryBytes: number): Record<string, number> {
  return { [BATCH_CPU]: cpuMilli, [BATCH_MEMORY]: memoryBytes };
}

export interface ClusterStack {
  cluster: string;
  client: KubeClient;
  load: LoadStore;
  source: MetricsApiSource;
  batch: BatchController;
  scheduler: RunningScheduler;
  eviction: EvictionController;
  registry: Registry;
}

/** Requests the colocation parts sent, by verb and what they were about (for the trace's log). */
export const requestCounts = new Map<string, number>();

function requestKind(method: string, path: string): string {
  const p = path.split('?')[0]!.replace(/\/namespaces\/[^/]+/, '').replace(/^\/apis?\/([^/]+\/)?v[^/]+\//, '');
  const parts = p.split('/');
  // pods/<name>/binding → pods/binding; nodes/<name> → nodes/name
  const kind = parts.length >= 3 ? `${parts[0]}/${parts[2]}` : parts.length === 2 ? `${parts[0]}/name` : parts[0]!;
  return `${method} ${kind}`;
}

export function simClient(sim: Sim, context: string): KubeClient {
  return new KubeClient({
    config: { kind: 'inline', text: sim.kubeconfig, context },
    cluster: context,
    qps: 5000,
    burst: 5000,
    timeoutMs: 30_000,
    onRequest: (e) => {
      const k = requestKind(e.method, e.path);
      requestCounts.set(k, (requestCounts.get(k) ?? 0) + 1);
    },
  });
}

/** Starts the parts for one cluster; stop them with stopStack. */
export async function startStack(sim: Sim, cluster: string, s: StackSettings, clock: SimClock): Promise<ClusterStack> {
  const client = simClient(sim, cluster);
  const registry = new Registry();
  const logger = pino({ level: 'silent' });
  const policies = staticPolicySource(s.policy, 'trace');
  const load = new LoadStore({ clock, retentionMs: Math.max(15 * 60_000, s.policy.usageWindowSeconds * 1000 * 2) });
  const source = startMetricsApiSource({ client, store: load, intervalMs: s.metricsIntervalMs, clock });
  const batch = startBatchController({ client, load, policies, leaderElection: false, clock, publish: { maxQuietMs: s.batchMaxQuietMs } });
  const eviction = startEvictionController({
    client,
    load,
    policies,
    leaderElection: false,
    clock,
    sustainMs: s.evictionSustainMs,
    cooldownMs: s.evictionCooldownMs,
    backoffMs: s.evictionBackoffMs,
  });
  const scheduler = await startScheduler({ client, load, policy: policies, registry, logger, leaderElection: false, clock, podGroups: false, settings: { scheduledEvents: false, ...s.scheduler } });
  return { cluster, client, load, source, batch, scheduler, eviction, registry };
}

export async function stopStack(st: ClusterStack): Promise<void> {
  await st.scheduler.stop();
  await Promise.all([st.eviction.stop(), st.batch.stop(), st.source.stop()]);
  st.client.close();
}

/** Every simulated node of the cluster shows batch capacity (the trace may start). */
export function batchPublishedEverywhere(sim: Sim, cluster: string): boolean {
  const c = sim.cluster(cluster);
  const nodesRt = c.api.registry.lookup('', 'v1', 'nodes')!;
  return c.fleet.nodeNames().every((n) => {
    const o = c.api.tryGet(nodesRt, '', n);
    if (!o) return false;
    const alloc = ((c.api.parse(o)['status'] as Obj | undefined)?.['allocatable'] ?? {}) as Record<string, string>;
    return alloc[BATCH_CPU] !== undefined;
  });
}
