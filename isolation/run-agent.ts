// runAgent: one agent for a validated AgentConfig — the real node (cgroup/resctrl/proc/sys
// roots), the Kubernetes API (pods of this node, evictions, the node status annotation, Events)
// and the endpoints (/healthz, /readyz, /metrics, /status; the gRPC load stream). Everything it
// opens, stop() closes. Process concerns (signals, exit codes, printing) are the CLI's.
import { pino } from 'pino';
import { EventRecorder, createKubeClient, eventSinkFor, type KubeClient, type KubeConfigSource, type Logger } from '../kube/index.js';
import { Agent, type ReconcileReport } from './agent.js';
import type { AgentConfig } from './agent-config.js';
import { detectCapabilities, degradations } from './capabilities.js';
import { detectLayout } from './cgroup-layout.js';
import { Executor, type ApplyReport } from './executor.js';
import { nodeFs } from './fs.js';
import { startAgentHttp, type AgentHttpServer } from './http-server.js';
import { KubeEvictor, NodeAnnotationPublisher } from './kube-adapters.js';
import { KubePodSource } from './kube-pods.js';
import { startLoadServer, type LoadServer } from './load-server.js';
import { AgentMetrics } from './metrics.js';
import { readResctrlInfo } from './resctrl-info.js';
import { readTopology } from './topology.js';

/** The agent's structured JSON log at `level`. */
export function agentLogger(level: AgentConfig['logLevel']): Logger {
  // Tokens and keys are never put in log records; the redaction is a second fence.
  return pino({
    name: 'tidepool-agent',
    level,
    redact: { paths: ['token', 'tokens', '*.token', 'authorization', '*.authorization', 'keyPem', '*.keyPem'], censor: '[redacted]' },
  });
}

export interface RunningAgent {
  agent: Agent | null;
  executor: Executor;
  httpPort: number | null;
  loadPort: number | null;
  /** The outcome of --once / --restore (null while running as a daemon). */
  result: { reconcile?: Summary; restore?: Summary } | null;
  stop(): Promise<void>;
}

interface Summary {
  pods?: number;
  written: number;
  unchanged: number;
  restored: number;
  wouldWrite: number;
  failed: { path: string; code: string; message: string }[];
  refused: { target: string; reason: string }[];
  notes?: string[];
  degraded?: string[];
}

function summarize(a: ApplyReport, r?: ReconcileReport): Summary {
  return {
    ...(r === undefined ? {} : { pods: r.pods, notes: r.notes }),
    written: a.written,
    unchanged: a.unchanged,
    restored: a.restored,
    wouldWrite: a.wouldWrite.length,
    failed: a.failed.map((f) => ({ path: f.path, code: f.code, message: f.message })),
    refused: a.refused,
  };
}

function kubeSource(c: AgentConfig, env: NodeJS.ProcessEnv): KubeConfigSource {
  if (c.kubeconfig !== null) return { kind: 'file', path: c.kubeconfig, ...(c.context === null ? {} : { context: c.context }) };
  if (env['KUBERNETES_SERVICE_HOST'] !== undefined) return { kind: 'in-cluster' };
  if (env['KUBECONFIG'] !== undefined && env['KUBECONFIG'] !== '') return { kind: 'file', path: env['KUBECONFIG'].split(':')[0]!, ...(c.context === null ? {} : { context: c.context }) };
  throw new Error('no Kubernetes API to watch pods on: pass --kubeconfig, or run in a cluster (service account)');
}

/**
 * Start the agent for a validated config. Tests call this directly; the CLI wraps it
 * with signal handling. Everything it opens is closed by stop().
 */
export async function runAgent(config: AgentConfig, deps: { log?: Logger; env?: NodeJS.ProcessEnv; metrics?: AgentMetrics } = {}): Promise<RunningAgent> {
  const log = deps.log ?? agentLogger(config.logLevel);
  const layout = await detectLayout(nodeFs, { root: config.cgroupRoot, driver: config.cgroupDriver, kubepodsParent: config.kubepodsParent });
  const topology = await readTopology(nodeFs, config.sysRoot);
  const resctrl = config.resctrlRoot === null ? null : await readResctrlInfo(nodeFs, config.resctrlRoot, config.procRoot);
  const capabilities = await detectCapabilities(nodeFs, layout, config.procRoot, topology, resctrl);
  const metrics = deps.metrics ?? new AgentMetrics();
  const executor = new Executor({
    fs: nodeFs,
    layout,
    procRoot: config.procRoot,
    resctrlRoot: resctrl === null ? null : config.resctrlRoot,
    dryRun: config.dryRun,
    log,
    hooks: metrics.executorHooks(),
    stateFile: config.stateFile,
  });
  log.info(
    {
      node: config.nodeName,
      cgroup: `${layout.version}/${layout.driver}`,
      cpus: topology.cpus.length,
      numaNodes: topology.numaNodes.length,
      resctrl: resctrl === null ? 'absent' : { l3: capabilities.resctrl.l3, mb: capabilities.resctrl.mb },
      dryRun: config.dryRun,
    },
    'isolation agent starting',
  );
  for (const d of degradations(capabilities)) log.warn({ degraded: d }, 'node lacks a feature');

  if (config.restore) {
    const report = await executor.restoreAll();
    return { agent: null, executor, httpPort: null, loadPort: null, result: { restore: summarize(report) }, stop: async () => undefined };
  }

  const client: KubeClient = createKubeClient({ config: kubeSource(config, deps.env ?? process.env), registry: metrics.registry, userAgent: `tidepool-agent/${config.nodeName}` });
  const recorder = new EventRecorder({ sink: eventSinkFor(client), component: 'tidepool-agent', host: config.nodeName, logger: log, registry: metrics.registry });
  const pods = new KubePodSource({
    client,
    nodeName: config.nodeName,
    log,
    onProblem: (p) => recorder.record(p.pod, 'Warning', p.reason, p.message),
  });
  const agent = new Agent({
    nodeName: config.nodeName,
    fs: nodeFs,
    layout,
    procRoot: config.procRoot,
    topology,
    capabilities,
    resctrl,
    policy: config.policy,
    podSource: pods,
    executor,
    evictor: new KubeEvictor(client),
    statusPublisher: new NodeAnnotationPublisher(client, config.nodeName),
    metrics,
    log,
    intervalMs: config.intervalMs,
    dryRun: config.dryRun,
    onInvalidPod: (pod, reason) =>
      recorder.record({ apiVersion: 'v1', kind: 'Pod', metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid } }, 'Warning', 'InvalidPodIdentifier', `the isolation agent skips this pod: ${reason}`),
  });

  let http: AgentHttpServer | null = null;
  let load: LoadServer | null = null;
  const abort = new AbortController();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    abort.abort();
    if (config.restoreOnExit) {
      const r = await agent.restore();
      log.info({ restored: r.restored, failed: r.failed.length }, 'restored original values');
    } else {
      await agent.stop();
    }
    await pods.stop();
    await load?.close();
    await http?.close();
    await recorder.close();
    client.close();
  };

  try {
    pods.start();
    if (config.once) {
      const synced = await pods.waitForSync({ timeoutMs: 30_000 });
      if (!synced) throw new Error('the pod list did not arrive within 30s');
      const report = await agent.reconcile();
      const result = { reconcile: { ...summarize(report.apply, report), degraded: agent.status().degraded } };
      return { agent, executor, httpPort: null, loadPort: null, result, stop };
    }
    if (config.listen !== null) http = await startAgentHttp({ ...config.listen, agent, metrics });
    if (config.loadListen !== null) {
      load = await startLoadServer({
        ...config.loadListen,
        ...(config.loadTls === null ? {} : { tls: config.loadTls }),
        plaintext: config.loadPlaintext,
        tokens: config.loadTokens,
        latest: () => agent.latestLoad(),
        intervalMs: config.intervalMs,
        log,
        metrics,
      });
    }
    // Reconcile only once the pod list is in: an empty list before that would undo
    // everything a previous run of the agent set.
    void pods.waitForSync({ signal: abort.signal }).then((ok) => {
      if (ok && !stopped) {
        log.info({ pods: pods.pods().length }, 'pod list in; reconciling');
        agent.start();
      }
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { agent, executor, httpPort: http?.port ?? null, loadPort: load?.port ?? null, result: null, stop };
}
