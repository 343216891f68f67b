// The agent's reconcile loop: read the node, let each strategy compute its
// desired values, hand them all to the executor, evict under memory pressure,
// and publish load and status. Idempotent: a restart recomputes the same state.
import { silentLogger, type Logger } from '../kube/index.js';
import { kubepodsDir, type CgroupLayout } from './cgroup-layout.js';
import { degradations, detectCapabilities, type Capabilities } from './capabilities.js';
import { formatCpuList } from './cpulist.js';
import { decideEvictions, type Evictor } from './eviction.js';
import { mergeReports, type ApplyReport, type Executor, type UnsupportedEntry } from './executor.js';
import type { Fs } from './fs.js';
import { LoadSampler } from './load-sampler.js';
import { toLoadReport, type NodeLoadReport } from './load-report.js';
import type { AgentMetrics } from './metrics.js';
import { NodeReader, type PodCgroup } from './node-reader.js';
import { podKey, type PodInfo, type PodSource } from './pods.js';
import type { IsolationPolicy } from './policy.js';
import type { ResctrlInfo } from './resctrl-info.js';
import { planCpus, type CpuPlan } from './strategy-cpuset.js';
import { planAll, STRATEGIES, type IsolationStrategy } from './strategy.js';
import type { CpuTopology } from './topology.js';

/** What the node reports about its isolation (status endpoint, node annotation). */
export interface NodeIsolationStatus {
  node: string;
  capabilities: Capabilities;
  /** What the node lacks and what is done instead. */
  degraded: string[];
  unsupported: UnsupportedEntry[];
  contested: string[];
  dryRun: boolean;
  cpus: { pool: string; online: string; offline: string; exclusive: Record<string, string>; offlineBudgetMilli: number };
  notes: string[];
}

export interface StatusPublisher {
  publish(status: NodeIsolationStatus): Promise<void>;
}

export interface AgentOptions {
  nodeName: string;
  fs: Fs;
  layout: CgroupLayout;
  procRoot: string;
  topology: CpuTopology;
  capabilities: Capabilities;
  resctrl: ResctrlInfo | null;
  policy: IsolationPolicy;
  podSource: PodSource;
  executor: Executor;
  evictor?: Evictor | null;
  statusPublisher?: StatusPublisher | null;
  metrics?: AgentMetrics;
  log?: Logger;
  now?: () => number;
  /** Reconcile period (default 2 s); pod changes trigger one sooner. */
  intervalMs?: number;
  dryRun?: boolean;
  /** A pod refused because an identifier (UID, container ID) failed validation: once per pod. */
  onInvalidPod?: (pod: PodInfo, reason: string) => void;
  /** The strategies to run, in order (default STRATEGIES: cpuset, cpu, memory, resctrl). */
  strategies?: readonly IsolationStrategy[];
}

export interface ReconcileReport {
  pods: number;
  missing: number;
  invalid: number;
  plan: CpuPlan | null;
  apply: ApplyReport;
  evicted: string[];
  notes: string[];
}

export class Agent {
  private readonly reader: NodeReader;
  private readonly sampler: LoadSampler;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private readonly strategies: readonly IsolationStrategy[];
  /** What the node supports; re-probed while kubepods is missing (the agent may start before kubelet). */
  private caps: Capabilities;
  private exclusive = new Map<string, number[]>();
  private usageWindow: number[] = [];
  private readonly recentEvictions = new Map<string, number>();
  private readonly warnedInvalid = new Set<string>();
  private lastLoad: NodeLoadReport | null = null;
  private lastStatus: NodeIsolationStatus;
  private lastPublished = '';
  private lastReconcileAt = 0;
  private reconciled = false;
  private timer: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<unknown> | null = null;
  private rerun = false;
  private stopped = true;

  constructor(private readonly o: AgentOptions) {
    this.caps = o.capabilities;
    this.reader = new NodeReader(o.fs, o.layout, o.procRoot);
    this.now = o.now ?? Date.now;
    this.sampler = new LoadSampler(this.reader, o.topology.cpus.length, this.now);
    this.log = o.log ?? silentLogger;
    this.intervalMs = o.intervalMs ?? 2000;
    this.strategies = o.strategies ?? STRATEGIES;
    this.lastStatus = this.buildStatus(null, []);
    o.metrics?.setCapabilities(o.capabilities);
  }

  /** Start the periodic loop; pod changes trigger a reconcile within 100 ms. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribe = this.o.podSource.subscribe(() => this.kick());
    this.schedule(0);
  }

  /** Stop the loop and wait for an in-flight reconcile. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.timer = null;
    this.debounce = null;
    await this.running?.catch(() => undefined);
  }

  /** Undo everything the agent changed (uninstall). */
  async restore(): Promise<ApplyReport> {
    await this.stop();
    return this.o.executor.restoreAll();
  }

  ready(): boolean {
    return this.reconciled && this.o.podSource.synced();
  }

  /** Healthy while reconciles keep happening (a stuck loop fails /healthz). */
  healthy(): { ok: boolean; reason: string } {
    if (this.stopped) return { ok: true, reason: 'not started' };
    if (!this.reconciled) return { ok: true, reason: 'starting' };
    const age = this.now() - this.lastReconcileAt;
    return age <= this.intervalMs * 5 + 10_000 ? { ok: true, reason: 'ok' } : { ok: false, reason: `no reconcile for ${Math.round(age / 1000)}s` };
  }

  status(): NodeIsolationStatus {
    return this.lastStatus;
  }

  latestLoad(): NodeLoadReport | null {
    return this.lastLoad;
  }

  private kick(): void {
    if (this.stopped || this.debounce !== null) return;
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.runOnce();
    }, 100);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().finally(() => this.schedule(this.intervalMs));
    }, delay);
  }

  private async runOnce(): Promise<void> {
    if (this.running !== null) {
      this.rerun = true;
      await this.running.catch(() => undefined);
      return;
    }
    do {
      this.rerun = false;
      this.running = this.reconcile().catch((err: unknown) => {
        this.o.metrics?.reconcileErrors.inc();
        this.log.error({ err: (err as Error).message }, 'reconcile failed');
      });
      await this.running;
      this.running = null;
    } while (this.rerun && !this.stopped);
  }

  /** One pass: observe, compute, apply. Safe to call directly (tests, --once). */
  async reconcile(): Promise<ReconcileReport> {
    const end = this.o.metrics?.reconcileSeconds.startTimer();
    const { o } = this;
    const notes: string[] = [];
    if (!this.caps.cgroup.kubepodsFound) {
      this.caps = await detectCapabilities(o.fs, o.layout, o.procRoot, o.topology, o.resctrl);
      o.metrics?.setCapabilities(this.caps);
    }
    const pods = o.podSource.pods().filter((p) => p.phase === 'Running' || p.phase === 'Pending');
    const lookup = await this.reader.findPods(pods);
    for (const { pod, reason } of lookup.invalid) {
      if (this.warnedInvalid.has(pod.uid)) continue;
      this.warnedInvalid.add(pod.uid);
      this.log.warn({ pod: podKey(pod), reason }, 'pod skipped: unsafe identifier');
      o.onInvalidPod?.(pod, reason);
    }
    const found = lookup.found;

    const sample = await this.sampler.sample(found);
    o.metrics?.setLoad(sample);
    const measured = sample.byClass.online.cpuMilli + sample.byClass.system.cpuMilli;
    // Until the first CPU delta exists, assume online pods use what they request.
    const online = sample.windowMs === 0 ? found.filter((p) => p.pod.tidepoolQos === 'online').reduce((s, p) => s + p.pod.requests.cpuMilli, 0) : measured;
    this.usageWindow = [...this.usageWindow, online].slice(-o.policy.usageWindow);
    const onlineUsageMilli = Math.max(...this.usageWindow);

    // The CPU decision of the round (pool split, offline CPUs and budget, exclusive CPUs) that
    // the cpuset and quota strategies both carry out.
    let plan: CpuPlan | null = null;
    const periods = new Map<string, number>();
    if (o.layout.mounts.cpuset !== null || o.layout.mounts.cpu !== null) {
      const allowed = (await this.reader.cpusetCpus(kubepodsDir(o.layout))) ?? o.topology.cpus.map((c) => c.id);
      const currentCpusets = new Map<string, number[]>();
      for (const p of found) {
        if (p.pod.tidepoolQos !== 'online-exclusive' || this.exclusive.has(p.pod.uid)) continue;
        const cur = await this.reader.cpusetCpus(p.dir);
        if (cur !== undefined) currentCpusets.set(p.pod.uid, cur);
      }
      plan = planCpus({
        topology: o.topology,
        allowedCpus: allowed.length > 0 ? allowed : o.topology.cpus.map((c) => c.id),
        pods: found,
        policy: o.policy,
        previousExclusive: this.exclusive,
        currentCpusets,
        onlineUsageMilli,
      });
      this.exclusive = plan.exclusive;
      for (const u of plan.unsatisfied) notes.push(`online-exclusive pod ${u.uid}: ${u.reason}; it runs on the shared pool`);
      if (plan.budget.overlapsOnline) notes.push('shared pool too small to keep offline CPUs apart from online ones');
      o.metrics?.offlineCpus.set(plan.offlineCpus.length);
      o.metrics?.offlineQuota.set(plan.budget.offlineMilli);
      if (o.layout.mounts.cpu !== null) for (const p of found) if (p.pod.tidepoolQos === 'offline') periods.set(p.dir, await this.reader.cfsPeriodUs(p.dir));
    }

    // What the strategies need of the processes: PIDs of offline pods (and of all pods, and
    // their threads, when resctrl groups are kept).
    const pids = new Map<string, number[]>();
    const threads = new Map<string, number[]>();
    const needAll = o.resctrl !== null;
    for (const p of found) {
      if (p.pod.tidepoolQos !== 'offline' && !needAll) continue;
      const podPids = await this.reader.podPids(p);
      pids.set(p.pod.uid, podPids);
      if (needAll) {
        const tids: number[] = [];
        for (const pid of podPids) tids.push(...(await this.reader.threads(pid)));
        threads.set(p.pod.uid, tids);
      }
    }

    const desired = planAll(this.strategies, { layout: o.layout, policy: o.policy, capabilities: this.caps, resctrl: o.resctrl, pods: found, cpuPlan: plan, periods, pids, threads });
    notes.push(...desired.notes);
    let apply = await o.executor.applyCgroups(desired.cgroups);
    apply = mergeReports(apply, await o.executor.applyProcs(desired.procs));
    if (desired.resctrl !== null) apply = mergeReports(apply, await o.executor.applyResctrl(desired.resctrl));

    const evicted = await this.evict(found, sample.pods, sample.node.memoryBytes, sample.node.memoryTotalBytes);

    this.lastLoad = toLoadReport(o.nodeName, sample, plan?.budget.offlineMilli ?? 0, plan?.offlineCpus.length ?? 0);
    this.lastStatus = this.buildStatus(plan, notes);
    o.metrics?.unsupported.set(this.lastStatus.unsupported.length);
    o.metrics?.contested.set(this.lastStatus.contested.length);
    await this.publishStatus();
    this.reconciled = true;
    this.lastReconcileAt = this.now();
    end?.();
    for (const f of apply.failed) this.log.debug({ path: f.path, code: f.code }, 'write failed this round');
    return { pods: found.length, missing: lookup.missing.length, invalid: lookup.invalid.length, plan, apply, evicted, notes };
  }

  private async evict(found: readonly PodCgroup[], usage: ReadonlyMap<string, { memoryBytes: number }>, used: number, total: number): Promise<string[]> {
    const { o } = this;
    const now = this.now();
    for (const [uid, at] of this.recentEvictions) if (now - at > o.policy.evictCooldownMs * 10) this.recentEvictions.delete(uid);
    if (o.evictor === null || o.evictor === undefined) return [];
    const decision = decideEvictions({
      memoryTotalBytes: total,
      memoryUsedBytes: used,
      thresholdPercent: o.policy.evictMemoryThresholdPercent,
      lowerPercent: o.policy.evictMemoryLowerPercent,
      offline: found.filter((p) => p.pod.tidepoolQos === 'offline').map((p) => ({ pod: p.pod, memoryBytes: usage.get(p.pod.uid)?.memoryBytes ?? 0 })),
      recent: this.recentEvictions,
      nowMs: now,
      cooldownMs: o.policy.evictCooldownMs,
      maxPerCycle: o.policy.maxEvictionsPerCycle,
    });
    const evicted: string[] = [];
    for (const v of decision.victims) {
      if (o.dryRun) {
        this.log.info({ pod: podKey(v.pod), reason: decision.reason }, 'dry-run: would evict');
        this.recentEvictions.set(v.pod.uid, now);
        continue;
      }
      const result = await o.evictor.evict(v.pod, decision.reason).catch((err: unknown) => ({ outcome: 'failed' as const, message: (err as Error).message }));
      o.metrics?.evictions.inc({ outcome: result.outcome });
      this.recentEvictions.set(v.pod.uid, now);
      if (result.outcome === 'evicted') evicted.push(podKey(v.pod));
      this.log[result.outcome === 'evicted' || result.outcome === 'gone' ? 'info' : 'warn'](
        { pod: podKey(v.pod), outcome: result.outcome, message: result.message, reason: decision.reason },
        'offline pod eviction',
      );
    }
    return evicted;
  }

  private buildStatus(plan: CpuPlan | null, notes: string[]): NodeIsolationStatus {
    const fmt = (cpus: readonly number[]): string => formatCpuList(cpus);
    return {
      node: this.o.nodeName,
      capabilities: this.caps,
      degraded: degradations(this.caps),
      unsupported: this.o.executor.unsupported(),
      contested: this.o.executor.contested(),
      dryRun: this.o.dryRun ?? false,
      cpus: {
        pool: fmt(plan?.pool ?? []),
        online: fmt(plan?.onlineCpus ?? []),
        offline: fmt(plan?.offlineCpus ?? []),
        exclusive: Object.fromEntries([...(plan?.exclusive ?? new Map<string, number[]>())].map(([uid, cpus]) => [uid, fmt(cpus)])),
        offlineBudgetMilli: plan?.budget.offlineMilli ?? 0,
      },
      notes,
    };
  }

  private async publishStatus(): Promise<void> {
    const pub = this.o.statusPublisher;
    if (pub === null || pub === undefined) return;
    // Only the slow-moving parts go to the API server: no usage figures, so no per-cycle writes.
    const { capabilities, degraded, unsupported, contested, dryRun } = this.lastStatus;
    const key = JSON.stringify({ capabilities, degraded, unsupported: unsupported.map((u) => u.file).sort(), contested: contested.length, dryRun });
    if (key === this.lastPublished) return;
    try {
      await pub.publish(this.lastStatus);
      this.lastPublished = key;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot publish node isolation status; will retry');
    }
  }
}
