// Simulated kubelets: a fleet of Nodes that heartbeat (Lease in kube-node-lease and a
// Ready condition), start the pods bound to them (Pending -> Running after a delay,
// with IPs and container statuses), finish pods that carry a duration, honour graceful
// deletion, and report usage for metrics.k8s.io. They act on the cluster through the
// same ClusterApi as HTTP clients, always asynchronously (never inside a store event).
// Delays and durations run on the cluster's clock, so they keep their simulated meaning
// when simulated time runs faster than real time (startSim's timeScale).

import type { ClusterApi } from './api.js';
import { ApiError } from './errors.js';
import { isRecord, type KubeObject } from './object.js';
import type { ResourceType } from './resources.js';
import type { StoreEvent } from './store.js';
import { rfc3339, rfc3339Micro, timersOf, type Clock } from './time.js';
import {
  CPU_NOISE_ANNOTATION,
  CPU_USAGE_ANNOTATION,
  DEFAULT_DAY_CURVE,
  DURATION_ANNOTATION,
  MEMORY_USAGE_ANNOTATION,
  hashSeed,
  parseDurationMs,
  parseNoise,
  parseUsageSpec,
  podUsage,
  systemUsage,
  usageRequests,
  type DayCurve,
  type PodUsageInput,
} from './usage.js';
import { qosClassOf } from '../api/index.js';
import { parseQuantity, podRequests, toMilli, toUnits, type PodLike } from '../kube/index.js';

export interface NodeShape {
  cpu: string;
  memory: string;
  pods: number;
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
}

export interface FleetOptions {
  clusterName: string;
  clock: Clock;
  /** Delay between binding and Running. */
  startDelayMs: number;
  /** How long a deleted pod takes to stop (capped by its grace period). */
  terminationDelayMs: number;
  /** Lease renewal period per node; 0 turns heartbeats off (benchmarks). */
  leaseIntervalMs: number;
  curve: DayCurve;
}

export const DEFAULT_FLEET_OPTIONS: Omit<FleetOptions, 'clusterName' | 'clock'> = {
  startDelayMs: 500,
  terminationDelayMs: 300,
  leaseIntervalMs: 10_000,
  curve: DEFAULT_DAY_CURVE,
};

interface SimNode {
  name: string;
  index: number;
  ip: string;
  cpuMilli: number;
  memoryBytes: number;
  ready: boolean;
  nextPodSlot: number;
  pods: Set<string>;
}

interface TrackedPod {
  key: string;
  namespace: string;
  name: string;
  uid: string;
  node: string;
  phase: string;
  startedAtMs: number | undefined;
  /** Read from the pod on first use (metrics), not on every write: most pods are never asked. */
  detail: PodDetail | undefined;
  timer: unknown;
  action: 'none' | 'starting' | 'completing' | 'terminating';
}

interface PodDetail {
  containers: string[];
  usage: PodUsageInput;
}

/** One node's CPU demand by class at one moment (what the pods would use, before any cap). */
export interface NodeDemand {
  node: string;
  /** Allocatable CPU (the simulated node's capacity), millicores. */
  cpuMilli: number;
  systemCpuMilli: number;
  onlineCpuMilli: number;
  offlineCpuMilli: number;
  /** Running pods by class. */
  onlinePods: number;
  offlinePods: number;
}

type Obj = Record<string, unknown>;

export class NodeFleet {
  private readonly nodes = new Map<string, SimNode>();
  private readonly pods = new Map<string, TrackedPod>();
  private readonly podsRt: ResourceType;
  private readonly nodesRt: ResourceType;
  private readonly leasesRt: ResourceType;
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private heartbeatCursor = 0;
  private nodeCounter = 0;
  private stopped = false;
  /** Pod timers (start delay, duration, termination) run on the cluster's clock: simulated time may run fast. */
  private readonly timers: ReturnType<typeof timersOf>;

  constructor(
    private readonly api: ClusterApi,
    readonly opts: FleetOptions,
  ) {
    this.podsRt = api.registry.lookup('', 'v1', 'pods')!;
    this.nodesRt = api.registry.lookup('', 'v1', 'nodes')!;
    this.leasesRt = api.registry.lookup('coordination.k8s.io', 'v1', 'leases')!;
    this.timers = timersOf(opts.clock);
  }

  start(): void {
    this.unsubscribe = this.api.store.subscribe('/pods', (ev, written) => this.onPodEvent(ev, written));
    this.api.store.subscribe('/nodes', (ev) => {
      if (ev.type === 'DELETED') this.forgetNode(ev.object.name);
    });
    if (this.opts.leaseIntervalMs > 0) {
      // One timer renews a slice of the fleet each second, spreading the writes.
      const tickMs = 1000;
      this.heartbeat = setInterval(() => this.renewSlice(tickMs), tickMs);
      this.heartbeat.unref();
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const p of this.pods.values()) if (p.timer !== undefined) this.timers.clearTimeout(p.timer);
  }

  isSimulated(node: string): boolean {
    return this.nodes.has(node);
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Registers a Node object for a new simulated kubelet, plus its Lease. */
  addNode(name: string, shape: NodeShape): void {
    if (this.nodes.has(name)) throw new Error(`node ${name} already exists in the simulated fleet`);
    const index = this.nodeCounter++;
    const ipIndex = index + 1;
    const ip = `127.${100 + ((ipIndex >> 16) & 0x7f)}.${(ipIndex >> 8) & 0xff}.${ipIndex & 0xff}`;
    const cpuMilli = toMilli(parseQuantity(shape.cpu));
    const memoryBytes = toUnits(parseQuantity(shape.memory));
    const node: SimNode = { name, index, ip, cpuMilli, memoryBytes, ready: true, nextPodSlot: 2, pods: new Set() };
    this.nodes.set(name, node);
    const now = this.api.now();
    const capacity = { cpu: shape.cpu, memory: shape.memory, pods: String(shape.pods), 'ephemeral-storage': '100Gi' };
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': `sim-${shape.cpu}c-${shape.memory}`,
          'sim.tidepool.dev/simulated': 'true',
          ...shape.labels,
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
      },
      spec: {
        podCIDR: `10.${64 + (index >> 8)}.${index & 0xff}.0/24`,
        providerID: `tidepool-sim://${this.opts.clusterName}/${name}`,
        ...(shape.taints?.length ? { taints: shape.taints } : {}),
      },
    };
    this.api.create(this.nodesRt, '', obj);
    this.api.update(this.nodesRt, '', name, {
      ...obj,
      metadata: { name },
      status: {
        capacity,
        allocatable: capacity,
        conditions: this.conditions(true, now),
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: `sim-${this.opts.clusterName}-${index}`,
          systemUUID: `sim-${this.opts.clusterName}-${index}`,
          bootID: `sim-boot-${index}`,
          kernelVersion: '6.1.0-sim',
          osImage: 'Tidepool Simulated Linux',
          containerRuntimeVersion: 'sim://1.0.0',
          kubeletVersion: 'v1.32.0-sim',
          kubeProxyVersion: 'v1.32.0-sim',
          operatingSystem: 'linux',
          architecture: 'amd64',
        },
      },
    } as KubeObject, { subresource: 'status' });
    this.renewLease(node);
  }

  private conditions(ready: boolean, now: string): Obj[] {
    const cond = (type: string, status: string, reason: string, message: string): Obj => ({
      type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
      reason,
      message,
    });
    return [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      ready
        ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
        : cond('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
    ];
  }

  /** Makes a node NotReady (its kubelet stops posting status) or Ready again. */
  setReady(name: string, ready: boolean): void {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no simulated node ${name}`);
    node.ready = ready;
    const now = this.api.now();
    const unreachable = [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: now },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now },
    ];
    this.api.mutate(this.nodesRt, '', name, (n) => {
      const spec = (isRecord(n['spec']) ? n['spec'] : (n['spec'] = {})) as Obj;
      const taints = (Array.isArray(spec['taints']) ? spec['taints'] : []) as Obj[];
      const others = taints.filter((t) => t['key'] !== 'node.kubernetes.io/unreachable');
      spec['taints'] = ready ? others : [...others, ...unreachable];
      if (!(spec['taints'] as Obj[]).length) delete spec['taints'];
    });
    this.api.mutate(this.nodesRt, '', name, (n) => {
      (n['status'] as Obj)['conditions'] = this.conditions(ready, now);
    }, { subresource: 'status' });
    if (ready) this.renewLease(node);
  }

  private renewSlice(tickMs: number): void {
    if (this.stopped) return;
    const all = [...this.nodes.values()];
    if (all.length === 0) return;
    const perTick = Math.max(1, Math.ceil((all.length * tickMs) / this.opts.leaseIntervalMs));
    for (let i = 0; i < perTick; i++) {
      const node = all[this.heartbeatCursor++ % all.length]!;
      if (node.ready) this.renewLease(node);
    }
  }

  private renewLease(node: SimNode): void {
    const now = rfc3339Micro(this.opts.clock.now());
    const existing = this.api.tryGet(this.leasesRt, 'kube-node-lease', node.name);
    try {
      if (existing) {
        this.api.mutate(this.leasesRt, 'kube-node-lease', node.name, (l) => {
          (l['spec'] as Obj)['renewTime'] = now;
        });
      } else {
        this.api.create(this.leasesRt, 'kube-node-lease', {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: node.name,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: this.api.tryGet(this.nodesRt, '', node.name)?.uid ?? '' }],
          },
          spec: { holderIdentity: node.name, leaseDurationSeconds: 40, renewTime: now },
        });
      }
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }

  private forgetNode(name: string): void {
    const node = this.nodes.get(name);
    if (!node) return;
    this.nodes.delete(name);
    const lease = this.api.tryGet(this.leasesRt, 'kube-node-lease', name);
    if (lease) setImmediate(() => this.ignore404(() => this.api.delete(this.leasesRt, 'kube-node-lease', name)));
  }

  // ------------------------------------------------------------------ pods

  /** `pod` is the object as written (see StoreListener): read, never parsed again. */
  private onPodEvent(ev: StoreEvent, pod: Readonly<KubeObject>): void {
    const o = ev.object;
    if (ev.type === 'DELETED') {
      const t = this.pods.get(o.key);
      if (t && t.uid === o.uid) this.untrack(t);
      return;
    }
    const nodeName = o.fields['spec.nodeName'] ?? '';
    const node = nodeName ? this.nodes.get(nodeName) : undefined;
    if (!node) return;
    let t = this.pods.get(o.key);
    if (t && t.uid !== o.uid) {
      this.untrack(t);
      t = undefined;
    }
    // Most pod writes (a new pod bound here, a status update) need only the phase, which is
    // among the stored fields; a deletion or a duration annotation asks for more.
    if (!pod.metadata.deletionTimestamp && pod.metadata.annotations?.[DURATION_ANNOTATION] === undefined) {
      if (!t) t = this.track(o.key, o.namespace, o.name, o.uid, node);
      t.phase = o.fields['status.phase'] || 'Pending';
      if (t.phase === 'Pending' && t.action === 'none') this.schedule(t, 'starting', this.opts.startDelayMs, () => this.startPod(t!, node));
      return;
    }
    if (!t) t = this.track(o.key, o.namespace, o.name, o.uid, node);
    if (!t.detail) this.fillDetail(t, pod);
    const status = (isRecord(pod['status']) ? pod['status'] : {}) as Obj;
    t.phase = String(status['phase'] ?? 'Pending');
    if (pod.metadata.deletionTimestamp) {
      if (t.action !== 'terminating') {
        const graceMs = (pod.metadata.deletionGracePeriodSeconds ?? 30) * 1000;
        this.schedule(t, 'terminating', Math.min(graceMs, this.opts.terminationDelayMs), () => this.finishTermination(t!));
      }
      return;
    }
    if (t.phase === 'Pending' && t.action === 'none') {
      this.schedule(t, 'starting', this.opts.startDelayMs, () => this.startPod(t!, node));
    } else if (t.phase === 'Running' && t.action !== 'completing') {
      const duration = pod.metadata.annotations?.[DURATION_ANNOTATION];
      if (duration !== undefined) {
        let ms: number;
        try {
          ms = parseDurationMs(duration);
        } catch {
          return; // reported when the pod started
        }
        const elapsed = this.opts.clock.now() - (t.startedAtMs ?? this.opts.clock.now());
        this.schedule(t, 'completing', Math.max(0, ms - elapsed), () => this.completePod(t!));
      }
    }
  }

  private track(key: string, namespace: string, name: string, uid: string, node: SimNode): TrackedPod {
    const t: TrackedPod = { key, namespace, name, uid, node: node.name, phase: 'Pending', startedAtMs: undefined, detail: undefined, timer: undefined, action: 'none' };
    this.pods.set(t.key, t);
    node.pods.add(t.key);
    return t;
  }

  /** The containers and usage model of a tracked pod, read from its stored object once. */
  private detailOf(t: TrackedPod): PodDetail {
    if (!t.detail) {
      const stored = this.api.tryGet(this.podsRt, t.namespace, t.name);
      if (stored && stored.uid === t.uid) this.fillDetail(t, JSON.parse(stored.json) as KubeObject);
      else t.detail = { containers: [], usage: { offline: false, cpuRequestMilli: 0, memoryRequestBytes: 0 } };
    }
    return t.detail!;
  }

  private fillDetail(t: TrackedPod, pod: KubeObject): void {
    const spec = (isRecord(pod['spec']) ? pod['spec'] : {}) as Obj;
    const containers = (Array.isArray(spec['containers']) ? spec['containers'] : []) as Obj[];
    let requests: Record<string, number> = {};
    try {
      requests = podRequests(pod as unknown as PodLike);
    } catch {
      // malformed quantities: treat as no requests
    }
    const ann = pod.metadata.annotations ?? {};
    const usage: PodDetail['usage'] = { offline: safeQos(pod) === 'offline', ...usageRequests(requests) };
    try {
      if (ann[CPU_USAGE_ANNOTATION] !== undefined) usage.cpu = parseUsageSpec(ann[CPU_USAGE_ANNOTATION], 'cpu', CPU_USAGE_ANNOTATION);
      if (ann[MEMORY_USAGE_ANNOTATION] !== undefined) usage.memory = parseUsageSpec(ann[MEMORY_USAGE_ANNOTATION], 'memory', MEMORY_USAGE_ANNOTATION);
      if (ann[CPU_NOISE_ANNOTATION] !== undefined) {
        usage.cpuNoise = parseNoise(ann[CPU_NOISE_ANNOTATION]);
        usage.noiseSeed = hashSeed(t.uid);
      }
    } catch {
      // A malformed annotation falls back to the defaults; the pod still runs.
    }
    const status = (isRecord(pod['status']) ? pod['status'] : {}) as Obj;
    if (t.startedAtMs === undefined && typeof status['startTime'] === 'string') {
      const started = Date.parse(status['startTime']);
      if (Number.isFinite(started)) t.startedAtMs = started;
    }
    t.detail = { containers: containers.map((c) => String(c['name'] ?? '')), usage };
  }

  private untrack(t: TrackedPod): void {
    if (t.timer !== undefined) this.timers.clearTimeout(t.timer);
    this.pods.delete(t.key);
    this.nodes.get(t.node)?.pods.delete(t.key);
  }

  private schedule(t: TrackedPod, action: TrackedPod['action'], delayMs: number, fn: () => void): void {
    if (t.timer !== undefined) this.timers.clearTimeout(t.timer);
    t.action = action;
    t.timer = this.timers.setTimeout(() => {
      t.timer = undefined;
      if (this.stopped || this.pods.get(t.key) !== t) return;
      this.ignore404(fn);
    }, delayMs);
  }

  private ignore404(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  private startPod(t: TrackedPod, node: SimNode): void {
    const nowMs = this.opts.clock.now();
    const now = rfc3339(nowMs);
    const slot = node.nextPodSlot;
    node.nextPodSlot = slot >= 254 ? 2 : slot + 1;
    const podIP = `10.${64 + (node.index >> 8)}.${node.index & 0xff}.${slot}`;
    this.api.mutate(this.podsRt, t.namespace, t.name, (pod) => {
      if (pod.metadata.uid !== t.uid || pod.metadata.deletionTimestamp) return;
      const spec = (pod['spec'] ?? {}) as Obj;
      const containers = (Array.isArray(spec['containers']) ? spec['containers'] : []) as Obj[];
      const inits = (Array.isArray(spec['initContainers']) ? spec['initContainers'] : []) as Obj[];
      const status = (isRecord(pod['status']) ? pod['status'] : {}) as Obj;
      const prior = (Array.isArray(status['conditions']) ? status['conditions'] : []) as Obj[];
      const ids = (c: Obj): Obj => ({ image: c['image'], imageID: `sim://${String(c['image'])}`, containerID: `sim://${t.uid.slice(0, 8)}-${String(c['name'])}` });
      const scheduled = prior.find((c) => c['type'] === 'PodScheduled') ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now };
      const cond = (type: string): Obj => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
      pod['status'] = {
        ...status,
        phase: 'Running',
        conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), scheduled],
        hostIP: node.ip,
        hostIPs: [{ ip: node.ip }],
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: now,
        // Init containers ran to completion before the pod started; sidecars (restartPolicy Always) keep running.
        ...(inits.length
          ? {
              initContainerStatuses: inits.map((c) =>
                c['restartPolicy'] === 'Always'
                  ? { name: c['name'], state: { running: { startedAt: now } }, lastState: {}, ready: true, restartCount: 0, started: true, ...ids(c) }
                  : { name: c['name'], state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now, containerID: ids(c)['containerID'] } }, lastState: {}, ready: true, restartCount: 0, started: false, ...ids(c) },
              ),
            }
          : {}),
        containerStatuses: containers.map((c) => ({
          name: c['name'],
          state: { running: { startedAt: now } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: c['image'],
          imageID: `sim://${String(c['image'])}`,
          containerID: `sim://${t.uid.slice(0, 8)}-${String(c['name'])}`,
          started: true,
        })),
      };
    }, { subresource: 'status' });
    t.startedAtMs = nowMs;
  }

  private completePod(t: TrackedPod): void {
    const now = this.api.now();
    this.api.mutate(this.podsRt, t.namespace, t.name, (pod) => {
      if (pod.metadata.uid !== t.uid) return;
      const status = (isRecord(pod['status']) ? pod['status'] : {}) as Obj;
      const statuses = (Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : []) as Obj[];
      const started = typeof status['startTime'] === 'string' ? status['startTime'] : now;
      const conds = ((Array.isArray(status['conditions']) ? status['conditions'] : []) as Obj[]).map((c) =>
        c['type'] === 'Ready' || c['type'] === 'ContainersReady' ? { ...c, status: 'False', reason: 'PodCompleted', lastTransitionTime: now } : c,
      );
      pod['status'] = {
        ...status,
        phase: 'Succeeded',
        conditions: conds,
        containerStatuses: statuses.map((s) => ({
          ...s,
          ready: false,
          started: false,
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: now, containerID: s['containerID'] } },
        })),
      };
    }, { subresource: 'status' });
  }

  private finishTermination(t: TrackedPod): void {
    // The kubelet confirms the containers are gone with a delete of grace 0.
    this.api.delete(this.podsRt, t.namespace, t.name, { gracePeriodSeconds: 0, preconditions: { uid: t.uid } });
  }

  // ------------------------------------------------------------------ usage

  private runningUsage(t: TrackedPod, nowMs: number): { cpuMilli: number; memoryBytes: number } {
    if (t.phase !== 'Running' || t.action === 'terminating') return { cpuMilli: 0, memoryBytes: 0 };
    return podUsage(this.detailOf(t).usage, this.opts.curve, nowMs);
  }

  /** NodeMetrics objects (metrics.k8s.io/v1beta1) for the simulated nodes. */
  nodeMetrics(name?: string): KubeObject[] {
    const nowMs = this.opts.clock.now();
    const out: KubeObject[] = [];
    for (const node of this.nodes.values()) {
      if (name !== undefined && node.name !== name) continue;
      if (!node.ready) continue;
      const sys = systemUsage(node.cpuMilli, node.memoryBytes);
      let cpu = sys.cpuMilli;
      let mem = sys.memoryBytes;
      for (const key of node.pods) {
        const t = this.pods.get(key);
        if (!t) continue;
        const u = this.runningUsage(t, nowMs);
        cpu += u.cpuMilli;
        mem += u.memoryBytes;
      }
      const stored = this.api.tryGet(this.nodesRt, '', node.name);
      out.push({
        kind: 'NodeMetrics',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: { name: node.name, creationTimestamp: rfc3339(nowMs), labels: stored ? { ...stored.labels } : {} },
        timestamp: rfc3339(nowMs),
        window: '10s',
        usage: { cpu: `${Math.min(cpu, node.cpuMilli)}m`, memory: `${Math.ceil(Math.min(mem, node.memoryBytes) / 1024)}Ki` },
      });
    }
    return out;
  }

  /**
   * Every ready node's CPU demand by class, now: what its running pods would use (online and
   * offline apart) and what the system takes, before the node's capacity caps it. What
   * nodeMetrics reports is min(sum, capacity); this says who wanted the rest.
   */
  cpuDemand(): NodeDemand[] {
    const nowMs = this.opts.clock.now();
    const out: NodeDemand[] = [];
    for (const node of this.nodes.values()) {
      if (!node.ready) continue;
      const d: NodeDemand = { node: node.name, cpuMilli: node.cpuMilli, systemCpuMilli: systemUsage(node.cpuMilli, node.memoryBytes).cpuMilli, onlineCpuMilli: 0, offlineCpuMilli: 0, onlinePods: 0, offlinePods: 0 };
      for (const key of node.pods) {
        const t = this.pods.get(key);
        if (!t || t.phase !== 'Running' || t.action === 'terminating') continue;
        const u = this.runningUsage(t, nowMs);
        if (this.detailOf(t).usage.offline) {
          d.offlineCpuMilli += u.cpuMilli;
          d.offlinePods++;
        } else {
          d.onlineCpuMilli += u.cpuMilli;
          d.onlinePods++;
        }
      }
      out.push(d);
    }
    return out;
  }

  /** PodMetrics objects for running pods on simulated nodes. */
  podMetrics(namespace?: string, name?: string): KubeObject[] {
    const nowMs = this.opts.clock.now();
    const out: KubeObject[] = [];
    for (const t of this.pods.values()) {
      if (namespace !== undefined && t.namespace !== namespace) continue;
      if (name !== undefined && t.name !== name) continue;
      if (t.phase !== 'Running') continue;
      const u = this.runningUsage(t, nowMs);
      const containers = this.detailOf(t).containers;
      const n = Math.max(1, containers.length);
      const stored = this.api.tryGet(this.podsRt, t.namespace, t.name);
      out.push({
        kind: 'PodMetrics',
        apiVersion: 'metrics.k8s.io/v1beta1',
        metadata: { name: t.name, namespace: t.namespace, creationTimestamp: rfc3339(nowMs), labels: stored ? { ...stored.labels } : {} },
        timestamp: rfc3339(nowMs),
        window: '10s',
        containers: containers.map((c) => ({
          name: c,
          usage: { cpu: `${Math.round(u.cpuMilli / n)}m`, memory: `${Math.ceil(u.memoryBytes / n / 1024)}Ki` },
        })),
      });
    }
    return out;
  }

  /** When the pod's containers started (for synthetic logs), or undefined when not running. */
  podStartedAt(namespace: string, name: string): number | undefined {
    const t = this.pods.get(`${namespace}/${name}`);
    if (!t || t.phase === 'Pending') return undefined;
    // A pod that was already running when first seen has its start time in its status.
    if (t.startedAtMs === undefined) this.detailOf(t);
    return t.startedAtMs;
  }
}

function safeQos(pod: KubeObject): string {
  try {
    return qosClassOf(pod as unknown as PodLike);
  } catch {
    return 'online';
  }
}
