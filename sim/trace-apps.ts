// Plays an app plan against one simulated cluster, as spark-submit and Flink's native
// Kubernetes mode would: at its arrival the app's leader pod (Spark driver / Flink jobmanager)
// is created; once it runs, the leader asks for its workers (executors / taskmanagers), which run
// for the planned time and finish (Succeeded); when the last worker is done the leader exits
// too, and the app's pods are cleaned up. A worker that disappears before finishing (evicted)
// is asked for again, as Spark and Flink replace lost executors and taskmanagers.
//
// It keeps what the trace reports: when each pod waited and for how long, which apps finished,
// and which got stuck — a leader running for `stuckAfterMs` with none of its workers ever
// started (the Spark deadlock: drivers holding the room their executors need).

import type { SimCluster } from './cluster.js';
import { ApiError } from './errors.js';
import type { KubeObject } from './object.js';
import type { StoreEvent } from './store.js';
import { timersOf } from './time.js';
import type { AppPlan } from './trace-plan.js';
import { CPU_USAGE_ANNOTATION, DURATION_ANNOTATION } from './usage.js';
import {
  FLINK_APP_LABEL,
  FLINK_COMPONENT_LABEL,
  FLINK_JOBMANAGER,
  FLINK_NATIVE_TYPE,
  FLINK_TASKMANAGER,
  FLINK_TYPE_LABEL,
  SPARK_APP_SELECTOR_LABEL,
  SPARK_ROLE_DRIVER,
  SPARK_ROLE_EXECUTOR,
  SPARK_ROLE_LABEL,
} from '../api/index.js';
import { formatBytes, formatCpuMilli } from '../kube/index.js';

export const TRACE_APPS_NAMESPACE = 'batch';

export interface AppRunnerOptions {
  cluster: SimCluster;
  plan: readonly AppPlan[];
  /** Default "batch" (created when missing). */
  namespace?: string;
  /** spec.schedulerName of every app pod (spark.kubernetes.scheduler.name); default the cluster's default scheduler. */
  schedulerName?: string;
  /**
   * What admission does to a pod before it is stored (the colocation webhook's mutation, for
   * instance): returns the pod to store. Default: stored as written.
   */
  admit?: (pod: KubeObject) => KubeObject;
  /** A leader running this long (simulated ms) with no worker ever started counts as stuck. Default 1 h. */
  stuckAfterMs?: number;
  /** Keep the pods of finished apps (default: deleted once the app is done, as a cleanup would). */
  keepFinished?: boolean;
}

export interface AppRunnerStats {
  /** Apps whose arrival time has come. */
  arrived: number;
  /** Apps whose workers all finished and whose leader exited. */
  completed: number;
  /** Apps stuck (see stuckAfterMs) at any time. */
  stuck: number;
  /** Apps whose leader has not started yet. */
  leadersWaiting: number;
  /** Apps that lost their leader before finishing. */
  failed: number;
  workersCreated: number;
  workersStarted: number;
  workersSucceeded: number;
  /** Workers that disappeared before finishing (evicted) and were asked for again. */
  workersLost: number;
  /** Simulated ms from creation to Running, per started worker / leader. */
  workerWaitsMs: number[];
  /** The same for workers, by their CPU request (millicores): large workers may wait longer. */
  workerWaitsByCpu: Record<string, number[]>;
  leaderWaitsMs: number[];
  /** Simulated ms waited so far by workers / leaders not started yet. */
  pendingWorkerAgesMs: number[];
  pendingLeaderAgesMs: number[];
  /** Creation or write errors other than the expected races (a pod already gone). */
  errors: string[];
}

interface AppState {
  plan: AppPlan;
  leaderName: string;
  leaderStartedAt: number | undefined;
  workersAsked: number;
  workersStarted: number;
  workersDone: number;
  stuck: boolean;
  finished: boolean;
  failed: boolean;
}

interface PodRef {
  app: AppState;
  role: 'leader' | 'worker';
  createdAt: number;
  startedAt: number | undefined;
  done: boolean;
}

const ERROR_LIMIT = 20;

export class AppRunner {
  private readonly ns: string;
  private readonly stuckAfterMs: number;
  private readonly timers: ReturnType<typeof timersOf>;
  private readonly apps = new Map<string, AppState>();
  private readonly pods = new Map<string, PodRef>();
  private readonly podsRt;
  private readonly work: Array<() => void> = [];
  private workScheduled = false;
  private next = 0;
  private startedAt = 0;
  private arrivalTimer: unknown;
  private sweepTimer: unknown;
  private unsubscribe: (() => void) | undefined;
  private running = false;
  private readonly stats: AppRunnerStats = {
    arrived: 0,
    completed: 0,
    stuck: 0,
    leadersWaiting: 0,
    failed: 0,
    workersCreated: 0,
    workersStarted: 0,
    workersSucceeded: 0,
    workersLost: 0,
    workerWaitsMs: [],
    workerWaitsByCpu: {},
    leaderWaitsMs: [],
    pendingWorkerAgesMs: [],
    pendingLeaderAgesMs: [],
    errors: [],
  };

  constructor(private readonly o: AppRunnerOptions) {
    this.ns = o.namespace ?? TRACE_APPS_NAMESPACE;
    this.stuckAfterMs = o.stuckAfterMs ?? 3_600_000;
    if (!(this.stuckAfterMs > 0)) throw new RangeError(`app runner: stuckAfterMs must be positive, got ${this.stuckAfterMs}`);
    this.timers = timersOf(o.cluster.api.clock);
    this.podsRt = o.cluster.api.registry.lookup('', 'v1', 'pods')!;
    const ids = new Set<string>();
    for (const a of o.plan) {
      if (ids.has(a.id)) throw new RangeError(`app runner: app id ${a.id} appears twice in the plan`);
      ids.add(a.id);
    }
  }

  private now(): number {
    return this.o.cluster.api.clock.now();
  }

  /** Starts the plan's clock now: app i arrives plan[i].arriveAfterMs simulated ms from here. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const api = this.o.cluster.api;
    const nsRt = api.registry.lookup('', 'v1', 'namespaces')!;
    if (!api.tryGet(nsRt, '', this.ns)) api.create(nsRt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.ns } });
    this.unsubscribe = api.store.subscribe('/pods', (ev) => this.onPodEvent(ev));
    this.startedAt = this.now();
    this.armArrivals();
    this.armSweep();
  }

  /** Stops arrivals and bookkeeping; pods already created stay. */
  stop(): void {
    this.running = false;
    this.unsubscribe?.();
    if (this.arrivalTimer !== undefined) this.timers.clearTimeout(this.arrivalTimer);
    if (this.sweepTimer !== undefined) this.timers.clearTimeout(this.sweepTimer);
    this.work.length = 0;
  }

  /** The figures so far (pending ages measured now). */
  snapshot(): AppRunnerStats {
    const now = this.now();
    this.sweepStuck(now);
    const s = this.stats;
    const pendingWorkers: number[] = [];
    const pendingLeaders: number[] = [];
    for (const p of this.pods.values()) {
      if (p.startedAt !== undefined || p.done) continue;
      (p.role === 'worker' ? pendingWorkers : pendingLeaders).push(now - p.createdAt);
    }
    return {
      ...s,
      leadersWaiting: pendingLeaders.length,
      workerWaitsMs: [...s.workerWaitsMs],
      workerWaitsByCpu: Object.fromEntries(Object.entries(s.workerWaitsByCpu).map(([k, v]) => [k, [...v]])),
      leaderWaitsMs: [...s.leaderWaitsMs],
      pendingWorkerAgesMs: pendingWorkers,
      pendingLeaderAgesMs: pendingLeaders,
      errors: [...s.errors],
    };
  }

  // ------------------------------------------------------------------ arrivals

  private armArrivals(): void {
    if (!this.running || this.next >= this.o.plan.length) return;
    const due = this.startedAt + this.o.plan[this.next]!.arriveAfterMs;
    this.arrivalTimer = this.timers.setTimeout(() => {
      this.arrivalTimer = undefined;
      const now = this.now();
      while (this.running && this.next < this.o.plan.length && this.startedAt + this.o.plan[this.next]!.arriveAfterMs <= now) {
        this.arrive(this.o.plan[this.next++]!);
      }
      this.armArrivals();
    }, Math.max(0, due - this.now()));
  }

  private arrive(plan: AppPlan): void {
    this.stats.arrived++;
    const leaderName = plan.kind === 'spark' ? `${plan.id}-driver` : `${plan.id}-jobmanager`;
    const app: AppState = { plan, leaderName, leaderStartedAt: undefined, workersAsked: 0, workersStarted: 0, workersDone: 0, stuck: false, finished: false, failed: false };
    this.apps.set(plan.id, app);
    this.createPod(app, 'leader', leaderName, this.leaderBody(app));
  }

  private createPod(app: AppState, role: PodRef['role'], name: string, body: KubeObject): void {
    const ref: PodRef = { app, role, createdAt: this.now(), startedAt: undefined, done: false };
    this.pods.set(name, ref);
    try {
      const pod = this.o.admit ? this.o.admit(body) : body;
      this.o.cluster.api.create(this.podsRt, this.ns, pod);
      if (role === 'worker') this.stats.workersCreated++;
    } catch (e) {
      this.pods.delete(name);
      this.error(`create pod ${this.ns}/${name}: ${(e as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ pod bodies

  private common(): { schedulerName?: string } {
    return this.o.schedulerName ? { schedulerName: this.o.schedulerName } : {};
  }

  private leaderBody(app: AppState): KubeObject {
    const p = app.plan;
    const spark = p.kind === 'spark';
    const labels: Record<string, string> = spark
      ? { [SPARK_ROLE_LABEL]: SPARK_ROLE_DRIVER, [SPARK_APP_SELECTOR_LABEL]: p.id, 'spark-app-name': p.id }
      : { [FLINK_TYPE_LABEL]: FLINK_NATIVE_TYPE, [FLINK_APP_LABEL]: p.id, [FLINK_COMPONENT_LABEL]: FLINK_JOBMANAGER };
    const memory = formatBytes(p.leader.memoryBytes);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: app.leaderName, labels, annotations: { [CPU_USAGE_ANNOTATION]: formatCpuMilli(p.leader.usageCpuMilli) } },
      spec: {
        ...this.common(),
        restartPolicy: 'Never',
        containers: [
          {
            name: spark ? 'spark-kubernetes-driver' : 'flink-main-container',
            image: spark ? 'apache/spark:3.5.1' : 'flink:1.19',
            resources: { requests: { cpu: formatCpuMilli(p.leader.cpuMilli), memory }, limits: { memory } },
          },
        ],
      },
    };
  }

  private workerBody(app: AppState, index: number): { name: string; body: KubeObject } {
    const p = app.plan;
    const spark = p.kind === 'spark';
    const name = spark ? `${p.id}-exec-${index}` : `${p.id}-taskmanager-1-${index}`;
    const labels: Record<string, string> = spark
      ? { [SPARK_ROLE_LABEL]: SPARK_ROLE_EXECUTOR, [SPARK_APP_SELECTOR_LABEL]: p.id, 'spark-exec-id': String(index) }
      : { [FLINK_TYPE_LABEL]: FLINK_NATIVE_TYPE, [FLINK_APP_LABEL]: p.id, [FLINK_COMPONENT_LABEL]: FLINK_TASKMANAGER };
    const memory = formatBytes(p.worker.memoryBytes);
    return {
      name,
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels, annotations: { [DURATION_ANNOTATION]: `${p.workerDurationMs}ms`, [CPU_USAGE_ANNOTATION]: '90%' } },
        spec: {
          ...this.common(),
          restartPolicy: 'Never',
          containers: [
            {
              name: spark ? 'spark-kubernetes-executor' : 'flink-main-container',
              image: spark ? 'apache/spark:3.5.1' : 'flink:1.19',
              resources: { requests: { cpu: formatCpuMilli(p.worker.cpuMilli), memory }, limits: { memory } },
            },
          ],
        },
      },
    };
  }

  // ------------------------------------------------------------------ lifecycle

  /** Store listeners must not write: every action is deferred to the next turn. */
  private defer(fn: () => void): void {
    this.work.push(fn);
    if (this.workScheduled) return;
    this.workScheduled = true;
    setImmediate(() => {
      this.workScheduled = false;
      const batch = this.work.splice(0);
      for (const f of batch) {
        if (!this.running) return;
        f();
      }
    });
  }

  private onPodEvent(ev: StoreEvent): void {
    const o = ev.object;
    if (o.namespace !== this.ns) return;
    const ref = this.pods.get(o.name);
    if (!ref) return;
    const app = ref.app;
    const now = this.now();
    if (ev.type === 'DELETED') {
      this.pods.delete(o.name);
      if (ref.done || app.finished) return;
      if (ref.role === 'worker') {
        // Evicted (or deleted before it ran): the leader asks for another.
        this.stats.workersLost++;
        this.defer(() => this.askWorker(app));
      } else {
        app.failed = true;
        this.stats.failed++;
        this.defer(() => this.cleanup(app));
      }
      return;
    }
    const phase = o.fields['status.phase'] ?? '';
    if (phase === 'Running' && ref.startedAt === undefined) {
      ref.startedAt = now;
      if (ref.role === 'leader') {
        app.leaderStartedAt = now;
        this.stats.leaderWaitsMs.push(now - ref.createdAt);
        this.defer(() => {
          for (let i = 0; i < app.plan.workers; i++) this.askWorker(app);
        });
      } else {
        app.workersStarted++;
        this.stats.workersStarted++;
        this.stats.workerWaitsMs.push(now - ref.createdAt);
        (this.stats.workerWaitsByCpu[String(app.plan.worker.cpuMilli)] ??= []).push(now - ref.createdAt);
      }
    } else if (phase === 'Succeeded' && !ref.done) {
      ref.done = true;
      if (ref.startedAt === undefined) ref.startedAt = now;
      if (ref.role === 'worker') {
        app.workersDone++;
        this.stats.workersSucceeded++;
        if (app.workersDone >= app.plan.workers) this.defer(() => this.finishLeader(app));
      } else if (!app.finished) {
        app.finished = true;
        this.stats.completed++;
        if (!this.o.keepFinished) this.defer(() => this.cleanup(app));
      }
    }
  }

  private askWorker(app: AppState): void {
    if (app.finished || app.failed) return;
    const { name, body } = this.workerBody(app, ++app.workersAsked);
    this.createPod(app, 'worker', name, body);
  }

  /** The leader's main() returns: a duration of 0 makes the simulated kubelet finish it now. */
  private finishLeader(app: AppState): void {
    this.write(`finish leader ${app.leaderName}`, () =>
      this.o.cluster.api.mutate(this.podsRt, this.ns, app.leaderName, (pod) => {
        pod.metadata.annotations = { ...pod.metadata.annotations, [DURATION_ANNOTATION]: '0s' };
      }),
    );
  }

  private cleanup(app: AppState): void {
    for (const [name, ref] of [...this.pods]) {
      if (ref.app !== app) continue;
      this.write(`delete pod ${name}`, () => this.o.cluster.api.delete(this.podsRt, this.ns, name, { gracePeriodSeconds: 0 }));
    }
  }

  private write(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      // The pod went away meanwhile (deleted, evicted): nothing left to do for it.
      if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return;
      this.error(`${what}: ${(e as Error).message}`);
    }
  }

  private error(message: string): void {
    if (this.stats.errors.length < ERROR_LIMIT) this.stats.errors.push(message);
  }

  // ------------------------------------------------------------------ stuck apps

  private armSweep(): void {
    if (!this.running) return;
    this.sweepTimer = this.timers.setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweepStuck(this.now());
      this.armSweep();
    }, Math.max(1_000, this.stuckAfterMs / 4));
  }

  private sweepStuck(now: number): void {
    for (const app of this.apps.values()) {
      if (app.stuck || app.finished || app.failed || app.leaderStartedAt === undefined || app.workersStarted > 0) continue;
      if (now - app.leaderStartedAt >= this.stuckAfterMs) {
        app.stuck = true;
        this.stats.stuck++;
      }
    }
    // Finished apps are no longer needed for the sweep.
    for (const [id, app] of this.apps) if (app.finished || app.failed) this.apps.delete(id);
  }
}
