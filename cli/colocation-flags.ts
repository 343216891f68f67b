// The flags of `tidepool colocation` and of its parts run alone (`tidepool scheduler`,
// `tidepool webhook`, `tidepool batch-controller`), and their validation into one
// ColocationConfig. Two passes, both before anything starts: commander's parsers refuse a value
// that is malformed on its own (InvalidArgumentError naming the flag); then the rooms' own
// validators (parseLoadFlags, parseBatchFlags, resolveSettings) and the checks across flags run,
// and every problem they find is reported at once, each naming its flag.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseBatchFlags, type BatchConfig } from '../colocation/batch/index.js';
import { parseLoadFlags, type LoadConfig } from '../colocation/load/index.js';
import { resolveSettings, type SchedulerSettings, type SettingsInput } from '../colocation/scheduler/index.js';
import { DNS1123_SUBDOMAIN_RE, type KubeConfigSource } from '../kube/index.js';
import { intFlag, listFlag, listenFlag } from './options.js';

/** The parts one process can run. Eviction runs beside the batch controller. */
export type ColocationPart = 'scheduler' | 'webhook' | 'batch' | 'eviction';

/** Which flag groups a command offers. */
export interface FlagGroups {
  scheduler: boolean;
  webhook: boolean;
  batch: boolean;
  /** `--no-scheduler`, `--no-webhook`, `--no-batch` (only `tidepool colocation`). */
  switches: boolean;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface LeaderElectionConfig {
  namespace: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface SchedulerPartConfig {
  name: string;
  settings: SchedulerSettings;
  /** The extender verbs under /scheduler on --listen. */
  extender: boolean;
  podGroups: boolean;
}

export interface WebhookPartConfig {
  host: string;
  port: number;
  path: string | undefined;
  tls: { certFile: string; keyFile: string; caFile?: string } | undefined;
  /** Names and addresses of the self-signed certificate (the advertised host included). */
  hosts: string[] | undefined;
  /** --register-webhook: the host the API server calls (clientConfig.url). */
  register: { advertiseHost: string } | undefined;
}

export interface EvictionPartConfig {
  sustainMs: number;
  maxPerRound: number;
  cooldownMs: number;
  backoffMs: number;
}

/** One process's validated configuration. */
export interface ColocationConfig {
  /** The command's name, for messages and logs. */
  command: string;
  parts: ReadonlySet<ColocationPart>;
  kubeconfig: KubeConfigSource;
  qps: number;
  burst: number;
  listen: HostPort;
  logLevel: LogLevel;
  /** false: --no-leader-elect (one replica). Unused by the webhook, which is stateless. */
  leaderElection: LeaderElectionConfig | false;
  policyName: string;
  /** Present when the scheduler, batch controller or eviction runs. */
  load: LoadConfig | undefined;
  scheduler: SchedulerPartConfig | undefined;
  webhook: WebhookPartConfig | undefined;
  batch: Pick<BatchConfig, 'reserved' | 'publish' | 'workers'> | undefined;
  eviction: EvictionPartConfig | undefined;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Default address of /healthz, /readyz, /metrics, the batch routes and the extender. */
export const DEFAULT_LISTEN = '127.0.0.1:10261';

/** Every problem found after commander's pass, each naming its flag. */
export class ColocationFlagError extends Error {
  override readonly name = 'ColocationFlagError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** What commander hands over (camelCase keys); values are already parsed where a parser is set. */
export interface RawColocationFlags {
  kubeconfig?: string;
  context?: string;
  qps: number;
  burst: number;
  listen: HostPort;
  logLevel: LogLevel;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionIdentity?: string;
  leaseDuration?: number;
  policyName?: string;
  // switches (tidepool colocation)
  scheduler?: boolean;
  webhook?: boolean;
  batch?: boolean;
  eviction?: boolean;
  // load sources (validated by parseLoadFlags)
  loadSource?: string;
  metricsIntervalSeconds?: string;
  agentPort?: string;
  agentTokenFile?: string;
  agentCaFile?: string;
  agentCertFile?: string;
  agentKeyFile?: string;
  agentPlaintext?: boolean;
  // scheduler
  schedulerName?: string;
  extender?: boolean;
  podGroups?: boolean;
  percentageOfNodesToScore?: number;
  offlinePlacement?: 'spread' | 'pack';
  offlineMaxWaitMs?: number;
  tenantLabel?: string;
  tenantWeights?: Record<string, number>;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  maxUnschedulableMs?: number;
  maxInFlightBindings?: number;
  assumeTtlMs?: number;
  estimateCpuFactor?: number;
  estimateMemoryFactor?: number;
  estimateStartupGraceMs?: number;
  gangMinWorkers?: number;
  gangReservationTimeoutMs?: number;
  gangPermitTimeoutMs?: number;
  scoreWeights?: Record<string, number>;
  disablePlugins?: string[];
  scheduledEvents?: boolean;
  // webhook (host, port and certificate checked by startWebhook, naming these flags)
  bindAddress?: string;
  securePort?: number;
  webhookPath?: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  tlsCaFile?: string;
  tlsSan?: string[];
  registerWebhook?: boolean;
  webhookAdvertiseHost?: string;
  // batch controller (validated by parseBatchFlags)
  batchReservedCpu?: string;
  batchReservedMemory?: string;
  batchChangePercent?: string;
  batchMaxQuietSeconds?: string;
  batchWorkers?: string;
  // eviction
  evictionSustainSeconds?: number;
  evictionMaxPerRound?: number;
  evictionCooldownSeconds?: number;
  evictionBackoffSeconds?: number;
}

function numberFlag(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a number, got "${v}"`);
    return n;
  };
}

/** `name=weight,...` with weights in [min, max]. */
function weightsFlag(flag: string, what: string, min: number, max: number): (v: string) => Record<string, number> {
  return (v) => {
    const out: Record<string, number> = {};
    const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
    if (parts.length === 0) throw new InvalidArgumentError(`${flag} needs at least one ${what}=weight`);
    for (const part of parts) {
      const eq = part.indexOf('=');
      const name = part.slice(0, eq);
      const w = Number(part.slice(eq + 1));
      if (eq <= 0 || part.slice(eq + 1).trim() === '' || !Number.isFinite(w)) throw new InvalidArgumentError(`${flag}: "${part}" is not ${what}=weight`);
      if (w < min || w > max) throw new InvalidArgumentError(`${flag}: the weight of ${name} must be from ${min} to ${max}, got ${w}`);
      out[name] = w;
    }
    return out;
  };
}

function hostFlag(flag: string): (v: string) => string {
  return (v) => {
    if (isIP(v) === 0 && !DNS1123_SUBDOMAIN_RE.test(v)) throw new InvalidArgumentError(`${flag} must be an IP address or a DNS name, got "${v}"`);
    return v;
  };
}

function labelKeyFlag(flag: string): (v: string) => string {
  return (v) => {
    if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v) || v.length > 316) throw new InvalidArgumentError(`${flag} must be a label key, got "${v}"`);
    return v;
  };
}

/** Flags every command has: the cluster, the client, the HTTP endpoints, logs. */
function addCommonFlags(cmd: Command): void {
  cmd
    .option('--kubeconfig <file>', 'kubeconfig (default: the in-cluster service account, else $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current context)')
    .option('--qps <n>', 'API client requests per second', intFlag('--qps', 1, 100_000), 100)
    .option('--burst <n>', 'API client burst', intFlag('--burst', 1, 100_000), 200)
    .addOption(
      new Option('--listen <[host:]port>', '/healthz, /readyz, /metrics, /api/v1/batch/nodes/<node> and the extender under /scheduler (port 0: a free port)')
        .argParser(listenFlag('--listen'))
        .default(listenFlag('--listen')(DEFAULT_LISTEN), DEFAULT_LISTEN),
    )
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]).default('info'));
}

function addLeaderFlags(cmd: Command): void {
  cmd
    .option('--no-leader-elect', 'run without leader election (a single replica)')
    .option('--leader-election-namespace <ns>', 'namespace of the Leases (one per part: tidepool-scheduler, tidepool-batch-controller, tidepool-offline-eviction)', 'kube-system')
    .option('--leader-election-identity <id>', 'this replica\'s identity (default: $POD_NAME or the host name, plus a random suffix)')
    .option('--lease-duration <seconds>', 'leader lease duration', intFlag('--lease-duration', 2, 600), 15)
    .option('--policy-name <name>', 'the ColocationPolicy in effect (its thresholds drive the load filter, batch capacity and eviction)', 'default');
}

function addLoadFlags(cmd: Command): void {
  cmd
    .addOption(new Option('--load-source <kind>', 'where node load comes from (default: both when agent credentials are given, else metrics-api)').choices(['agent', 'metrics-api', 'both']))
    .option('--metrics-interval-seconds <n>', 'metrics.k8s.io poll period (default 15)')
    .option('--agent-port <port>', 'the isolation agents\' load stream port on each node (default 9311)')
    .option('--agent-token-file <file>', 'bearer token for the agents\' load stream')
    .option('--agent-ca-file <file>', 'CA of the agents\' serving certificates')
    .option('--agent-cert-file <file>', 'client certificate for the agents (mutual TLS)')
    .option('--agent-key-file <file>', 'key of --agent-cert-file')
    .option('--agent-plaintext', 'no TLS to the agents (loopback tests only)');
}

function addSchedulerFlags(cmd: Command): void {
  cmd
    .option('--scheduler-name <name>', 'pods with this spec.schedulerName are ours', 'tidepool-scheduler')
    .option('--no-extender', 'do not serve the kube-scheduler extender verbs under /scheduler')
    .option('--no-pod-groups', 'do not watch PodGroups (scheduling.x-k8s.io)')
    .option('--percentage-of-nodes-to-score <n>', 'share of feasible nodes to score, 0 = adaptive', numberFlag('--percentage-of-nodes-to-score'))
    .addOption(new Option('--offline-placement <how>', 'offline pods: spread by least load or pack onto busy nodes').choices(['spread', 'pack']))
    .option('--offline-max-wait-ms <ms>', 'an offline pod queued this long goes before online pods', numberFlag('--offline-max-wait-ms'))
    .option('--tenant-label <key>', 'fair share by this pod label (default: by namespace)', labelKeyFlag('--tenant-label'))
    .option('--tenant-weights <t=w,...>', 'fair-share weights per tenant (default 1)', weightsFlag('--tenant-weights', 'tenant', 0.001, 1_000_000))
    .option('--backoff-initial-ms <ms>', 'first backoff of an unschedulable pod', numberFlag('--backoff-initial-ms'))
    .option('--backoff-max-ms <ms>', 'longest backoff', numberFlag('--backoff-max-ms'))
    .option('--max-unschedulable-ms <ms>', 'an unschedulable pod is tried again after this long even without an event', numberFlag('--max-unschedulable-ms'))
    .option('--max-in-flight-bindings <n>', 'bindings in flight at once', numberFlag('--max-in-flight-bindings'))
    .option('--assume-ttl-ms <ms>', 'how long a written binding waits to be seen', numberFlag('--assume-ttl-ms'))
    .option('--estimate-cpu-factor <f>', 'share of a new pod\'s cpu request counted as load until measured', numberFlag('--estimate-cpu-factor'))
    .option('--estimate-memory-factor <f>', 'likewise for memory', numberFlag('--estimate-memory-factor'))
    .option('--estimate-startup-grace-ms <ms>', 'how long a placed pod counts as estimated load', numberFlag('--estimate-startup-grace-ms'))
    .option('--gang-min-workers <n>', 'executors a Spark driver needs room for when no PodGroup says', numberFlag('--gang-min-workers'))
    .option('--gang-reservation-timeout-ms <ms>', 'how long a driver\'s reservation holds room for its executors', numberFlag('--gang-reservation-timeout-ms'))
    .option('--gang-permit-timeout-ms <ms>', 'how long placed gang members wait for the rest', numberFlag('--gang-permit-timeout-ms'))
    .option('--score-weights <plugin=w,...>', 'score plugin weights (0..100)', weightsFlag('--score-weights', 'plugin', 0, 100))
    .option('--disable-plugins <names>', 'plugins switched off by name', listFlag('--disable-plugins', /^[A-Za-z][A-Za-z0-9-]*$/, 'plugin name'))
    .option('--no-scheduled-events', 'no "Scheduled" Event per bound pod');
}

function addWebhookFlags(cmd: Command): void {
  cmd
    .option('--bind-address <ip>', 'the webhook\'s HTTPS listen address', '0.0.0.0')
    .option('--secure-port <port>', 'the webhook\'s HTTPS port (0: a free port)', intFlag('--secure-port', 0, 65535), 9443)
    .option('--webhook-path <path>', 'where AdmissionReviews are posted (default /mutate-pods)')
    .option('--tls-cert-file <file>', 'the webhook\'s serving certificate (default: self-signed at start)')
    .option('--tls-private-key-file <file>', 'key of --tls-cert-file')
    .option('--tls-ca-file <file>', 'CA of --tls-cert-file, for the caBundle (default: the certificate itself)')
    .option('--tls-san <names>', 'names and addresses of the self-signed certificate (default localhost,127.0.0.1, plus --webhook-advertise-host)', listFlag('--tls-san', /^[A-Za-z0-9*.:-]+$/, 'name or address'))
    .option('--register-webhook', 'create or update the MutatingWebhookConfiguration tidepool-colocation pointing at this process, and the tidepool-offline/tidepool-online PriorityClasses if missing')
    .option('--webhook-advertise-host <host>', 'the host the API server calls with --register-webhook (default: --bind-address unless it is a wildcard)', hostFlag('--webhook-advertise-host'));
}

function addBatchFlags(cmd: Command): void {
  cmd
    .option('--batch-reserved-cpu <quantity>', 'cpu never lent to batch work, per node (default 0)')
    .option('--batch-reserved-memory <quantity>', 'memory never lent, per node (default 0)')
    .option('--batch-change-percent <n>', 'smaller changes of a node\'s batch capacity wait (default 10)')
    .option('--batch-max-quiet-seconds <n>', '...but at most this long (default 300)')
    .option('--batch-workers <n>', 'nodes reconciled at once (default 2)')
    .option('--eviction-sustain-seconds <n>', 'how long usage must stay above the eviction threshold', intFlag('--eviction-sustain-seconds', 1, 3600), 30)
    .option('--eviction-max-per-round <n>', 'most offline pods evicted from one node per round', intFlag('--eviction-max-per-round', 1, 1000), 3)
    .option('--eviction-cooldown-seconds <n>', 'rest after a round before the node is judged again', intFlag('--eviction-cooldown-seconds', 1, 3600), 60)
    .option('--eviction-backoff-seconds <n>', 'how long a node keeps offline pods away after a round', intFlag('--eviction-backoff-seconds', 1, 86_400), 300);
}

/** Adds the flags of `groups` to `cmd`. */
export function addColocationFlags(cmd: Command, groups: FlagGroups): Command {
  addCommonFlags(cmd);
  if (groups.switches) {
    cmd
      .option('--no-scheduler', 'do not run the scheduler')
      .option('--no-webhook', 'do not run the admission webhook')
      .option('--no-batch', 'do not run the batch capacity controller (nor eviction)');
  }
  if (groups.batch) cmd.option('--no-eviction', 'do not evict offline pods from overloaded nodes');
  if (groups.scheduler || groups.batch) {
    addLeaderFlags(cmd);
    addLoadFlags(cmd);
  }
  if (groups.scheduler) addSchedulerFlags(cmd);
  if (groups.webhook) addWebhookFlags(cmd);
  if (groups.batch) addBatchFlags(cmd);
  return cmd;
}

function partsOf(f: RawColocationFlags, groups: FlagGroups): Set<ColocationPart> {
  const parts = new Set<ColocationPart>();
  const on = (v: boolean | undefined): boolean => !groups.switches || v !== false;
  if (groups.scheduler && on(f.scheduler)) parts.add('scheduler');
  if (groups.webhook && on(f.webhook)) parts.add('webhook');
  if (groups.batch && on(f.batch)) {
    parts.add('batch');
    if (f.eviction !== false) parts.add('eviction');
  }
  return parts;
}

function kubeconfigSource(f: RawColocationFlags, env: NodeJS.ProcessEnv): KubeConfigSource {
  const ctx = f.context ? { context: f.context } : {};
  if (f.kubeconfig) return { kind: 'file', path: f.kubeconfig, ...ctx };
  if (env['KUBERNETES_SERVICE_HOST'] && !f.context) return { kind: 'in-cluster' };
  const fromEnv = env['KUBECONFIG']?.split(':').find(Boolean);
  return { kind: 'file', path: fromEnv ?? join(homedir(), '.kube', 'config'), ...ctx };
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** Validates what commander parsed; throws ColocationFlagError listing every problem. */
export function parseColocationFlags(command: string, f: RawColocationFlags, groups: FlagGroups, env: NodeJS.ProcessEnv = process.env): ColocationConfig {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      const listed = (err as { problems?: unknown }).problems;
      if (Array.isArray(listed)) problems.push(...(listed as string[]));
      else problems.push((err as Error).message.replace(/^invalid scheduler configuration: /, ''));
      return undefined;
    }
  };
  const parts = partsOf(f, groups);
  if (parts.size === 0) problems.push(`${command}: every part is switched off (--no-scheduler, --no-webhook, --no-batch): nothing would run`);

  const needsLoad = parts.has('scheduler') || parts.has('batch') || parts.has('eviction');
  let load: LoadConfig | undefined;
  let batch: BatchConfig | undefined;
  if (needsLoad) {
    const agentGiven = [f.agentTokenFile, f.agentCaFile, f.agentCertFile, f.agentKeyFile].some((v) => v !== undefined) || f.agentPlaintext === true;
    load = attempt(() =>
      parseLoadFlags({
        loadSource: f.loadSource ?? (agentGiven ? 'both' : 'metrics-api'),
        ...(f.metricsIntervalSeconds !== undefined ? { metricsIntervalSeconds: f.metricsIntervalSeconds } : {}),
        ...(f.agentPort !== undefined ? { agentPort: f.agentPort } : {}),
        ...(f.agentTokenFile !== undefined ? { agentTokenFile: f.agentTokenFile } : {}),
        ...(f.agentCaFile !== undefined ? { agentCaFile: f.agentCaFile } : {}),
        ...(f.agentCertFile !== undefined ? { agentCertFile: f.agentCertFile } : {}),
        ...(f.agentKeyFile !== undefined ? { agentKeyFile: f.agentKeyFile } : {}),
        ...(f.agentPlaintext ? { agentPlaintext: true } : {}),
      }),
    );
    // The batch room's parser also checks the policy name and the leader-election identity,
    // which the scheduler shares; its batch flags are simply absent when the batch part is not offered.
    batch = attempt(() =>
      parseBatchFlags(
        {
          ...(f.batchReservedCpu !== undefined ? { batchReservedCpu: f.batchReservedCpu } : {}),
          ...(f.batchReservedMemory !== undefined ? { batchReservedMemory: f.batchReservedMemory } : {}),
          ...(f.batchChangePercent !== undefined ? { batchChangePercent: f.batchChangePercent } : {}),
          ...(f.batchMaxQuietSeconds !== undefined ? { batchMaxQuietSeconds: f.batchMaxQuietSeconds } : {}),
          ...(f.batchWorkers !== undefined ? { batchWorkers: f.batchWorkers } : {}),
          ...(f.policyName !== undefined ? { policyName: f.policyName } : {}),
          leaderElect: f.leaderElect !== false,
          leaderElectionNamespace: f.leaderElectionNamespace ?? 'kube-system',
          leaderElectionIdentity: f.leaderElectionIdentity ?? `${env['POD_NAME'] ?? hostname()}_${randomBytes(4).toString('hex')}`,
        },
        env,
      ),
    );
  }

  let scheduler: SchedulerPartConfig | undefined;
  if (parts.has('scheduler')) {
    const name = f.schedulerName ?? 'tidepool-scheduler';
    if (!DNS1123_SUBDOMAIN_RE.test(name) || name.length > 253) problems.push(`--scheduler-name must be a DNS subdomain, got "${name}"`);
    const input: SettingsInput = {
      percentageOfNodesToScore: f.percentageOfNodesToScore,
      offlinePlacement: f.offlinePlacement,
      offlineMaxWaitMs: f.offlineMaxWaitMs,
      tenantLabel: f.tenantLabel,
      tenantWeights: f.tenantWeights,
      backoffInitialMs: f.backoffInitialMs,
      backoffMaxMs: f.backoffMaxMs,
      maxUnschedulableMs: f.maxUnschedulableMs,
      maxInFlightBindings: f.maxInFlightBindings,
      assumeTtlMs: f.assumeTtlMs,
      scoreWeights: f.scoreWeights,
      disabledPlugins: f.disablePlugins,
      scheduledEvents: f.scheduledEvents,
      estimation: { cpuFactor: f.estimateCpuFactor, memoryFactor: f.estimateMemoryFactor, startupGraceMs: f.estimateStartupGraceMs },
      gang: { minWorkers: f.gangMinWorkers, reservationTimeoutMs: f.gangReservationTimeoutMs, permitTimeoutMs: f.gangPermitTimeoutMs },
    };
    // resolveSettings keeps the defaults of the fields left undefined here.
    const settings = attempt(() => resolveSettings(input));
    if (settings) scheduler = { name, settings, extender: f.extender !== false, podGroups: f.podGroups !== false };
  }

  let webhook: WebhookPartConfig | undefined;
  if (groups.webhook) {
    const host = f.bindAddress ?? '0.0.0.0';
    let register: WebhookPartConfig['register'];
    if (f.registerWebhook && !parts.has('webhook')) problems.push('--register-webhook needs the webhook: drop --no-webhook');
    if (f.registerWebhook && parts.has('webhook')) {
      const advertiseHost = f.webhookAdvertiseHost ?? (WILDCARDS.has(host) ? undefined : host);
      if (advertiseHost === undefined) problems.push(`--register-webhook needs --webhook-advertise-host: --bind-address ${host} is not an address the API server can call`);
      else register = { advertiseHost };
    }
    if (f.webhookAdvertiseHost !== undefined && !f.registerWebhook) problems.push('--webhook-advertise-host is only used with --register-webhook');
    if ((f.tlsCertFile === undefined) !== (f.tlsPrivateKeyFile === undefined)) problems.push('--tls-cert-file and --tls-private-key-file go together');
    if (f.tlsCaFile !== undefined && f.tlsCertFile === undefined) problems.push('--tls-ca-file goes with --tls-cert-file');
    if (f.tlsSan !== undefined && f.tlsCertFile !== undefined) problems.push('--tls-san names the self-signed certificate; it does not go with --tls-cert-file');
    const tls = f.tlsCertFile && f.tlsPrivateKeyFile ? { certFile: f.tlsCertFile, keyFile: f.tlsPrivateKeyFile, ...(f.tlsCaFile ? { caFile: f.tlsCaFile } : {}) } : undefined;
    // The self-signed certificate must name the host the API server is told to call.
    const sans = f.tlsSan ?? (register ? ['localhost', '127.0.0.1'] : undefined);
    const hosts = sans && register && !sans.includes(register.advertiseHost) ? [...sans, register.advertiseHost] : sans;
    if (parts.has('webhook')) webhook = { host, port: f.securePort ?? 9443, path: f.webhookPath, tls, hosts, register };
  }

  let eviction: EvictionPartConfig | undefined;
  if (parts.has('eviction')) {
    eviction = {
      sustainMs: (f.evictionSustainSeconds ?? 30) * 1000,
      maxPerRound: f.evictionMaxPerRound ?? 3,
      cooldownMs: (f.evictionCooldownSeconds ?? 60) * 1000,
      backoffMs: (f.evictionBackoffSeconds ?? 300) * 1000,
    };
  }

  if (problems.length > 0) throw new ColocationFlagError(problems);
  const leaseMs = (f.leaseDuration ?? 15) * 1000;
  const le = batch?.leaderElection;
  return {
    command,
    parts,
    kubeconfig: kubeconfigSource(f, env),
    qps: f.qps,
    burst: f.burst,
    listen: f.listen,
    logLevel: f.logLevel,
    leaderElection: le
      ? { namespace: le.namespace, identity: le.identity, leaseDurationMs: leaseMs, renewDeadlineMs: Math.floor((leaseMs * 2) / 3), retryPeriodMs: Math.max(500, Math.floor(leaseMs / 7)) }
      : false,
    policyName: batch?.policyName ?? 'default',
    load,
    scheduler,
    webhook,
    batch: parts.has('batch') && batch ? { reserved: batch.reserved, publish: batch.publish, workers: batch.workers } : undefined,
    eviction,
  };
}
