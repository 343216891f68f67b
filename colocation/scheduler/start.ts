/**
 * startScheduler: the scheduler as a running component. Informers on nodes, pods and (when the
 * CRD exists) PodGroups feed the scheduler's cache and queue on every replica, so a standby is
 * warm; with leader election on, only the leader pops pods and binds. /healthz, /readyz,
 * /metrics and the extender verbs are served on `listen`.
 *
 * Throughput wants an API client with a high rate limit (the client's default 20 QPS would cap
 * binding at 20 pods/s): create it with e.g. qps 5000 / burst 5000 for large clusters.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { OFFLINE_EVICTED_UNTIL_ANNOTATION, SCHEDULER_NAME } from '../../api/index.js';
import {
  EventRecorder,
  LeaderElector,
  NODE_FIELDS,
  createInformer,
  eventSinkFor,
  leaseClientFor,
  nodeProjection,
  systemClock,
  type Clock,
  type Informer,
  type KubeClient,
  type Logger,
  type NodeSummary,
} from '../../kube/index.js';
import type { NodeLoadView } from '../load/index.js';
import { SchedulerConfigError, resolveSettings, type SettingsInput } from './config.js';
import { PodGroupWatch } from './gang/pod-group-watch.js';
import { staticPodGroups } from './gang/pod-groups.js';
import { SCHED_POD_FIELDS, projectSchedPod } from './pod-info.js';
import { staticPolicySource, type PolicySource } from './policy.js';
import { Scheduler } from './scheduler.js';
import { buildExtenderServer } from './server.js';
import type { SchedPod } from './types.js';

export interface LeaderElectionSettings {
  /** Lease namespace. Default kube-system. */
  namespace?: string;
  /** Lease name. Default the scheduler name. */
  name?: string;
  /** Unique per replica. Default hostname + random suffix. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface SchedulerOptions {
  client: KubeClient;
  /** Measured node load (the batch controller builds it from the agents or metrics.k8s.io). */
  load: NodeLoadView;
  /** The ColocationPolicy in force; Tidepool's defaults when absent. */
  policy?: PolicySource;
  /** Where the scheduler's metrics go (never prom-client's global registry). */
  registry: Registry;
  logger: Logger;
  /** Elect a leader among replicas (on by default); false schedules at once. */
  leaderElection?: LeaderElectionSettings | false;
  /** Stops the scheduler when aborted (as stop() does). */
  signal?: AbortSignal;
  /** Pods with this spec.schedulerName are ours. Default tidepool-scheduler. */
  schedulerName?: string;
  /** Serve /healthz, /readyz, /metrics (and the extender) here; port 0 picks a free one. */
  listen?: { host: string; port: number };
  /** Extender verbs on the listen server. Default on, under /scheduler. */
  extender?: { enabled?: boolean; prefix?: string };
  settings?: SettingsInput;
  /** Watch PodGroups (scheduling.x-k8s.io) when the CRD exists. Default true. */
  podGroups?: boolean;
  clock?: Clock;
  random?: () => number;
}

export interface RunningScheduler {
  readonly scheduler: Scheduler;
  /** http://host:port of the listen server, when there is one. */
  readonly url: string | undefined;
  readonly server: FastifyInstance | undefined;
  /** Caches synced: the scheduler (or extender) can act. */
  ready(): boolean;
  /** This replica schedules (always true without leader election). */
  isLeader(): boolean;
  /** Resolves once the scheduler has stopped. */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/** Validates options and starts the component; a bad option throws SchedulerConfigError naming it. */
export async function startScheduler(opts: SchedulerOptions): Promise<RunningScheduler> {
  const settings = resolveSettings(opts.settings);
  const schedulerName = opts.schedulerName ?? SCHEDULER_NAME;
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(schedulerName)) throw new SchedulerConfigError(`--scheduler-name: must be a DNS subdomain, got ${JSON.stringify(schedulerName)}`);
  if (opts.listen && !(Number.isInteger(opts.listen.port) && opts.listen.port >= 0 && opts.listen.port <= 65535)) {
    throw new SchedulerConfigError(`--listen: port must be 0..65535, got ${JSON.stringify(opts.listen.port)}`);
  }
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  const le = opts.leaderElection === false ? undefined : (opts.leaderElection ?? {});
  const identity = le?.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;

  const recorder = new EventRecorder({ sink: eventSinkFor(opts.client), component: schedulerName, host: identity, registry: opts.registry, logger });
  const podGroupWatch =
    opts.podGroups === false ? undefined : new PodGroupWatch({ client: opts.client, logger, onChange: () => scheduler.onPodGroupChange(), clock });
  const scheduler = new Scheduler({
    schedulerName,
    settings,
    load: opts.load,
    policy: opts.policy ?? staticPolicySource(),
    podGroups: podGroupWatch ?? staticPodGroups(),
    registry: opts.registry,
    logger,
    events: recorder,
    client: opts.client,
    clock,
    ...(opts.random ? { random: opts.random } : {}),
  });

  const nodes: Informer<NodeSummary> = createInformer<NodeSummary>({
    client: opts.client,
    resource: { version: 'v1', resource: 'nodes' },
    // The eviction controller's back-off marker is the one annotation the filters read.
    project: nodeProjection({ annotations: [OFFLINE_EVICTED_UNTIL_ANNOTATION] }),
    fields: NODE_FIELDS,
    logger,
    name: `${schedulerName}/nodes`,
    clock,
  });
  nodes.addHandlers({
    onAdd: (n) => scheduler.onNodeAdd(n),
    onUpdate: (o, n) => scheduler.onNodeUpdate(o, n),
    onDelete: (n) => scheduler.onNodeDelete(n),
  });
  const pods: Informer<SchedPod> = createInformer<SchedPod>({
    client: opts.client,
    resource: { version: 'v1', resource: 'pods' },
    project: projectSchedPod,
    fields: SCHED_POD_FIELDS,
    logger,
    name: `${schedulerName}/pods`,
    clock,
  });
  pods.addHandlers({
    onAdd: (p) => scheduler.onPodAdd(p),
    onUpdate: (o, p) => scheduler.onPodUpdate(o, p),
    onDelete: (p) => scheduler.onPodDelete(p),
  });

  const stopAll = new AbortController();
  const onOuterAbort = (): void => stopAll.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const synced = (): boolean => nodes.hasSynced() && pods.hasSynced();
  let leading = le === undefined;

  let server: FastifyInstance | undefined;
  let url: string | undefined;
  if (opts.listen) {
    server = buildExtenderServer({
      scheduler,
      registry: opts.registry,
      ready: () => (synced() ? { ok: true, reason: `ok: ${scheduler.cache.nodeCount} nodes, ${leading ? 'leading' : 'standing by'}` } : { ok: false, reason: 'waiting for the node and pod caches to sync' }),
      extender: opts.extender?.enabled !== false,
      ...(opts.extender?.prefix !== undefined ? { prefix: opts.extender.prefix } : {}),
      logger,
    });
    try {
      await server.listen({ host: opts.listen.host, port: opts.listen.port });
    } catch (err) {
      scheduler.close();
      await recorder.close();
      throw new SchedulerConfigError(`--listen: cannot listen on ${opts.listen.host}:${opts.listen.port}: ${(err as Error).message}`);
    }
    const addr = server.server.address() as AddressInfo;
    url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  nodes.start();
  pods.start();
  podGroupWatch?.start();

  const schedule = async (signal: AbortSignal): Promise<void> => {
    const ok = await Promise.all([nodes.waitForSync({ signal }), pods.waitForSync({ signal })]);
    if (!ok.every(Boolean) || signal.aborted) return;
    logger.info({ scheduler: schedulerName, nodes: scheduler.cache.nodeCount, identity }, 'caches synced; scheduling');
    await scheduler.run(signal);
  };

  const main = (async () => {
    if (!le) {
      await schedule(stopAll.signal);
      return;
    }
    const elector = new LeaderElector({
      client: leaseClientFor(opts.client),
      namespace: le.namespace ?? 'kube-system',
      name: le.name ?? schedulerName,
      identity,
      ...(le.leaseDurationMs !== undefined ? { leaseDurationMs: le.leaseDurationMs } : {}),
      ...(le.renewDeadlineMs !== undefined ? { renewDeadlineMs: le.renewDeadlineMs } : {}),
      ...(le.retryPeriodMs !== undefined ? { retryPeriodMs: le.retryPeriodMs } : {}),
      clock,
      logger,
      callbacks: {
        onStartedLeading: async (signal) => {
          leading = true;
          await schedule(signal);
        },
        onStoppedLeading: () => {
          leading = false;
        },
      },
    });
    // Lost leadership: campaign again (the queue and cache stay warm meanwhile).
    while (!stopAll.signal.aborted) {
      const end = await elector.run(stopAll.signal);
      if (end === 'lost') logger.warn({ identity }, 'lost leadership; campaigning again');
    }
  })().catch((err: unknown) => logger.error({ err }, 'scheduler stopped unexpectedly'));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stopAll.abort();
      opts.signal?.removeEventListener('abort', onOuterAbort);
      scheduler.close();
      await main;
      await Promise.all([nodes.stop(), pods.stop(), podGroupWatch?.stop()]);
      await server?.close();
      await recorder.close();
    })());
  if (opts.signal?.aborted) void stop();
  const stoppedPromise = new Promise<void>((resolve) => {
    stopAll.signal.addEventListener('abort', () => void stop().then(resolve), { once: true });
  });

  return {
    scheduler,
    url,
    server,
    ready: synced,
    isLeader: () => leading,
    stopped: stoppedPromise,
    stop,
  };
}
