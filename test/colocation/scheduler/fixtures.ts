// Shared builders for the scheduler's tests: pods and nodes as the API server has them (raw
// JSON through the same projections the informers use), a manual clock, an in-memory load view,
// and a Scheduler wired with a recording binder instead of an API client.
import { Registry } from 'prom-client';
import { staticPolicySource, type PolicySource } from '../../../colocation/batch/index.js';
import type { NodeLoadSample, NodeLoadView } from '../../../colocation/load/index.js';
import { resolveSettings, type SettingsInput } from '../../../colocation/scheduler/config.js';
import { CycleState } from '../../../colocation/scheduler/framework/cycle-state.js';
import type { BindPlugin } from '../../../colocation/scheduler/framework/interfaces.js';
import { staticPodGroups, type PodGroupLister } from '../../../colocation/scheduler/gang/pod-groups.js';
import { NodeInfo } from '../../../colocation/scheduler/node-info.js';
import { projectSchedPod } from '../../../colocation/scheduler/pod-info.js';
import { Scheduler, type SchedulerEvents } from '../../../colocation/scheduler/scheduler.js';
import type { SchedPod } from '../../../colocation/scheduler/types.js';
import { projectNode, silentLogger, type Clock, type NodeSummary, type TimerHandle } from '../../../kube/index.js';

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward, firing due timers in time order (timers they set fire too, if due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
  }

  get pending(): number {
    return this.timers.size;
  }
}

export interface PodOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  /** Extra requests, e.g. { 'kubernetes.io/batch-cpu': '2000' }. */
  requests?: Record<string, string>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  priority?: number;
  nodeName?: string;
  phase?: string;
  schedulerName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Array<Record<string, string>>;
  uid?: string;
}

export function rawPod(name: string, o: PodOptions = {}): Record<string, unknown> {
  const requests: Record<string, string> = { ...(o.cpu !== undefined ? { cpu: o.cpu } : {}), ...(o.memory !== undefined ? { memory: o.memory } : {}), ...o.requests };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${name}`,
      resourceVersion: '1',
      creationTimestamp: '2024-01-01T00:00:00Z',
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      schedulerName: o.schedulerName ?? 'tidepool-scheduler',
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      containers: [{ name: 'main', image: 'busybox', resources: Object.keys(requests).length ? { requests } : {} }],
    },
    status: { phase: o.phase ?? 'Pending' },
  };
}

export function pod(name: string, o: PodOptions = {}): SchedPod {
  return projectSchedPod(rawPod(name, o));
}

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: number;
  /** Extra allocatable, e.g. { 'kubernetes.io/batch-cpu': '8000' }. */
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  unschedulable?: boolean;
  ready?: boolean;
}

export function rawNode(name: string, o: NodeOptions = {}): Record<string, unknown> {
  const alloc = { cpu: o.cpu ?? '8', memory: o.memory ?? '32Gi', pods: String(o.pods ?? 110), ...o.extra };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, resourceVersion: '1', labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { ...(o.unschedulable ? { unschedulable: true } : {}), ...(o.taints ? { taints: o.taints } : {}) },
    status: {
      allocatable: alloc,
      capacity: alloc,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
    },
  };
}

export function node(name: string, o: NodeOptions = {}): NodeSummary {
  return projectNode(rawNode(name, o));
}

/** A NodeInfo holding `pods` (as bound pods). */
export function nodeInfo(name: string, o: NodeOptions = {}, pods: SchedPod[] = []): NodeInfo {
  const info = new NodeInfo(name);
  info.node = node(name, o);
  for (const p of pods) info.addPod({ ...p, node: name });
  return info;
}

/** NodeLoadView with samples set by hand. */
export class FakeLoad implements NodeLoadView {
  private readonly samples = new Map<string, NodeLoadSample>();
  private readonly listeners = new Set<(s: NodeLoadSample) => void>();

  set(node: string, cpuMilli: number, memoryBytes: number, sampledAt: number): void {
    const s: NodeLoadSample = { node, sampledAt, cpu: cpuMilli, memory: memoryBytes, source: 'metrics-api' };
    this.samples.set(node, s);
    for (const l of this.listeners) l(s);
  }

  latest(node: string): NodeLoadSample | undefined {
    return this.samples.get(node);
  }

  window(node: string): readonly NodeLoadSample[] {
    const s = this.samples.get(node);
    return s ? [s] : [];
  }

  onSample(cb: (s: NodeLoadSample) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
}

export const silent = silentLogger;

export interface RecordedEvent {
  pod: string;
  type: string;
  reason: string;
  message: string;
}

export class RecordingEvents implements SchedulerEvents {
  readonly events: RecordedEvent[] = [];
  record(subject: Parameters<SchedulerEvents['record']>[0], type: string, reason: string, message: string): void {
    const meta = 'metadata' in subject ? subject.metadata : undefined;
    this.events.push({ pod: `${meta?.namespace}/${meta?.name}`, type, reason, message });
  }
  of(podKey: string, reason?: string): RecordedEvent[] {
    return this.events.filter((e) => e.pod === podKey && (reason === undefined || e.reason === reason));
  }
}

/** A binder that records bindings and succeeds (or answers with `fail`). */
export class RecordingBinder implements BindPlugin {
  readonly name = 'RecordingBinder';
  readonly bound = new Map<string, string>();
  fail: ((pod: SchedPod, node: string) => string | undefined) | undefined;
  async bind(_s: CycleState, pod: SchedPod, node: string) {
    const why = this.fail?.(pod, node);
    if (why) return { code: 'Error' as const, reasons: [why] };
    this.bound.set(pod.key, node);
    return undefined;
  }
}

export interface Harness {
  scheduler: Scheduler;
  clock: ManualClock;
  load: FakeLoad;
  events: RecordingEvents;
  binder: RecordingBinder;
  registry: Registry;
  podGroups: PodGroupLister & { set(g: Parameters<ReturnType<typeof staticPodGroups>['set']>[0]): void };
}

/** A Scheduler on a manual clock with a recording binder and events; no API client. */
export function harness(o: { settings?: SettingsInput; policy?: PolicySource; random?: () => number } = {}): Harness {
  const clock = new ManualClock();
  const load = new FakeLoad();
  const events = new RecordingEvents();
  const binder = new RecordingBinder();
  const registry = new Registry();
  const podGroups = staticPodGroups();
  const scheduler = new Scheduler({
    schedulerName: 'tidepool-scheduler',
    settings: resolveSettings(o.settings),
    load,
    policy: o.policy ?? staticPolicySource(),
    podGroups,
    registry,
    logger: silent,
    events,
    binder,
    clock,
    random: o.random ?? (() => 0.5),
  });
  return { scheduler, clock, load, events, binder, registry, podGroups };
}

/** Pops and schedules every pod that is active now; resolves once their bindings settled. */
export async function drain(h: Harness, max = 10_000): Promise<void> {
  for (let i = 0; i < max; i++) {
    const qp = h.scheduler.queue.tryPop();
    if (!qp) break;
    h.scheduler.scheduleOne(qp);
  }
  await settle();
}

/** Lets promise callbacks (binding cycles) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A fresh cycle state that has run `plugin`'s pre-filter (when it has one). */
export function stateFor(plugin: { name: string; preFilter?: (s: CycleState, p: SchedPod) => unknown }, p: SchedPod, now?: number): CycleState {
  const s = new CycleState(now);
  plugin.preFilter?.(s, p);
  return s;
}

/** Seeded PRNG (mulberry32) for property tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
