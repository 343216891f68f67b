/**
 * One member cluster's capacity, kept incrementally from CapacityEvents.
 *
 * Every event touches one node: the node's contribution to the cluster figures is taken out,
 * the node changes, and its new contribution is put back — O(1) sums, O(log n) for the largest
 * free slot (CountedMax), O(1) for the histogram and the free-CPU buckets placement scans. No
 * event ever walks the cluster; `recount` in oracle.ts does, and only tests call it.
 */
import { isVirtualNodeLabels } from '../api/index.js';
import type { ResourceAmounts } from '../kube/index.js';
import { CountedMax } from './counted-max.js';
import { CPU_BOUNDS, MEMORY_BOUNDS, bucketOf } from './histogram.js';
import { untoleratedTaint } from '../kube/index.js';
import type {
  CapacityEvent,
  CapacitySink,
  ClusterCapacity,
  ClusterPolicy,
  NodeCapacity,
  NodeInfo,
  NodeUsage,
  PodInfo,
  ResourceFigures,
  Taint,
} from './types.js';
import { DEFAULT_POLICY } from './types.js';


const TERMINAL = new Set(['Succeeded', 'Failed']);
const CORE = new Set(['cpu', 'memory', 'pods']);

/** A node as the model holds it. Fields are read by placement; only the model writes them. */
export class NodeState {
  present = false;
  virtual = false;
  ready = false;
  unschedulable = false;
  labels: Readonly<Record<string, string>> = {};
  taints: readonly Taint[] = [];
  allocCpu = 0;
  allocMem = 0;
  allocPods = 0;
  allocExt: ResourceAmounts | undefined;
  reqCpu = 0;
  reqMem = 0;
  reqPods = 0;
  reqExt: ResourceAmounts | undefined;
  /** Requests of lent (placed by Tidepool) pods on this node, part of req*. */
  lentCpu = 0;
  lentMem = 0;
  lentPods = 0;
  usage: NodeUsage | null = null;
  /** Pods attributed to this node (kept even while the node is absent: pods may come first). */
  podCount = 0;
  // What attach() added, so detach() takes out exactly that.
  cCounted = false;
  cSchedulable = false;
  cTainted = false;
  cBucket = -1;
  cFreeCpu = 0;
  cFreeMem = 0;
  cFreePods = 0;
  cBatchCpu = 0;
  cBatchMem = 0;
  cHistCpu = 0;
  cHistMem = 0;

  constructor(readonly name: string) {}

  /** Ready, not cordoned, a real node: placement may scan it (taints are checked per pod). */
  get usable(): boolean {
    return this.present && !this.virtual && this.ready && !this.unschedulable;
  }

  freeCpu(): number {
    return Math.max(0, this.allocCpu - this.reqCpu);
  }
  freeMem(): number {
    return Math.max(0, this.allocMem - this.reqMem);
  }
  freePods(): number {
    return Math.max(0, this.allocPods - this.reqPods);
  }
  freeExt(name: string): number {
    return Math.max(0, (this.allocExt?.[name] ?? 0) - (this.reqExt?.[name] ?? 0));
  }
}

interface PodRecord {
  node: string | undefined;
  namespace: string;
  cpu: number;
  mem: number;
  ext: ResourceAmounts | undefined;
  lent: boolean;
  assumed: boolean;
  assumedAt: number;
  appKey: string | undefined;
  appRole: 'leader' | 'worker' | undefined;
}

export class ClusterModel implements CapacitySink {
  readonly nodes = new Map<string, NodeState>();
  private readonly pods = new Map<string, PodRecord>();
  /** Usable nodes by free-CPU bucket: placement scans only the buckets that can fit. */
  readonly buckets: Set<NodeState>[] = CPU_BOUNDS.map(() => new Set<NodeState>());
  private readonly maxCpu = new CountedMax();
  private readonly maxMem = new CountedMax();
  private readonly maxPods = new CountedMax();
  private readonly histCpu = CPU_BOUNDS.map(() => 0);
  private readonly histMem = MEMORY_BOUNDS.map(() => 0);
  private readonly virtualNodes = new Set<string>();
  /** Leader pods per app key (Spark driver, Flink jobmanager). */
  private readonly appLeaders = new Map<string, number>();

  // Sums over counted (present, real) nodes.
  nodeCount = 0;
  schedulableCount = 0;
  /** Usable nodes left out of idle by a NoSchedule/NoExecute taint (tolerating pods may use them). */
  taintedUsableCount = 0;
  allocCpu = 0;
  allocMem = 0;
  allocPods = 0;
  reqCpu = 0;
  reqMem = 0;
  reqPods = 0;
  usageCpu = 0;
  usageMem = 0;
  // Sums over schedulable nodes.
  freeCpu = 0;
  freeMem = 0;
  freePods = 0;
  batchCpu = 0;
  batchMem = 0;
  /** Lent requests on schedulable nodes: with free, the cluster's own idle that headroom is a share of. */
  lentSchedCpu = 0;
  lentSchedMem = 0;
  lentSchedPods = 0;
  // Sums over lent (placed by Tidepool) and assumed pods, whatever their node.
  lentCpu = 0;
  lentMem = 0;
  lentPods = 0;
  /** Bumped on every change; the page and the metrics read it to know something moved. */
  generation = 0;

  constructor(
    readonly name: string,
    private policyValue: ClusterPolicy = DEFAULT_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  get policy(): ClusterPolicy {
    return this.policyValue;
  }

  /** New policy; the reclaim threshold feeds per-node batch figures, so nodes are re-attached (O(n), rare). */
  setPolicy(policy: ClusterPolicy): void {
    const rethreshold = policy.reclaimThreshold !== this.policyValue.reclaimThreshold;
    if (rethreshold) for (const n of this.nodes.values()) this.detach(n);
    this.policyValue = policy;
    if (rethreshold) for (const n of this.nodes.values()) this.attach(n);
    this.generation++;
  }

  apply(ev: CapacityEvent): void {
    switch (ev.kind) {
      case 'node-upsert':
        this.upsertNode(ev.node);
        break;
      case 'node-delete':
        this.deleteNode(ev.name);
        break;
      case 'pod-upsert':
        this.upsertPod(ev.pod, false);
        break;
      case 'pod-delete':
        this.deletePod(ev.key);
        break;
      case 'node-usage':
        this.setUsage(ev.name, ev.usage);
        break;
    }
    this.generation++;
  }

  replace(nodes: readonly NodeInfo[], pods: readonly PodInfo[]): void {
    // Assumed pods the member has not reported yet survive a relist: they are still on their way.
    const assumed = [...this.pods.entries()].filter(([, r]) => r.assumed);
    const usage = new Map([...this.nodes.values()].filter((n) => n.usage).map((n) => [n.name, n.usage!]));
    for (const n of this.nodes.values()) this.detach(n);
    this.nodes.clear();
    this.pods.clear();
    this.appLeaders.clear();
    this.lentCpu = this.lentMem = this.lentPods = 0;
    for (const n of nodes) {
      this.upsertNode(n);
      const u = usage.get(n.name);
      if (u) this.setUsage(n.name, u);
    }
    for (const p of pods) this.upsertPod(p, false);
    for (const [key, r] of assumed) if (!this.pods.has(key)) this.attribute(key, r);
    this.generation++;
  }

  /**
   * Holds a placed pod's requests on `pod.nodeName` until the member reports the pod, so the
   * next placement sees them taken. Synchronous: two placements cannot both see the same room.
   */
  assume(pod: PodInfo): void {
    this.upsertPod({ ...pod, lent: true }, true);
    this.generation++;
  }

  /** Drops an assumption (the placement was abandoned). A reported pod is left alone. */
  forget(key: string): void {
    const r = this.pods.get(key);
    if (r?.assumed) {
      this.unattribute(key, r);
      this.generation++;
    }
  }

  /** Drops assumptions older than ttlMs that the member never confirmed; returns their keys. */
  expireAssumed(ttlMs: number): string[] {
    const cutoff = this.now() - ttlMs;
    const out: string[] = [];
    for (const [key, r] of this.pods) if (r.assumed && r.assumedAt <= cutoff) out.push(key);
    for (const key of out) this.forget(key);
    return out;
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  hasPod(key: string): boolean {
    return this.pods.has(key);
  }

  /** The node a pod is held on (reported or assumed). */
  nodeOf(key: string): string | undefined {
    return this.pods.get(key)?.node;
  }

  leadersOf(appKey: string): number {
    return this.appLeaders.get(appKey) ?? 0;
  }

  // ------------------------------------------------------------------ nodes

  private nodeState(name: string): NodeState {
    let n = this.nodes.get(name);
    if (!n) {
      n = new NodeState(name);
      this.nodes.set(name, n);
    }
    return n;
  }

  private upsertNode(info: NodeInfo): void {
    const n = this.nodeState(info.name);
    this.detach(n);
    n.present = true;
    // A virtual-kubelet node is never capacity: two Tidepools must not multiply it.
    n.virtual = isVirtualNodeLabels(info.labels);
    n.ready = info.ready;
    n.unschedulable = info.unschedulable;
    n.labels = info.labels;
    n.taints = info.taints;
    const a = info.allocatable;
    n.allocCpu = a['cpu'] ?? 0;
    n.allocMem = a['memory'] ?? 0;
    n.allocPods = a['pods'] ?? 0;
    n.allocExt = extOf(a);
    this.attach(n);
  }

  private deleteNode(name: string): void {
    const n = this.nodes.get(name);
    if (!n) return;
    this.detach(n);
    n.present = false;
    n.usage = null;
    if (n.podCount === 0) this.nodes.delete(name);
    else this.attach(n); // absent: contributes nothing, keeps its pods' requests for when it returns
  }

  private setUsage(name: string, usage: NodeUsage): void {
    const n = this.nodes.get(name);
    if (!n?.present) return; // metrics for a node we do not know (yet): the next sample will do
    this.detach(n);
    n.usage = usage;
    this.attach(n);
  }

  /** Adds the node's contribution to every figure and index. */
  private attach(n: NodeState): void {
    if (!n.present) return;
    if (n.virtual) {
      this.virtualNodes.add(n.name);
      return;
    }
    n.cCounted = true;
    this.nodeCount++;
    this.allocCpu += n.allocCpu;
    this.allocMem += n.allocMem;
    this.allocPods += n.allocPods;
    this.reqCpu += n.reqCpu;
    this.reqMem += n.reqMem;
    this.reqPods += n.reqPods;
    if (n.usage) {
      this.usageCpu += n.usage.cpu;
      this.usageMem += n.usage.memory;
    }
    const fc = n.freeCpu();
    const fm = n.freeMem();
    const fp = n.freePods();
    if (n.usable) {
      n.cBucket = bucketOf(CPU_BOUNDS, fc);
      this.buckets[n.cBucket]!.add(n);
    }
    // Schedulable for the pool: usable and no NoSchedule/NoExecute taint (a plain pod could go there).
    const tainted = n.taints.length > 0 && untoleratedTaint(n.taints, []) !== undefined;
    if (n.usable && tainted) {
      n.cTainted = true;
      this.taintedUsableCount++;
    }
    if (n.usable && !tainted) {
      n.cSchedulable = true;
      this.schedulableCount++;
      n.cFreeCpu = fc;
      n.cFreeMem = fm;
      n.cFreePods = fp;
      this.freeCpu += fc;
      this.freeMem += fm;
      this.freePods += fp;
      this.lentSchedCpu += n.lentCpu;
      this.lentSchedMem += n.lentMem;
      this.lentSchedPods += n.lentPods;
      this.maxCpu.add(fc);
      this.maxMem.add(fm);
      this.maxPods.add(fp);
      n.cHistCpu = n.cBucket; // bucketOf(CPU_BOUNDS, fc), computed above for every usable node
      n.cHistMem = bucketOf(MEMORY_BOUNDS, fm);
      this.histCpu[n.cHistCpu]!++;
      this.histMem[n.cHistMem]!++;
      const thr = this.policyValue.reclaimThreshold;
      n.cBatchCpu = n.usage ? Math.max(0, Math.floor(n.allocCpu * thr) - n.usage.cpu) : 0;
      n.cBatchMem = n.usage ? Math.max(0, Math.floor(n.allocMem * thr) - n.usage.memory) : 0;
      this.batchCpu += n.cBatchCpu;
      this.batchMem += n.cBatchMem;
    }
  }

  /** Takes out exactly what attach() put in. */
  private detach(n: NodeState): void {
    this.virtualNodes.delete(n.name);
    if (!n.cCounted) return;
    n.cCounted = false;
    this.nodeCount--;
    this.allocCpu -= n.allocCpu;
    this.allocMem -= n.allocMem;
    this.allocPods -= n.allocPods;
    this.reqCpu -= n.reqCpu;
    this.reqMem -= n.reqMem;
    this.reqPods -= n.reqPods;
    if (n.usage) {
      this.usageCpu -= n.usage.cpu;
      this.usageMem -= n.usage.memory;
    }
    if (n.cBucket >= 0) {
      this.buckets[n.cBucket]!.delete(n);
      n.cBucket = -1;
    }
    if (n.cTainted) {
      n.cTainted = false;
      this.taintedUsableCount--;
    }
    if (n.cSchedulable) {
      n.cSchedulable = false;
      this.schedulableCount--;
      this.freeCpu -= n.cFreeCpu;
      this.freeMem -= n.cFreeMem;
      this.freePods -= n.cFreePods;
      this.lentSchedCpu -= n.lentCpu;
      this.lentSchedMem -= n.lentMem;
      this.lentSchedPods -= n.lentPods;
      this.maxCpu.remove(n.cFreeCpu);
      this.maxMem.remove(n.cFreeMem);
      this.maxPods.remove(n.cFreePods);
      this.histCpu[n.cHistCpu]!--;
      this.histMem[n.cHistMem]!--;
      this.batchCpu -= n.cBatchCpu;
      this.batchMem -= n.cBatchMem;
    }
  }

  // ------------------------------------------------------------------ pods

  private upsertPod(pod: PodInfo, assumed: boolean): void {
    const old = this.pods.get(pod.key);
    let node = pod.nodeName || undefined;
    // The member reports a pod we placed before its scheduler bound it: keep holding the
    // assumed node, or a concurrent placement could take that room meanwhile.
    if (!assumed && old && !node && (old.assumed || old.node !== undefined)) node = old.node;
    if (old) this.unattribute(pod.key, old);
    if (TERMINAL.has(pod.phase)) return;
    const r = pod.requests;
    const rec: PodRecord = {
      node,
      namespace: pod.namespace,
      cpu: r['cpu'] ?? 0,
      mem: r['memory'] ?? 0,
      ext: extOf(r),
      lent: pod.lent || assumed,
      assumed,
      assumedAt: assumed ? this.now() : 0,
      appKey: pod.app?.key,
      appRole: pod.app?.role,
    };
    this.attribute(pod.key, rec);
  }

  private deletePod(key: string): void {
    const old = this.pods.get(key);
    if (old) this.unattribute(key, old);
  }

  private attribute(key: string, r: PodRecord): void {
    this.pods.set(key, r);
    if (r.node !== undefined) {
      const n = this.nodeState(r.node);
      this.detach(n);
      n.reqCpu += r.cpu;
      n.reqMem += r.mem;
      n.reqPods += 1;
      if (r.lent) {
        n.lentCpu += r.cpu;
        n.lentMem += r.mem;
        n.lentPods += 1;
      }
      if (r.ext) n.reqExt = addInto(n.reqExt ?? {}, r.ext, 1);
      n.podCount++;
      this.attach(n);
    }
    if (r.lent) {
      this.lentCpu += r.cpu;
      this.lentMem += r.mem;
      this.lentPods++;
    }
    if (r.appKey !== undefined && r.appRole === 'leader') this.appLeaders.set(r.appKey, (this.appLeaders.get(r.appKey) ?? 0) + 1);
  }

  private unattribute(key: string, r: PodRecord): void {
    this.pods.delete(key);
    if (r.node !== undefined) {
      const n = this.nodes.get(r.node);
      if (n) {
        this.detach(n);
        n.reqCpu -= r.cpu;
        n.reqMem -= r.mem;
        n.reqPods -= 1;
        if (r.lent) {
          n.lentCpu -= r.cpu;
          n.lentMem -= r.mem;
          n.lentPods -= 1;
        }
        if (r.ext && n.reqExt) addInto(n.reqExt, r.ext, -1);
        n.podCount--;
        if (!n.present && n.podCount === 0) this.nodes.delete(n.name);
        else this.attach(n);
      }
    }
    if (r.lent) {
      this.lentCpu -= r.cpu;
      this.lentMem -= r.mem;
      this.lentPods--;
    }
    if (r.appKey !== undefined && r.appRole === 'leader') {
      const c = (this.appLeaders.get(r.appKey) ?? 1) - 1;
      if (c <= 0) this.appLeaders.delete(r.appKey);
      else this.appLeaders.set(r.appKey, c);
    }
  }

  // ------------------------------------------------------------------ figures

  largestSlot(resource: 'cpu' | 'memory' | 'pods'): number {
    return resource === 'cpu' ? this.maxCpu.max() : resource === 'memory' ? this.maxMem.max() : this.maxPods.max();
  }

  /** Idle capacity lendable now: free on schedulable nodes, minus headroom, within the lending caps. */
  idle(resource: 'cpu' | 'memory' | 'pods'): number {
    const p = this.policyValue;
    const raw = resource === 'cpu' ? this.freeCpu : resource === 'memory' ? this.freeMem : this.freePods;
    const lentHere = resource === 'cpu' ? this.lentSchedCpu : resource === 'memory' ? this.lentSchedMem : this.lentSchedPods;
    // A fractional headroom is a share of the cluster's own idle capacity: what would be free on
    // its schedulable nodes without Tidepool's pods. Taken of today's free alone, it would
    // shrink as we lend.
    let v = p.headroom.fraction !== undefined ? raw - Math.ceil((raw + lentHere) * p.headroom.fraction) : raw;
    if (resource === 'cpu' && p.headroom.cpu !== undefined) v -= p.headroom.cpu;
    if (resource === 'memory' && p.headroom.memory !== undefined) v -= p.headroom.memory;
    if (resource === 'cpu' && p.maxCpu !== undefined) v = Math.min(v, p.maxCpu - this.lentCpu);
    if (resource === 'pods' && p.maxPods !== undefined) v = Math.min(v, p.maxPods - this.lentPods);
    return Math.max(0, v);
  }

  figures(resource: 'cpu' | 'memory', inPool: boolean): ResourceFigures {
    const cpu = resource === 'cpu';
    return {
      allocatable: cpu ? this.allocCpu : this.allocMem,
      requested: cpu ? this.reqCpu : this.reqMem,
      idle: inPool ? this.idle(resource) : 0,
      lent: cpu ? this.lentCpu : this.lentMem,
      batch: inPool ? (cpu ? this.batchCpu : this.batchMem) : 0,
      usage: cpu ? this.usageCpu : this.usageMem,
      largestSlot: this.largestSlot(resource),
    };
  }

  /** The cluster's entry in the capacity document. `inPool` false (not Ready, paused): idle and batch are 0. */
  capacity(ready: boolean, withNodes: boolean): ClusterCapacity {
    const inPool = ready && !this.policyValue.paused;
    const out: ClusterCapacity = {
      name: this.name,
      ready,
      nodes: this.nodeCount,
      cpu: this.figures('cpu', inPool),
      memory: this.figures('memory', inPool),
      pods: { allocatable: this.allocPods, requested: this.reqPods, idle: inPool ? this.idle('pods') : 0, lent: this.lentPods },
      schedulableNodes: this.schedulableCount,
      virtualNodes: [...this.virtualNodes].sort(),
      paused: this.policyValue.paused,
      fragmentation: {
        cpu: CPU_BOUNDS.map((from, i) => ({ from, to: CPU_BOUNDS[i + 1] ?? null, nodes: this.histCpu[i]! })),
        memory: MEMORY_BOUNDS.map((from, i) => ({ from, to: MEMORY_BOUNDS[i + 1] ?? null, nodes: this.histMem[i]! })),
      },
    };
    if (withNodes) out.nodeList = [...this.nodes.values()].filter((n) => n.present).map(nodeCapacity).sort((a, b) => a.name.localeCompare(b.name));
    return out;
  }
}

function nodeCapacity(n: NodeState): NodeCapacity {
  return {
    name: n.name,
    schedulable: n.cSchedulable,
    virtual: n.virtual,
    allocatable: { cpu: n.allocCpu, memory: n.allocMem, pods: n.allocPods, ...n.allocExt },
    requested: { cpu: n.reqCpu, memory: n.reqMem, pods: n.reqPods, ...n.reqExt },
    free: { cpu: n.freeCpu(), memory: n.freeMem(), pods: n.freePods() },
    usage: n.usage,
  };
}

function extOf(a: ResourceAmounts): ResourceAmounts | undefined {
  let out: ResourceAmounts | undefined;
  for (const k in a) {
    if (CORE.has(k)) continue;
    (out ??= {})[k] = a[k]!;
  }
  return out;
}

function addInto(target: ResourceAmounts, add: ResourceAmounts, sign: 1 | -1): ResourceAmounts {
  for (const k in add) target[k] = (target[k] ?? 0) + sign * add[k]!;
  return target;
}
