// `tidepool agent`: flags, their validation (every bad value names its flag), and
// the wiring of the real node (cgroup/resctrl/proc/sys roots), the Kubernetes API
// (pods of this node, evictions, node status annotation, Events) and the
// endpoints (/healthz, /readyz, /metrics, /status; the gRPC load stream).
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Command } from 'commander';
import { pino } from 'pino';
import { EventRecorder, createKubeClient, eventSinkFor, type KubeClient, type KubeConfigSource } from '../kube/index.js';
import { Agent, type ReconcileReport } from './agent.js';
import { detectCapabilities, degradations } from './capabilities.js';
import { detectLayout, type CgroupDriver } from './cgroup-layout.js';
import { parseCpuList } from './cpulist.js';
import { Executor, type ApplyReport } from './executor.js';
import { nodeFs } from './fs.js';
import { startAgentHttp, type AgentHttpServer } from './http-server.js';
import { KubeEvictor, NodeAnnotationPublisher } from './kube-adapters.js';
import { KubePodSource, isValidNodeName } from './kube-pods.js';
import { startLoadServer, type LoadServer } from './load-server.js';
import type { Log } from './log.js';
import { AgentMetrics } from './metrics.js';
import { DEFAULT_POLICY, POLICY_FLAGS, makePolicy, PolicyValidationError, type IsolationPolicy } from './policy.js';
import { readResctrlInfo } from './resctrl-info.js';
import { readTopology } from './topology.js';

export interface HostPort {
  host: string;
  port: number;
}

/** The validated configuration of one agent process. */
export interface AgentConfig {
  nodeName: string;
  /** null: in-cluster service account (or $KUBECONFIG). */
  kubeconfig: string | null;
  context: string | null;
  cgroupRoot: string;
  cgroupDriver: CgroupDriver | 'auto';
  kubepodsParent: string;
  /** null: resctrl not managed. */
  resctrlRoot: string | null;
  procRoot: string;
  sysRoot: string;
  stateFile: string | null;
  listen: HostPort | null;
  loadListen: HostPort | null;
  loadTls: { certPem: string; keyPem: string; clientCaPem?: string } | null;
  /** Accepted bearer tokens (never logged). */
  loadTokens: string[];
  loadPlaintext: boolean;
  intervalMs: number;
  dryRun: boolean;
  once: boolean;
  restore: boolean;
  restoreOnExit: boolean;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  policy: IsolationPolicy;
}

/** Raw flag values as commander hands them over (strings; booleans for switches). */
export type AgentFlags = Record<string, string | boolean | undefined>;

export class AgentFlagError extends Error {
  override readonly name = 'AgentFlagError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Policy fields set by a flag: [option name in camelCase as commander stores it, kind]. */
const POLICY_OPTIONS: readonly { field: keyof IsolationPolicy; kind: 'int' | 'bool' | 'enum' | 'cpus' | 'seconds' }[] = [
  { field: 'reclaimThresholdPercent', kind: 'int' },
  { field: 'minOnlineCpus', kind: 'int' },
  { field: 'onlineCpuset', kind: 'enum' },
  { field: 'reservedCpus', kind: 'cpus' },
  { field: 'offlineCpuIdle', kind: 'bool' },
  { field: 'offlineTierQuota', kind: 'bool' },
  { field: 'usageWindow', kind: 'int' },
  { field: 'offlineL3Percent', kind: 'int' },
  { field: 'offlineMbPercent', kind: 'int' },
  { field: 'onlineL3Percent', kind: 'int' },
  { field: 'onlineMbPercent', kind: 'int' },
  { field: 'memoryProtection', kind: 'enum' },
  { field: 'offlineMemoryHighPercent', kind: 'int' },
  { field: 'offlineOomScoreAdj', kind: 'int' },
  { field: 'evictMemoryThresholdPercent', kind: 'int' },
  { field: 'evictMemoryLowerPercent', kind: 'int' },
  { field: 'evictCooldownMs', kind: 'seconds' },
  { field: 'maxEvictionsPerCycle', kind: 'int' },
];

/** "--reclaim-threshold-percent" -> "reclaimThresholdPercent" (commander's key). */
function optionKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function parseHostPort(flag: string, v: string, problems: string[]): HostPort | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v.trim());
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !Number.isInteger(port) || port > 65535) {
    problems.push(`${flag} must be host:port (e.g. 0.0.0.0:9310, :9310, [::1]:9310) or "off", got "${v}"`);
    return null;
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function readSecretFile(flag: string, path: string, problems: string[]): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    // The path is not secret; the content never appears in messages.
    problems.push(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return null;
  }
}

/** Validate raw flags into an AgentConfig; throws AgentFlagError listing every problem. */
export function parseAgentFlags(f: AgentFlags, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const problems: string[] = [];
  const str = (k: string): string | undefined => (typeof f[k] === 'string' ? (f[k] as string) : undefined);
  const bool = (k: string): boolean => f[k] === true;

  const nodeName = str('nodeName') ?? str('node') ?? env['NODE_NAME'] ?? '';
  if (nodeName === '') problems.push('--node-name is required (or set NODE_NAME, e.g. from the downward API spec.nodeName)');
  else if (!isValidNodeName(nodeName)) problems.push(`--node-name "${nodeName}" is not a valid Kubernetes node name`);

  const absPath = (flag: string, v: string | undefined, dflt: string): string => {
    const p = v ?? dflt;
    if (!isAbsolute(p) || p.split('/').includes('..')) problems.push(`${flag} must be an absolute path without "..", got "${p}"`);
    return p.length > 1 ? p.replace(/\/+$/, '') : p;
  };
  const cgroupRoot = absPath('--cgroup-root', str('cgroupRoot'), '/sys/fs/cgroup');
  const procRoot = absPath('--proc-root', str('procRoot'), '/proc');
  const sysRoot = absPath('--sys-root', str('sysRoot'), '/sys');
  const resctrlRaw = str('resctrlRoot') ?? '/sys/fs/resctrl';
  const resctrlRoot = resctrlRaw === 'off' || resctrlRaw === 'none' ? null : absPath('--resctrl-root', resctrlRaw, '/sys/fs/resctrl');
  const stateRaw = str('stateFile');
  const stateFile = stateRaw === undefined || stateRaw === '' ? null : absPath('--state-file', stateRaw, '');

  const driver = str('cgroupDriver') ?? 'auto';
  if (driver !== 'auto' && driver !== 'cgroupfs' && driver !== 'systemd') problems.push(`--cgroup-driver must be auto, cgroupfs or systemd, got "${driver}"`);
  const kubepodsParent = (str('kubepodsParent') ?? '').replace(/^\/+|\/+$/g, '');
  if (kubepodsParent !== '' && !kubepodsParent.split('/').every((s) => /^[A-Za-z0-9_.:@-]+$/.test(s) && s !== '.' && s !== '..')) {
    problems.push(`--kubepods-parent must be a relative cgroup path of plain names (kubelet's --cgroup-root), got "${kubepodsParent}"`);
  }

  const kubeconfig = str('kubeconfig') ?? null;
  if (kubeconfig !== null && kubeconfig === '') problems.push('--kubeconfig must not be empty');

  const listenRaw = str('listen') ?? '0.0.0.0:9310';
  const listen = listenRaw === 'off' ? null : parseHostPort('--listen', listenRaw, problems);
  const loadRaw = str('loadListen') ?? 'off';
  const loadListen = loadRaw === 'off' ? null : parseHostPort('--load-listen', loadRaw, problems);

  const cert = str('loadTlsCert');
  const key = str('loadTlsKey');
  const ca = str('loadTlsClientCa');
  let loadTls: AgentConfig['loadTls'] = null;
  if ((cert === undefined) !== (key === undefined)) problems.push('--load-tls-cert and --load-tls-key go together');
  if (ca !== undefined && cert === undefined) problems.push('--load-tls-client-ca needs --load-tls-cert and --load-tls-key (the server side of mutual TLS)');
  if (cert !== undefined && key !== undefined) {
    const certPem = readSecretFile('--load-tls-cert', cert, problems);
    const keyPem = readSecretFile('--load-tls-key', key, problems);
    const caPem = ca === undefined ? undefined : readSecretFile('--load-tls-client-ca', ca, problems);
    if (certPem !== null && keyPem !== null && caPem !== null) loadTls = { certPem, keyPem, ...(caPem === undefined ? {} : { clientCaPem: caPem }) };
  }
  const tokenFile = str('loadTokenFile');
  let loadTokens: string[] = [];
  if (tokenFile !== undefined) {
    const text = readSecretFile('--load-token-file', tokenFile, problems);
    if (text !== null) {
      loadTokens = text.split('\n').map((t) => t.trim()).filter((t) => t !== '');
      if (loadTokens.length === 0) problems.push(`--load-token-file ${tokenFile} holds no token`);
      else if (loadTokens.some((t) => t.length < 16)) problems.push(`--load-token-file ${tokenFile}: tokens must be at least 16 characters`);
    }
  }
  const loadPlaintext = bool('loadPlaintext');
  if (loadListen !== null) {
    if (loadTokens.length === 0 && ca === undefined) {
      problems.push('--load-listen needs authentication: --load-tls-client-ca (mutual TLS) and/or --load-token-file; anonymous clients are never served');
    }
    if (cert === undefined && !loadPlaintext) problems.push('--load-listen needs TLS: --load-tls-cert and --load-tls-key (or --load-plaintext on loopback only)');
    if (loadPlaintext && !LOOPBACK.has(loadListen.host)) problems.push(`--load-plaintext is only allowed on a loopback --load-listen address, got "${loadListen.host}"`);
  }

  if (bool('restore') && stateFile === null) problems.push('--restore needs --state-file: the originals to put back are recorded there');
  if (bool('restore') && bool('once')) problems.push('--restore and --once do not go together');

  const intervalRaw = str('intervalSeconds') ?? '2';
  const interval = Number(intervalRaw);
  if (!Number.isFinite(interval) || interval < 0.2 || interval > 300) problems.push(`--interval-seconds must be a number between 0.2 and 300, got "${intervalRaw}"`);

  const logLevel = str('logLevel') ?? 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) problems.push(`--log-level must be debug, info, warn or error, got "${logLevel}"`);

  // Policy: parse what was given, then let the policy's own validation name the flags.
  const overrides: Partial<Record<keyof IsolationPolicy, unknown>> = {};
  for (const { field, kind } of POLICY_OPTIONS) {
    const flag = POLICY_FLAGS[field];
    const v = str(optionKey(flag));
    if (v === undefined) continue;
    if (kind === 'int' || kind === 'seconds') {
      if (!/^-?\d+$/.test(v.trim())) {
        problems.push(`${flag} must be an integer, got "${v}"`);
        continue;
      }
      overrides[field] = kind === 'seconds' ? Number(v) * 1000 : Number(v);
    } else if (kind === 'bool') {
      if (v !== 'true' && v !== 'false') problems.push(`${flag} must be true or false, got "${v}"`);
      else overrides[field] = v === 'true';
    } else if (kind === 'cpus') {
      try {
        overrides[field] = v.trim() === '' ? [] : parseCpuList(v);
      } catch (err) {
        problems.push(`${flag} must be a CPU list like "0-1,8": ${(err as Error).message}`);
      }
    } else {
      overrides[field] = v;
    }
  }
  let policy: IsolationPolicy = DEFAULT_POLICY;
  try {
    policy = makePolicy(overrides as Partial<IsolationPolicy>);
  } catch (err) {
    if (err instanceof PolicyValidationError) problems.push(...err.errors.map((e) => e.message));
    else throw err;
  }

  if (problems.length > 0) throw new AgentFlagError(problems);
  return {
    nodeName,
    kubeconfig,
    context: str('context') ?? null,
    cgroupRoot,
    cgroupDriver: driver as CgroupDriver | 'auto',
    kubepodsParent,
    resctrlRoot,
    procRoot,
    sysRoot,
    stateFile,
    listen,
    loadListen,
    loadTls,
    loadTokens,
    loadPlaintext,
    intervalMs: Math.round(interval * 1000),
    dryRun: bool('dryRun'),
    once: bool('once'),
    restore: bool('restore'),
    restoreOnExit: bool('restoreOnExit'),
    logLevel: logLevel as AgentConfig['logLevel'],
    policy,
  };
}

/** Register `agent` and its flags on the `tidepool` program. */
export function registerAgentCommand(program: Command): Command {
  const cmd = program
    .command('agent')
    .description('run the node isolation agent (a privileged DaemonSet): cpuset, CPU quota, memory protection, L3 cache / memory bandwidth for colocated pods')
    .option('--node-name <name>', 'this node (default: $NODE_NAME)')
    .option('--node <name>', 'same as --node-name')
    .option('--kubeconfig <path>', 'kubeconfig file (default: the in-cluster service account, else $KUBECONFIG)')
    .option('--context <name>', 'kubeconfig context (default: its current-context)')
    .option('--cgroup-root <path>', 'cgroup mount root; every cgroup write stays under it', '/sys/fs/cgroup')
    .option('--cgroup-driver <driver>', 'auto, cgroupfs or systemd (auto: where kubepods is)', 'auto')
    .option('--kubepods-parent <path>', "kubelet's --cgroup-root, relative (default: none)")
    .option('--resctrl-root <path>', 'resctrl mount, or "off"; writes stay under it', '/sys/fs/resctrl')
    .option('--proc-root <path>', 'proc mount (oom_score_adj, PIDs, meminfo)', '/proc')
    .option('--sys-root <path>', 'sys mount (CPU/NUMA topology)', '/sys')
    .option('--state-file <path>', 'where original values are kept so a restarted agent can still restore them')
    .option('--listen <host:port>', 'HTTP /healthz /readyz /metrics /status, or "off"', '0.0.0.0:9310')
    .option('--load-listen <host:port>', 'gRPC node-load stream, or "off"', 'off')
    .option('--load-tls-cert <path>', 'server certificate (PEM) of the load stream')
    .option('--load-tls-key <path>', 'server key (PEM) of the load stream')
    .option('--load-tls-client-ca <path>', 'CA whose client certificates may read the load stream (mutual TLS)')
    .option('--load-token-file <path>', 'bearer tokens (one per line) that may read the load stream')
    .option('--load-plaintext', 'serve the load stream without TLS (loopback addresses only; tests)')
    .option('--interval-seconds <s>', 'reconcile period', '2')
    .option('--dry-run', 'compute and log every intended write; write nothing (no evictions either)')
    .option('--once', 'one reconcile after the pod list arrives, print the report, exit')
    .option('--restore', 'uninstall: put back every value recorded in --state-file, remove resctrl groups, exit')
    .option('--restore-on-exit', 'restore the original values on SIGTERM (default: keep them over restarts)')
    .option('--log-level <level>', 'debug, info, warn or error', 'info');
  for (const { field } of POLICY_OPTIONS) {
    const flag = POLICY_FLAGS[field];
    const dflt = DEFAULT_POLICY[field];
    const shown = field === 'evictCooldownMs' ? String((dflt as number) / 1000) : Array.isArray(dflt) ? (dflt.length === 0 ? 'none' : dflt.join(',')) : String(dflt);
    cmd.option(`${flag} <value>`, `policy (default ${shown})`);
  }
  return cmd.action(async (flags: AgentFlags) => {
    let config: AgentConfig;
    try {
      config = parseAgentFlags(flags);
    } catch (err) {
      if (err instanceof AgentFlagError) {
        process.stderr.write(`tidepool agent: invalid flags:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
        process.exitCode = 2;
        return;
      }
      throw err;
    }
    await runAgentCommand(config);
  });
}

function makeLogger(level: AgentConfig['logLevel']): Log & { fatal?: unknown } {
  // Tokens and keys are never put in log records; the redaction is a second fence.
  return pino({
    name: 'tidepool-agent',
    level,
    redact: { paths: ['token', 'tokens', '*.token', 'authorization', '*.authorization', 'keyPem', '*.keyPem'], censor: '[redacted]' },
  });
}

/** The CLI entry: run until SIGTERM/SIGINT (or one pass with --once / --restore). */
export async function runAgentCommand(config: AgentConfig): Promise<void> {
  const log = makeLogger(config.logLevel);
  let running: RunningAgent;
  try {
    running = await runAgent(config, { log });
  } catch (err) {
    log.error({ err: (err as Error).message }, 'agent cannot start');
    process.stderr.write(`tidepool agent: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (running.result !== null) {
    process.stdout.write(`${JSON.stringify(running.result)}\n`);
    await running.stop();
    return;
  }
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      log.info({ signal: sig }, 'shutting down');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      void running.stop().finally(resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
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
export async function runAgent(config: AgentConfig, deps: { log?: Log; env?: NodeJS.ProcessEnv; metrics?: AgentMetrics } = {}): Promise<RunningAgent> {
  const log = deps.log ?? makeLogger(config.logLevel);
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
