// `tidepool colocation`: the scheduler, the admission webhook and the batch capacity controller
// (with offline eviction) in one process, each switchable; and each alone as `tidepool
// scheduler`, `tidepool webhook`, `tidepool batch-controller`. The parts share one API client,
// one LoadStore fed by one set of load sources, one ColocationPolicyWatch (so one set of
// thresholds drives the scheduler's load filter, batch capacity and eviction), one Registry and
// one HTTP server. Flags are in cli/colocation-flags.ts; the work is in colocation/*.
import { isIP } from 'node:net';
import type { Command } from 'commander';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { startBatchController, startPolicySource, type BatchController, type ColocationPolicyWatch, type LeaderElectionSettings } from '../colocation/batch/index.js';
import { startEvictionController, type EvictionController } from '../colocation/eviction/index.js';
import { LoadStore, startLoadSources, type LoadSources } from '../colocation/load/index.js';
import { startScheduler, type RunningScheduler } from '../colocation/scheduler/index.js';
import { startWebhook, WebhookConfigError, type WebhookHandle } from '../colocation/webhook/index.js';
import { createKubeClient, KubeConfigError, type KubeClient } from '../kube/index.js';
import { addColocationFlags, ColocationFlagError, parseColocationFlags, type ColocationConfig, type ColocationPart, type FlagGroups, type RawColocationFlags } from './colocation-flags.js';
import { ensurePriorityClasses, registerWebhookConfiguration } from './colocation-register.js';
import { buildColocationServer, type ReadinessCheck } from './colocation-server.js';
import { untilSignal } from './sim.js';

/** Logged once everything listens; tests and scripts wait for it. */
export const STARTED_MESSAGE = 'colocation started';
export const EXTENDER_PREFIX = '/scheduler';

export interface RunningColocation {
  parts: ColocationPart[];
  /** http://host:port of --listen. */
  url: string;
  /** The webhook's HTTPS port and, with --register-webhook, the URL the cluster calls. */
  webhook: { port: number; url: string | undefined } | undefined;
  ready(): boolean;
  stop(): Promise<void>;
}

function leaderSettings(config: ColocationConfig): LeaderElectionSettings | false {
  const le = config.leaderElection;
  return le ? { namespace: le.namespace, identity: le.identity, leaseDurationMs: le.leaseDurationMs, renewDeadlineMs: le.renewDeadlineMs, retryPeriodMs: le.retryPeriodMs } : false;
}

function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function createClient(config: ColocationConfig, registry: Registry): KubeClient {
  try {
    return createKubeClient({ config: config.kubeconfig, qps: config.qps, burst: config.burst, registry, userAgent: `tidepool-${config.command}` });
  } catch (err) {
    if (err instanceof KubeConfigError) throw new ColocationFlagError([`${/no context/.test(err.message) ? '--context' : '--kubeconfig'}: ${err.message}`]);
    throw err;
  }
}

/**
 * Starts the parts `config` names. The webhook starts first: its certificate and address are
 * checked there (WebhookConfigError, naming the flag), before any controller acts on the
 * cluster. stop() ends everything it started, in reverse order.
 */
export async function startColocation(config: ColocationConfig, logger: Logger): Promise<RunningColocation> {
  const registry = new Registry();
  const client = createClient(config, registry);
  const stops: Array<() => Promise<void> | void> = [() => client.close()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.warn({ err }, 'a part did not stop cleanly');
      }
    }
  };
  const checks: ReadinessCheck[] = [];
  try {
    let webhook: WebhookHandle | undefined;
    if (config.webhook) {
      const w = config.webhook;
      try {
        webhook = await startWebhook({
          host: w.host,
          port: w.port,
          ...(w.path !== undefined ? { path: w.path } : {}),
          ...(w.tls ? { tls: w.tls } : {}),
          ...(w.hosts ? { hosts: w.hosts } : {}),
          kubeClient: client,
          registry,
          logger: logger.child({ part: 'webhook' }),
        });
      } catch (err) {
        if (err instanceof WebhookConfigError) throw new ColocationFlagError([err.message]);
        throw err;
      }
      stops.push(() => webhook!.close());
      checks.push({ name: 'webhook', ready: () => true, waitingFor: '' });
    }

    let store: LoadStore | undefined;
    let policies: ColocationPolicyWatch | undefined;
    if (config.load) {
      const loadLog = logger.child({ part: 'load' });
      store = new LoadStore({ logger: loadLog });
      const sources: LoadSources = startLoadSources(config.load, { client, store, registry, logger: loadLog });
      stops.push(() => sources.stop());
      policies = startPolicySource({ client, policyName: config.policyName, logger: logger.child({ part: 'policy' }) });
      const watch = policies;
      stops.push(() => watch.stop());
    }
    const leaderElection = leaderSettings(config);

    let scheduler: RunningScheduler | undefined;
    if (config.scheduler && store && policies) {
      const s = config.scheduler;
      scheduler = await startScheduler({
        client,
        load: store,
        policy: policies,
        registry,
        logger: logger.child({ part: 'scheduler' }),
        leaderElection: leaderElection === false ? false : { ...leaderElection, name: s.name },
        schedulerName: s.name,
        settings: s.settings,
        podGroups: s.podGroups,
      });
      const running = scheduler;
      stops.push(() => running.stop());
      checks.push({ name: 'scheduler', ready: () => running.ready(), waitingFor: 'node and pod caches syncing' });
    }

    let batch: BatchController | undefined;
    if (config.batch && store && policies) {
      const b = config.batch;
      batch = startBatchController({ client, load: store, policies, reserved: b.reserved, publish: b.publish, workers: b.workers, leaderElection, registry, logger: logger.child({ part: 'batch' }) });
      const running = batch;
      stops.push(() => running.stop());
      checks.push({ name: 'batch', ready: () => running.ready(), waitingFor: 'node cache syncing' });
    }

    let eviction: EvictionController | undefined;
    if (config.eviction && store && policies) {
      eviction = startEvictionController({ client, load: store, policies, ...config.eviction, leaderElection, registry, logger: logger.child({ part: 'eviction' }) });
      const running = eviction;
      stops.push(() => running.stop());
      checks.push({ name: 'eviction', ready: () => running.ready(), waitingFor: 'pod and node caches syncing' });
    }

    const app = buildColocationServer({
      registry,
      checks,
      ...(batch ? { batch } : {}),
      ...(scheduler && config.scheduler?.extender ? { extender: { scheduler: scheduler.scheduler, prefix: EXTENDER_PREFIX } } : {}),
      logger: logger.child({ part: 'http' }),
    });
    try {
      await app.listen({ host: config.listen.host, port: config.listen.port });
    } catch (err) {
      await app.close();
      throw new Error(`--listen ${config.listen.host}:${config.listen.port}: cannot listen: ${(err as Error).message}`, { cause: err });
    }
    stops.push(() => app.close());
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.listen.port;
    const url = `http://${urlHost(config.listen.host)}:${port}`;

    let webhookUrl: string | undefined;
    if (webhook && config.webhook?.register) {
      webhookUrl = `https://${urlHost(config.webhook.register.advertiseHost)}:${webhook.port}${webhook.path}`;
      const created = await ensurePriorityClasses(client);
      const outcome = await registerWebhookConfiguration(client, { url: webhookUrl, caPem: webhook.caPem });
      logger.info({ url: webhookUrl, configuration: outcome, priorityClassesCreated: created }, 'webhook registered with the cluster');
    }

    const parts = [...config.parts];
    logger.info({ command: config.command, parts, listen: url, webhook: webhook ? { port: webhook.port, url: webhookUrl ?? null } : null, cluster: client.server }, STARTED_MESSAGE);
    return {
      parts,
      url,
      webhook: webhook ? { port: webhook.port, url: webhookUrl } : undefined,
      ready: () => checks.every((c) => c.ready()),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Runs one command until SIGINT/SIGTERM; flag problems are printed (exit code 1) before anything starts. */
async function runCommand(name: string, groups: FlagGroups, raw: RawColocationFlags): Promise<void> {
  const fail = (err: unknown): void => {
    if (err instanceof ColocationFlagError) process.stderr.write(`tidepool ${name}: invalid flags:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
    else process.stderr.write(`tidepool ${name}: ${(err as Error).message}\n`);
    process.exitCode = 1;
  };
  let config: ColocationConfig;
  try {
    config = parseColocationFlags(name, raw, groups);
  } catch (err) {
    fail(err);
    return;
  }
  const logger = pino({ name: `tidepool-${name}`, level: config.logLevel });
  // Listening from the start: a signal during startup stops the process once startup is done.
  const signal = untilSignal();
  let running: RunningColocation;
  try {
    running = await startColocation(config, logger);
  } catch (err) {
    if (!(err instanceof ColocationFlagError)) logger.error({ err: (err as Error).message }, 'cannot start');
    fail(err);
    return;
  }
  const sig = await signal;
  logger.info({ signal: sig }, 'shutting down');
  await running.stop();
  logger.info({}, 'stopped');
}

/** The commands and the flag groups each offers. */
export const COLOCATION_COMMANDS: ReadonlyArray<{ name: string; description: string; groups: FlagGroups }> = [
  {
    name: 'colocation',
    description: 'run the colocation scheduler, admission webhook and batch capacity controller (with offline eviction) in one process; each can be switched off',
    groups: { scheduler: true, webhook: true, batch: true, switches: true },
  },
  {
    name: 'scheduler',
    description: 'run the load-aware colocation scheduler (schedulerName tidepool-scheduler) and its kube-scheduler extender API',
    groups: { scheduler: true, webhook: false, batch: false, switches: false },
  },
  {
    name: 'webhook',
    description: 'run the admission webhook that turns Spark executors, Flink taskmanagers and other offline pods into batch work',
    groups: { scheduler: false, webhook: true, batch: false, switches: false },
  },
  {
    name: 'batch-controller',
    description: 'run the batch capacity controller (kubernetes.io/batch-cpu, batch-memory on every node) and offline eviction',
    groups: { scheduler: false, webhook: false, batch: true, switches: false },
  },
];

/** Registers `colocation`, `scheduler`, `webhook` and `batch-controller` on the `tidepool` program. */
export function registerColocationCommands(program: Command): void {
  for (const c of COLOCATION_COMMANDS) {
    addColocationFlags(program.command(c.name).description(c.description), c.groups).action((raw: RawColocationFlags) => runCommand(c.name, c.groups, raw));
  }
}
