/**
 * place(pod) → a member cluster (and the node the model holds its requests on), or the reason
 * each cluster said no.
 *
 * Shaped like kube-scheduler's cycle at cluster level: filter (health, namespace policy, cluster
 * taints, lendable idle after headroom, then "does one real node fit": resources incl. extended,
 * nodeSelector, required node affinity, node taints), score (policy + app affinity), reserve
 * (assume the requests in the model). place() is synchronous from filter to assume, so
 * concurrent placements on Node's one thread never see the same room twice.
 */
import type { ClusterModel, NodeState } from './cluster-model.js';
import { CPU_BOUNDS, bucketOf } from './histogram.js';
import { describeTaint, nodeSelectorMatches, nodeSelectorTermsMatch, untoleratedTaint } from '../kube/index.js';
import type { FederationModel } from './model.js';
import { cpuText, memText, resourceText } from './format.js';
import type { PlacementPod } from './pod.js';

/** What a score policy sees of one candidate cluster. */
export interface ScoreInput {
  cluster: ClusterModel;
  /** The pod's cpu (millicores) and memory (bytes) requests. */
  cpu: number;
  memory: number;
  /** Largest idle cpu / memory and weight among the clusters that fit (for normalising). */
  maxIdleCpu: number;
  maxIdleMemory: number;
  maxWeight: number;
}

/** One placement score policy: a name users pick (`--policy`) and a score, higher is better (≤ ~2). */
export interface ScorePolicyPlugin {
  readonly name: string;
  score(i: ScoreInput): number;
}

/** Idle capacity left after the pod, cpu and memory, each relative to the most idle cluster. */
function idleAfter(i: ScoreInput): number {
  return (i.cluster.idle('cpu') - i.cpu) / i.maxIdleCpu + (i.cluster.idle('memory') - i.memory) / i.maxIdleMemory;
}

/** The policies, one object each: a new one is one entry here. */
export const SCORE_POLICY_PLUGINS: readonly ScorePolicyPlugin[] = [
  { name: 'most-idle', score: idleAfter },
  {
    // Measured usage where metrics exist, requests otherwise.
    name: 'least-loaded',
    score: ({ cluster: c }) => {
      const used = c.usageCpu > 0 ? c.usageCpu : c.reqCpu;
      return c.allocCpu > 0 ? 1 - used / c.allocCpu : 0;
    },
  },
  { name: 'weighted', score: (i) => (i.maxWeight > 0 ? (i.cluster.policy.weight / i.maxWeight) * (1 + idleAfter(i) / 2) : 0) },
  { name: 'bin-pack', score: ({ cluster: c, cpu }) => (c.allocCpu > 0 ? (c.reqCpu + cpu) / c.allocCpu : 0) },
];

export type ScorePolicy = 'most-idle' | 'least-loaded' | 'weighted' | 'bin-pack';
export const SCORE_POLICIES: readonly ScorePolicy[] = SCORE_POLICY_PLUGINS.map((p) => p.name as ScorePolicy);

export type PlacementResult =
  | { ok: true; cluster: string; node: string; existing: boolean; score: number }
  | { ok: false; reasons: string[] };

export interface PlaceOptions {
  /** Hold the requests in the model (default true). false: a dry run. */
  assume?: boolean;
  /** Consider only these member clusters (a per-cluster virtual node). */
  clusters?: readonly string[];
}

/** Bonus that makes app affinity win over any policy score (scores are ≤ ~2). */
const APP_AFFINITY_BONUS = 100;

export class Placer {
  constructor(
    private readonly model: FederationModel,
    public policy: ScorePolicy = 'most-idle',
  ) {}

  place(pod: PlacementPod, opts: PlaceOptions = {}): PlacementResult {
    const only = opts.clusters;
    const clusters = only ? this.model.clusters().filter((c) => only.includes(c.name)) : this.model.clusters();
    // Idempotent: a pod already held (assumed or reported) stays where it is.
    for (const c of clusters) {
      const node = c.nodeOf(pod.key);
      if (node !== undefined) return { ok: true, cluster: c.name, node, existing: true, score: 0 };
    }
    const reasons: string[] = [];
    const fits: { c: ClusterModel; node: NodeState }[] = [];
    for (const c of clusters) {
      const r = this.filter(c, pod);
      if (typeof r === 'string') reasons.push(`${c.name}: ${r}`);
      else fits.push({ c, node: r });
    }
    if (fits.length === 0) return { ok: false, reasons: reasons.length ? reasons : ['no member clusters'] };

    const rc = pod.requests['cpu'] ?? 0;
    const rm = pod.requests['memory'] ?? 0;
    let maxIdleCpu = 1;
    let maxIdleMem = 1;
    let maxWeight = 0;
    for (const { c } of fits) {
      maxIdleCpu = Math.max(maxIdleCpu, c.idle('cpu'));
      maxIdleMem = Math.max(maxIdleMem, c.idle('memory'));
      maxWeight = Math.max(maxWeight, c.policy.weight);
    }
    const plugin = SCORE_POLICY_PLUGINS.find((p) => p.name === this.policy);
    if (!plugin) throw new Error(`placement: unknown score policy "${this.policy}" (known: ${SCORE_POLICIES.join(', ')})`);
    let best: { c: ClusterModel; node: NodeState; score: number } | undefined;
    for (const { c, node } of fits) {
      let score = plugin.score({ cluster: c, cpu: rc, memory: rm, maxIdleCpu, maxIdleMemory: maxIdleMem, maxWeight });
      if (pod.app?.role === 'worker' && c.leadersOf(pod.app.key) > 0) score += APP_AFFINITY_BONUS;
      if (!best || score > best.score) best = { c, node, score };
    }
    const chosen = best!;
    if (opts.assume !== false) {
      chosen.c.assume({
        key: pod.key,
        namespace: pod.namespace,
        nodeName: chosen.node.name,
        phase: 'Pending',
        requests: pod.requests,
        qos: pod.qos,
        lent: true,
        ...(pod.app ? { app: pod.app } : {}),
      });
    }
    return { ok: true, cluster: chosen.c.name, node: chosen.node.name, existing: false, score: chosen.score };
  }

  /** A node of `c` that can take the pod, or why none can. */
  private filter(c: ClusterModel, pod: PlacementPod): NodeState | string {
    if (!this.model.isReady(c.name)) return 'not ready';
    const p = c.policy;
    if (p.paused) return 'paused';
    if (p.namespaces.deny.includes(pod.namespace)) return `namespace ${pod.namespace} is denied`;
    if (p.namespaces.allow.length > 0 && !p.namespaces.allow.includes(pod.namespace)) return `namespace ${pod.namespace} is not allowed`;
    const taint = untoleratedTaint(p.taints, pod.tolerations);
    if (taint) return `cluster taint ${describeTaint(taint)} is not tolerated`;
    const rc = pod.requests['cpu'] ?? 0;
    const rm = pod.requests['memory'] ?? 0;
    if (p.maxPods !== undefined && c.lentPods >= p.maxPods) return `maxPods ${p.maxPods} lent already`;
    const overCap = p.maxCpu !== undefined && c.lentCpu + rc > p.maxCpu;
    // No untainted node at all: only tolerating pods can go here, and the node scan gives the
    // better reason (which taints, which nodes).
    if (c.schedulableCount === 0) {
      if (overCap) return `maxCPU ${cpuText(p.maxCpu!)} would be exceeded (${cpuText(c.lentCpu)} CPU lent)`;
      return this.findNode(c, pod, false) ?? this.explain(c, pod);
    }
    let short: string | undefined;
    if (c.idle('pods') < 1) short = 'no idle pod slots';
    else if (rc > c.idle('cpu')) short = `idle ${cpuText(c.idle('cpu'))} CPU after headroom${p.maxCpu !== undefined ? ' and maxCPU' : ''} < ${cpuText(rc)} CPU requested`;
    else if (rm > c.idle('memory')) short = `idle ${memText(c.idle('memory'))} memory after headroom < ${memText(rm)} memory requested`;
    if (short === undefined) return this.findNode(c, pod, false) ?? this.explain(c, pod);
    // Idle and its headroom count untainted nodes only. Tainted nodes the pod tolerates (GPU
    // pools, dedicated nodes) are room outside that pool, within the lending caps. Every pod
    // carries tolerations (Kubernetes adds not-ready/unreachable ones), so this path is only
    // taken when the cluster has such nodes and the idle pool said no.
    if (!overCap && c.taintedUsableCount > 0 && pod.tolerations.length > 0) {
      const node = this.findNode(c, pod, true);
      if (node) return node;
    }
    return short;
  }

  /** A usable node that fits, scanning only free-CPU buckets that can; `taintedOnly`: nodes outside the idle pool. */
  private findNode(c: ClusterModel, pod: PlacementPod, taintedOnly: boolean): NodeState | undefined {
    const rc = pod.requests['cpu'] ?? 0;
    const start = bucketOf(CPU_BOUNDS, rc);
    const b = c.buckets;
    if (this.policy === 'bin-pack') {
      // Tightest buckets first: fill nodes up, keep big slots whole for big pods.
      for (let i = start; i < b.length; i++) for (const n of b[i]!) if ((!taintedOnly || !n.cSchedulable) && nodeFits(n, pod)) return n;
    } else {
      for (let i = b.length - 1; i >= start; i--) for (const n of b[i]!) if ((!taintedOnly || !n.cSchedulable) && nodeFits(n, pod)) return n;
    }
    return undefined;
  }

  /** Why no node of `c` fits: the largest slot when one resource is short everywhere, else the counts. */
  private explain(c: ClusterModel, pod: PlacementPod): string {
    const counts = new Map<string, number>();
    const bump = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
    const largest = new Map<string, number>();
    let usable = 0;
    for (const bucket of c.buckets) {
      for (const n of bucket) {
        usable++;
        const t = untoleratedTaint(n.taints, pod.tolerations);
        if (t) {
          bump(`taint ${describeTaint(t)} not tolerated`);
          continue;
        }
        if (!nodeSelectorMatches(pod.nodeSelector, n.labels)) {
          bump("didn't match nodeSelector");
          continue;
        }
        if (pod.affinityTerms.length > 0 && !nodeSelectorTermsMatch(pod.affinityTerms, n.name, n.labels)) {
          bump("didn't match node affinity");
          continue;
        }
        for (const [res, want] of Object.entries(pod.requests)) {
          if (want <= 0) continue;
          const free = res === 'cpu' ? n.freeCpu() : res === 'memory' ? n.freeMem() : res === 'pods' ? n.freePods() : n.freeExt(res);
          largest.set(res, Math.max(largest.get(res) ?? 0, free));
        }
        largest.set('pods', Math.max(largest.get('pods') ?? 0, n.freePods()));
        const short = shortOf(n, pod);
        if (short) bump(`insufficient ${short}`);
      }
    }
    if (usable === 0) return 'no ready schedulable nodes';
    const eligible = usable - [...counts.entries()].filter(([k]) => !k.startsWith('insufficient')).reduce((s, [, v]) => s + v, 0);
    if (eligible > 0) {
      for (const [res, want] of Object.entries({ ...pod.requests, pods: 1 })) {
        const big = largest.get(res) ?? 0;
        if (want > 0 && big < want) return `largest free slot ${resourceText(res, big)} < ${resourceText(res, want)} requested`;
      }
    }
    const detail = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v} ${k}`).join(', ');
    return `0/${usable} nodes fit: ${detail}`;
  }
}

function shortOf(n: NodeState, pod: PlacementPod): string | undefined {
  if (n.freePods() < 1) return 'pods';
  for (const res in pod.requests) {
    const want = pod.requests[res]!;
    if (want <= 0) continue;
    const free = res === 'cpu' ? n.freeCpu() : res === 'memory' ? n.freeMem() : res === 'pods' ? n.freePods() : n.freeExt(res);
    if (free < want) return res;
  }
  return undefined;
}

/** The whole per-node predicate: resources (incl. extended), selector, affinity, taints. */
export function nodeFits(n: NodeState, pod: PlacementPod): boolean {
  return (
    shortOf(n, pod) === undefined &&
    nodeSelectorMatches(pod.nodeSelector, n.labels) &&
    (pod.affinityTerms.length === 0 || nodeSelectorTermsMatch(pod.affinityTerms, n.name, n.labels)) &&
    (n.taints.length === 0 || untoleratedTaint(n.taints, pod.tolerations) === undefined)
  );
}
