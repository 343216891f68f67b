// A stand-in for kube-scheduler in each simulated cluster: pods whose schedulerName is
// `default-scheduler` and that have no node get one by request-based fit (cpu, memory,
// pods, extended resources), nodeSelector, required node affinity and taints /
// tolerations, scored least-allocated, and are bound through the same binding code as
// `POST pods/{name}/binding`. It is the baseline Tidepool's own scheduler is measured
// against, and can be switched off per cluster.

import type { ClusterApi } from './api.js';
import { ApiError } from './errors.js';
import { bindPod } from './http/resource-handler.js';
import { isRecord, type KubeObject } from './object.js';
import type { StoreEvent } from './store.js';
import { timersOf } from './time.js';
import { fits, nodeSelectorMatches, nodeSelectorTermsMatch, parseResourceList, podRequests, tolerates as toleratesOne, type NodeSelectorTerm, type PodLike, type TaintLike, type Toleration, type ResourceAmounts } from '../kube/index.js';

type Obj = Record<string, unknown>;

export type Taint = TaintLike;

interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  allocatable: ResourceAmounts;
  requested: ResourceAmounts;
  podCount: number;
  taints: Taint[];
  unschedulable: boolean;
  ready: boolean;
}

interface PendingPod {
  key: string;
  attempts: number;
  notBefore: number;
  /** The pod as last parsed, and the resourceVersion it was parsed at (pending pods are tried many times). */
  parsed: { rv: number; pod: KubeObject; requests: ResourceAmounts | string; shape: string } | undefined;
  /** FailedScheduling events left in this pod's bucket, and when it was last refilled (client-go's spam filter). */
  eventTokens: number;
  refilledAt: number;
}

/** client-go's EventCorrelator spam filter, which kube-scheduler's events pass: 25 per object, then one per 5 minutes. */
const EVENT_BURST = 25;
const EVENT_REFILL_MS = 5 * 60_000;

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Pods tried per turn of the event loop. */
const CYCLE_BUDGET = 200;

/** kube-scheduler's unschedulable-pod backoff: 1 s doubling to 10 s. */
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 10_000;

/** Whether any of the tolerations tolerates the taint (kube/scheduling.ts has the rule). */
export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => toleratesOne(t, taint));
}

/** spec.nodeSelector and required node affinity (terms ORed, requirements inside a term ANDed). */
export function nodeAffinityMatches(pod: Obj, nodeName: string, labels: Record<string, string>): boolean {
  const spec = isRecord(pod['spec']) ? pod['spec'] : {};
  if (!nodeSelectorMatches(isRecord(spec['nodeSelector']) ? (spec['nodeSelector'] as Record<string, string>) : undefined, labels)) return false;
  const affinity = isRecord(spec['affinity']) ? spec['affinity'] : {};
  const na = isRecord(affinity['nodeAffinity']) ? affinity['nodeAffinity'] : {};
  const required = isRecord(na['requiredDuringSchedulingIgnoredDuringExecution']) ? na['requiredDuringSchedulingIgnoredDuringExecution'] : undefined;
  if (!required) return true;
  const terms = (Array.isArray(required['nodeSelectorTerms']) ? required['nodeSelectorTerms'] : []) as NodeSelectorTerm[];
  return nodeSelectorTermsMatch(terms, nodeName, labels);
}

export class SimScheduler {
  private readonly nodes = new Map<string, NodeInfo>();
  /** Requests counted against a node, per pod key, so deletes give them back exactly. */
  private readonly placed = new Map<string, { node: string; requests: ResourceAmounts | undefined }>();
  /**
   * Pods counted on a node whose requests are not summed yet: reading them means parsing
   * the pod, which every bound pod's write would pay even with the scheduler off. They
   * are summed before the next placement decision (flushAssumed).
   */
  private readonly unsummed = new Set<string>();
  private readonly pending = new Map<string, PendingPod>();
  private readonly unsubs: Array<() => void> = [];
  private timer: unknown;
  private running = false;
  private enabled = true;
  private rotate = 0;
  /**
   * Bumped whenever what a placement decision reads changes (a node, a pod placed or gone).
   * A pod shape (requests, selectors, tolerations) that found no node at this version finds
   * none again until it moves: kube-scheduler's old equivalence cache, so a backlog of
   * identical pods costs one search per change instead of one per pod.
   */
  private version = 0;
  /** Shapes that found no node at `failedVersion`, with the message they got. */
  private readonly failedShapes = new Map<string, string>();
  private failedVersion = -1;
  private readonly podsRt;
  private readonly eventsRt;
  /** Backoff runs on the cluster's clock, so it keeps its meaning when simulated time runs fast. */
  private readonly timers: ReturnType<typeof timersOf>;

  constructor(private readonly api: ClusterApi) {
    this.timers = timersOf(api.clock);
    this.podsRt = api.registry.lookup('', 'v1', 'pods')!;
    this.eventsRt = api.registry.lookup('', 'v1', 'events')!;
  }

  start(): void {
    this.running = true;
    for (const o of this.api.store.values('/nodes')) this.onNode({ type: 'ADDED', rv: o.rv, storageKey: '/nodes', object: o, prev: undefined });
    for (const o of this.api.store.values('/pods')) this.onPod({ type: 'ADDED', rv: o.rv, storageKey: '/pods', object: o, prev: undefined });
    this.unsubs.push(this.api.store.subscribe('/nodes', (ev) => this.onNode(ev)));
    this.unsubs.push(this.api.store.subscribe('/pods', (ev) => this.onPod(ev)));
    this.kick(0);
  }

  stop(): void {
    this.running = false;
    for (const u of this.unsubs.splice(0)) u();
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
  }

  /** Switches scheduling off (pods stay Pending) or back on. */
  setEnabled(on: boolean): void {
    this.enabled = on;
    if (on) this.kick(0);
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  private kick(delayMs: number): void {
    if (!this.running || !this.enabled) return;
    if (this.timer !== undefined) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.cycle();
    }, delayMs);
  }

  private onNode(ev: StoreEvent): void {
    const name = ev.object.name;
    if (ev.type === 'DELETED') {
      this.nodes.delete(name);
      this.version++;
      return;
    }
    const node = JSON.parse(ev.object.json) as KubeObject;
    const spec = (isRecord(node['spec']) ? node['spec'] : {}) as Obj;
    const status = (isRecord(node['status']) ? node['status'] : {}) as Obj;
    const conds = (Array.isArray(status['conditions']) ? status['conditions'] : []) as Obj[];
    let allocatable: ResourceAmounts = {};
    try {
      allocatable = parseResourceList(isRecord(status['allocatable']) ? (status['allocatable'] as Record<string, string>) : undefined);
    } catch {
      // a node with malformed allocatable offers nothing
    }
    const prev = this.nodes.get(name);
    this.nodes.set(name, {
      name,
      labels: node.metadata.labels ?? {},
      allocatable,
      requested: prev?.requested ?? {},
      podCount: prev?.podCount ?? 0,
      taints: (Array.isArray(spec['taints']) ? spec['taints'] : []) as Taint[],
      unschedulable: spec['unschedulable'] === true,
      ready: conds.some((c) => c['type'] === 'Ready' && c['status'] === 'True'),
    });
    this.version++;
    if (this.pending.size) this.kick(0);
  }

  private onPod(ev: StoreEvent): void {
    const o = ev.object;
    const nodeName = o.fields['spec.nodeName'] ?? '';
    const phase = o.fields['status.phase'] ?? '';
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const holding = ev.type !== 'DELETED' && nodeName !== '' && !terminal;
    const had = this.placed.get(o.key);
    if (had && (!holding || had.node !== nodeName)) {
      this.release(o.key);
      if (this.pending.size) this.kick(0);
    }
    if (holding && !this.placed.has(o.key)) this.assume(o.key, nodeName, undefined);
    if (ev.type !== 'DELETED' && nodeName === '' && o.fields['spec.schedulerName'] === DEFAULT_SCHEDULER_NAME) {
      if (!this.pending.has(o.key)) {
        this.pending.set(o.key, { key: o.key, attempts: 0, notBefore: 0, parsed: undefined, eventTokens: EVENT_BURST, refilledAt: this.api.clock.now() });
        this.kick(0);
      }
    } else {
      this.pending.delete(o.key);
    }
  }

  private assume(key: string, node: string, requests: ResourceAmounts | undefined): void {
    this.version++;
    this.placed.set(key, { node, requests });
    const info = this.nodes.get(node);
    if (!info) return;
    if (requests) for (const [r, v] of Object.entries(requests)) info.requested[r] = (info.requested[r] ?? 0) + v;
    else this.unsummed.add(key);
    info.podCount++;
  }

  /** Sums the requests of pods assumed without them (see `unsummed`). */
  private flushAssumed(): void {
    if (this.unsummed.size === 0) return;
    for (const key of this.unsummed) {
      const p = this.placed.get(key);
      const info = p ? this.nodes.get(p.node) : undefined;
      const stored = this.api.store.get('/pods', key);
      let requests: ResourceAmounts = {};
      try {
        if (stored) requests = podRequests(JSON.parse(stored.json) as PodLike);
      } catch {
        // malformed pod: counts as requesting nothing
      }
      if (!p || !info) continue;
      p.requests = requests;
      for (const [r, v] of Object.entries(requests)) info.requested[r] = (info.requested[r] ?? 0) + v;
    }
    this.unsummed.clear();
  }

  private release(key: string): void {
    const p = this.placed.get(key);
    if (!p) return;
    this.version++;
    this.placed.delete(key);
    const info = this.nodes.get(p.node);
    if (!info) return;
    if (p.requests) for (const [r, v] of Object.entries(p.requests)) info.requested[r] = (info.requested[r] ?? 0) - v;
    else this.unsummed.delete(key);
    info.podCount--;
  }

  /**
   * Schedules what is due, a bounded batch per turn so the event loop stays responsive. A pod
   * tried and still pending goes to the back of the line, so a long backlog is worked through
   * round-robin instead of its head being retried while its tail is never reached.
   */
  private cycle(): void {
    if (!this.running || !this.enabled) return;
    const now = this.api.clock.now();
    let next = Infinity;
    const due: PendingPod[] = [];
    for (const p of this.pending.values()) {
      if (p.notBefore > now) {
        next = Math.min(next, p.notBefore);
        continue;
      }
      if (due.length === CYCLE_BUDGET) {
        next = now;
        break;
      }
      due.push(p);
    }
    for (const p of due) {
      this.scheduleOne(p);
      if (this.pending.get(p.key) === p) {
        this.pending.delete(p.key);
        this.pending.set(p.key, p);
        next = Math.min(next, p.notBefore);
      }
    }
    if (next !== Infinity) this.kick(Math.max(0, next - this.api.clock.now()));
  }


  private scheduleOne(p: PendingPod): void {
    const stored = this.api.store.get('/pods', p.key);
    if (!stored) {
      this.pending.delete(p.key);
      return;
    }
    if (p.parsed?.rv !== stored.rv) p.parsed = parsePending(stored.rv, JSON.parse(stored.json) as KubeObject);
    const { pod, requests, shape } = p.parsed;
    if (pod.metadata.deletionTimestamp) {
      this.pending.delete(p.key);
      return;
    }
    if (typeof requests === 'string') {
      this.fail(p, pod, `0/${this.nodes.size} nodes are available: pod has invalid resource requests (${requests}).`);
      return;
    }
    this.flushAssumed();
    if (this.failedVersion !== this.version) {
      this.failedShapes.clear();
      this.failedVersion = this.version;
    }
    const known = this.failedShapes.get(shape);
    if (known !== undefined) {
      this.fail(p, pod, known);
      return;
    }
    const { node, reasons } = this.pickNode(pod, requests);
    if (!node) {
      const summary = [...reasons.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([r, n]) => `${n} ${r}`);
      const message = `0/${this.nodes.size} nodes are available${summary.length ? ': ' + summary.join(', ') : ''}.`;
      // A search that found nothing looked at every node (sampling stops only on success).
      this.failedShapes.set(shape, message);
      this.fail(p, pod, message);
      return;
    }
    try {
      bindPod(this.api, pod.metadata.namespace ?? '', { metadata: { name: pod.metadata.name, uid: pod.metadata.uid }, target: { kind: 'Node', name: node } });
    } catch (e) {
      if (e instanceof ApiError) {
        this.pending.delete(p.key);
        return;
      }
      throw e;
    }
    this.pending.delete(p.key);
    this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`);
  }

  /** Filter + least-allocated score; samples nodes on large clusters like kube-scheduler. */
  private pickNode(pod: KubeObject, requests: ResourceAmounts): { node: string | undefined; reasons: Map<string, number> } {
    this.flushAssumed();
    const spec = (isRecord(pod['spec']) ? pod['spec'] : {}) as Obj;
    const tolerations = (Array.isArray(spec['tolerations']) ? spec['tolerations'] : []) as Toleration[];
    const reasons = new Map<string, number>();
    const fail = (r: string): void => {
      reasons.set(r, (reasons.get(r) ?? 0) + 1);
    };
    const all = [...this.nodes.values()];
    const n = all.length;
    // percentageOfNodesToScore: adaptive, 50 % minus 1 % per 125 nodes, at least 5 %, at least 100 nodes.
    const pct = Math.max(5, 50 - Math.floor(n / 125));
    const wanted = n <= 100 ? n : Math.max(100, Math.floor((n * pct) / 100));
    let best: string | undefined;
    let bestScore = -Infinity;
    let feasible = 0;
    const start = this.rotate % Math.max(1, n);
    let i = 0;
    for (; i < n && feasible < wanted; i++) {
      const info = all[(start + i) % n]!;
      if (!info.ready) {
        fail("node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
        continue;
      }
      if (info.unschedulable && !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) {
        fail('node(s) were unschedulable');
        continue;
      }
      const bad = info.taints.find((t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(tolerations, t));
      if (bad) {
        fail(`node(s) had untolerated taint {${bad.key}: ${bad.value ?? ''}}`);
        continue;
      }
      if (!nodeAffinityMatches(pod, info.name, info.labels)) {
        fail("node(s) didn't match Pod's node affinity/selector");
        continue;
      }
      if (info.podCount + 1 > (info.allocatable['pods'] ?? 110)) {
        fail('Too many pods');
        continue;
      }
      const free: ResourceAmounts = {};
      for (const r of Object.keys(requests)) free[r] = (info.allocatable[r] ?? 0) - (info.requested[r] ?? 0);
      const short = fits(requests, free);
      if (short.length) {
        for (const r of short) fail(`Insufficient ${r}`);
        continue;
      }
      feasible++;
      const score = leastAllocated(info, requests);
      if (score > bestScore) {
        bestScore = score;
        best = info.name;
      }
    }
    this.rotate = start + i;
    return { node: best, reasons };
  }

  private fail(p: PendingPod, pod: KubeObject, message: string): void {
    p.attempts++;
    const now = this.api.clock.now();
    p.notBefore = now + Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (p.attempts - 1));
    const status = (isRecord(pod['status']) ? pod['status'] : {}) as Obj;
    const conds = (Array.isArray(status['conditions']) ? status['conditions'] : []) as Obj[];
    const current = conds.find((c) => c['type'] === 'PodScheduled');
    if (current && current['status'] === 'False' && current['message'] === message) return;
    const refills = Math.floor((now - p.refilledAt) / EVENT_REFILL_MS);
    if (refills > 0) {
      p.eventTokens = Math.min(EVENT_BURST, p.eventTokens + refills);
      p.refilledAt += refills * EVENT_REFILL_MS;
    }
    const eventAllowed = p.eventTokens > 0;
    if (eventAllowed) p.eventTokens--;
    try {
      this.api.mutate(this.podsRt, pod.metadata.namespace ?? '', pod.metadata.name ?? '', (o) => {
        const st = (isRecord(o['status']) ? o['status'] : (o['status'] = {})) as Obj;
        const cs = ((Array.isArray(st['conditions']) ? st['conditions'] : []) as Obj[]).filter((c) => c['type'] !== 'PodScheduled');
        cs.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: this.api.now() });
        st['conditions'] = cs;
      }, { subresource: 'status' });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    if (eventAllowed) this.event(pod, 'Warning', 'FailedScheduling', message);
  }

  private event(pod: KubeObject, type: string, reason: string, message: string): void {
    const now = this.api.now();
    try {
      this.api.create(this.eventsRt, pod.metadata.namespace ?? 'default', {
        apiVersion: 'v1',
        kind: 'Event',
        // Named like client-go's recorder (<object>.<hex nanoseconds>): a generateName ending in "." is invalid.
        metadata: { name: eventName(pod.metadata.name ?? 'pod') },
        involvedObject: { kind: 'Pod', apiVersion: 'v1', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
        reason,
        message,
        type,
        source: { component: DEFAULT_SCHEDULER_NAME },
        reportingComponent: DEFAULT_SCHEDULER_NAME,
        reportingInstance: DEFAULT_SCHEDULER_NAME,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }
}

/** What a pending pod's placement reads, parsed once per version of the pod. */
function parsePending(rv: number, pod: KubeObject): NonNullable<PendingPod['parsed']> {
  let requests: ResourceAmounts | string;
  try {
    requests = podRequests(pod as unknown as PodLike);
  } catch (e) {
    requests = (e as Error).message;
  }
  const spec = (isRecord(pod['spec']) ? pod['spec'] : {}) as Obj;
  const shape = JSON.stringify([requests, spec['nodeSelector'] ?? null, spec['affinity'] ?? null, spec['tolerations'] ?? null]);
  return { rv, pod, requests, shape };
}

let eventSeq = 0;

/** `<pod>.<hex unix nanoseconds>`, unique within the process even for events in the same millisecond. */
function eventName(podName: string): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(eventSeq++ % 1_000_000);
  return `${podName}.${nanos.toString(16)}`;
}

function leastAllocated(info: NodeInfo, requests: ResourceAmounts): number {
  let sum = 0;
  let n = 0;
  for (const r of ['cpu', 'memory']) {
    const alloc = info.allocatable[r] ?? 0;
    if (alloc <= 0) continue;
    sum += (alloc - (info.requested[r] ?? 0) - (requests[r] ?? 0)) / alloc;
    n++;
  }
  return n ? sum / n : 0;
}
