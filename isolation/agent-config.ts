// The agent's configuration: its type and the validation of raw flag values into it. Every bad
// value is a problem that names its flag (flags and env are how the agent is configured), and
// all problems are reported at once. The `tidepool agent` command (cli/agent.ts) declares the
// flags; runAgent (run-agent.ts) runs a validated config.
import { isAbsolute } from 'node:path';
import { readFlagFile } from '../kube/index.js';
import type { CgroupDriver } from './cgroup-layout.js';
import { parseCpuList } from './cpulist.js';
import { isValidNodeName } from './kube-pods.js';
import { DEFAULT_POLICY, POLICY_FLAGS, makePolicy, PolicyValidationError, type IsolationPolicy } from './policy.js';

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


/**
 * The policy flags, each with how its default reads in help text (the cooldown is given in
 * seconds, CPU lists as "0-1,8" or "none").
 */
export function agentPolicyFlags(): { flag: string; shownDefault: string }[] {
  return POLICY_OPTIONS.map(({ field }) => {
    const dflt = DEFAULT_POLICY[field];
    const shownDefault = field === 'evictCooldownMs' ? String((dflt as number) / 1000) : Array.isArray(dflt) ? (dflt.length === 0 ? 'none' : dflt.join(',')) : String(dflt);
    return { flag: POLICY_FLAGS[field], shownDefault };
  });
}

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
    const certPem = readFlagFile('--load-tls-cert', cert, problems);
    const keyPem = readFlagFile('--load-tls-key', key, problems);
    const caPem = ca === undefined ? undefined : readFlagFile('--load-tls-client-ca', ca, problems);
    if (certPem !== null && keyPem !== null && caPem !== null) loadTls = { certPem, keyPem, ...(caPem === undefined ? {} : { clientCaPem: caPem }) };
  }
  const tokenFile = str('loadTokenFile');
  let loadTokens: string[] = [];
  if (tokenFile !== undefined) {
    const text = readFlagFile('--load-token-file', tokenFile, problems);
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
