// The demo's stream of Spark and Flink apps: the sim's seeded app plan (sim/trace-plan.ts)
// played by its AppRunner (sim/trace-apps.ts) against the *host* cluster, every pod aimed at the
// virtual nodes the way a user submits to Tidepool — nodeSelector type=virtual-kubelet and a
// toleration of the virtual-kubelet taint. From there it is the product's path: the host's
// scheduler binds the pod to a virtual node, the virtual node places and mirrors it into a member,
// the member's webhook turns executors and taskmanagers into batch work, and the colocation
// scheduler puts them on reclaimed CPU.
import { DURATION_ANNOTATION, AppRunner, planApps, rateForCores, TRACE_APPS_NAMESPACE, type AppPlan, type AppStreamSpec, type KubeObject, type SimCluster } from '../sim/index.js';
import { VIRTUAL_NODE_TAINT, VIRTUAL_NODE_TYPE_LABEL, VIRTUAL_NODE_TYPE_VALUE } from '../api/index.js';

export const DEMO_APPS_NAMESPACE = TRACE_APPS_NAMESPACE;

/**
 * App shapes: executors and taskmanagers of 1, 2 or 4 cores (3 GiB per core), 2 to 6 per app,
 * running 1 to 4 simulated hours — long enough that the pool, not the churn, is what one sees.
 */
const STREAM_SHAPE: Pick<AppStreamSpec, 'workers' | 'workerCpuMilli' | 'workerDurationMs' | 'sparkShare'> = {
  workers: [2, 6],
  workerCpuMilli: [1000, 2000, 4000],
  workerDurationMs: [60 * 60_000, 240 * 60_000],
  sparkShare: 0.6,
};

/** How long a leader outlives its planned workers at most: it then exits, as a driver that gave up would. */
const LEADER_PATIENCE_MS = 60 * 60_000;

/** Real hours of apps planned up front (the plan is a few hundred bytes an app). */
const PLAN_REAL_HOURS = 24;

export interface AppStreamOptions {
  host: SimCluster;
  /** Simulated ms per real ms (the sim's time scale). */
  timeScale: number;
  /** Apps per real minute. */
  appsPerMinute: number;
  seed?: number;
}

export interface RunningAppStream {
  /** Apps planned per real minute. */
  appsPerMinute: number;
  stats(): ReturnType<AppRunner['snapshot']>;
  stop(): void;
}

/**
 * Apps per real minute that keep about `cores` worker cores busy (Little's law over the stream's
 * shape), at `timeScale`.
 */
export function appsPerMinuteFor(cores: number, timeScale: number): number {
  const perSimHour = rateForCores(STREAM_SHAPE, () => cores)(0);
  return (perSimHour * timeScale) / 60;
}

/** Aims a pod at the virtual nodes, and bounds a leader's life so a stalled app is cleaned up. */
export function aimAtVirtualNodes(pod: KubeObject, plans: ReadonlyMap<string, AppPlan>): KubeObject {
  const out = structuredClone(pod) as KubeObject & { metadata: { name: string; annotations?: Record<string, string> }; spec: Record<string, unknown> };
  out.spec['nodeSelector'] = { ...((out.spec['nodeSelector'] as Record<string, string> | undefined) ?? {}), [VIRTUAL_NODE_TYPE_LABEL]: VIRTUAL_NODE_TYPE_VALUE };
  out.spec['tolerations'] = [...((out.spec['tolerations'] as unknown[] | undefined) ?? []), { key: VIRTUAL_NODE_TAINT.key, operator: 'Exists', effect: VIRTUAL_NODE_TAINT.effect }];
  // The runner ends a leader by annotating the host pod once its workers are done; that edit
  // stays in the host (a mirror's spec is written once), so the leader carries its own end.
  const leader = /^(.*)-(driver|jobmanager)$/.exec(out.metadata.name);
  const plan = leader ? plans.get(leader[1]!) : undefined;
  if (plan && out.metadata.annotations?.[DURATION_ANNOTATION] === undefined) {
    out.metadata.annotations = { ...out.metadata.annotations, [DURATION_ANNOTATION]: `${plan.workerDurationMs + LEADER_PATIENCE_MS}ms` };
  }
  return out;
}

/** Starts submitting apps into the host cluster's `batch` namespace now. */
export function startAppStream(o: AppStreamOptions): RunningAppStream {
  if (!(o.appsPerMinute > 0)) throw new RangeError(`apps per minute must be positive, got ${o.appsPerMinute}`);
  const perSimHour = (o.appsPerMinute * 60) / o.timeScale;
  const plan = planApps({ ...STREAM_SHAPE, seed: o.seed ?? 1, horizonMs: PLAN_REAL_HOURS * 3_600_000 * o.timeScale, appsPerHour: perSimHour });
  const byId = new Map(plan.map((p) => [p.id, p]));
  const runner = new AppRunner({ cluster: o.host, plan, namespace: DEMO_APPS_NAMESPACE, admit: (pod) => aimAtVirtualNodes(pod, byId) });
  runner.start();
  return { appsPerMinute: o.appsPerMinute, stats: () => runner.snapshot(), stop: () => runner.stop() };
}
