/**
 * The batch controller's flags, validated at start: every problem listed, each naming its flag.
 *
 *   --batch-reserved-cpu Q          capacity never lent per node (cpu quantity), default 0
 *   --batch-reserved-memory Q       likewise memory, default 0
 *   --batch-change-percent N        smaller changes wait (hysteresis), default 10
 *   --batch-max-quiet-seconds N     ...but at most this long, default 300
 *   --batch-workers N               default 2
 *   --policy-name NAME              the ColocationPolicy in effect, default "default"
 *   --leader-elect[=false]          default true
 *   --leader-election-namespace NS  default tidepool-system
 *   --leader-election-identity ID   default $POD_NAME or the host name, plus a random suffix
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isDNS1123Label, isDNS1123Subdomain, toMilli, toUnits, tryParseQuantity } from '../../kube/index.js';
import type { CpuMemory } from './formula.js';
import type { LeaderElectionSettings } from './leadership.js';
import { DEFAULT_PUBLISH_SETTINGS, type PublishSettings } from './publish-rules.js';
import { DEFAULT_POLICY_NAME } from './policy-source.js';

export interface BatchFlags {
  batchReservedCpu?: string;
  batchReservedMemory?: string;
  batchChangePercent?: string | number;
  batchMaxQuietSeconds?: string | number;
  batchWorkers?: string | number;
  policyName?: string;
  leaderElect?: boolean | string;
  leaderElectionNamespace?: string;
  leaderElectionIdentity?: string;
}

export interface BatchConfig {
  reserved: CpuMemory;
  publish: PublishSettings;
  workers: number;
  policyName: string;
  leaderElection: LeaderElectionSettings | false;
}

export class BatchConfigError extends Error {
  override readonly name = 'BatchConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}


/** Validates the batch flags; throws BatchConfigError listing every problem. */
export function parseBatchFlags(f: BatchFlags, env: NodeJS.ProcessEnv = process.env): BatchConfig {
  const problems: string[] = [];
  const quantity = (flag: string, v: string | undefined, unit: (q: NonNullable<ReturnType<typeof tryParseQuantity>>) => number): number => {
    if (v === undefined) return 0;
    const q = tryParseQuantity(v);
    const n = q === undefined ? NaN : unit(q);
    if (!Number.isFinite(n) || n < 0) {
      problems.push(`${flag} must be a non-negative quantity (e.g. 500m, 2 / 1Gi), got "${v}"`);
      return 0;
    }
    return n;
  };
  const reserved = { cpu: quantity('--batch-reserved-cpu', f.batchReservedCpu, toMilli), memory: quantity('--batch-reserved-memory', f.batchReservedMemory, toUnits) };
  const number = (flag: string, v: string | number | undefined, dflt: number, ok: (n: number) => boolean, what: string): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (typeof v === 'string' && v.trim() === '') problems.push(`${flag} must be ${what}, got ""`);
    else if (!ok(n)) problems.push(`${flag} must be ${what}, got "${v}"`);
    return n;
  };
  const changePercent = number('--batch-change-percent', f.batchChangePercent, DEFAULT_PUBLISH_SETTINGS.changePercent, (n) => n >= 0 && n <= 100, 'a percent from 0 to 100');
  const quietSeconds = number('--batch-max-quiet-seconds', f.batchMaxQuietSeconds, DEFAULT_PUBLISH_SETTINGS.maxQuietMs / 1000, (n) => n >= 1 && n <= 86_400, 'a number of seconds from 1 to 86400');
  const workers = number('--batch-workers', f.batchWorkers, 2, (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'a whole number from 1 to 64');
  const policyName = f.policyName ?? DEFAULT_POLICY_NAME;
  if (isDNS1123Subdomain(policyName).length > 0) problems.push(`--policy-name must be a Kubernetes object name (DNS subdomain), got "${policyName}"`);
  const elect = f.leaderElect === undefined || f.leaderElect === true || f.leaderElect === 'true';
  if (typeof f.leaderElect === 'string' && f.leaderElect !== 'true' && f.leaderElect !== 'false') problems.push(`--leader-elect must be true or false, got "${f.leaderElect}"`);
  const namespace = f.leaderElectionNamespace ?? 'tidepool-system';
  if (isDNS1123Label(namespace).length > 0) problems.push(`--leader-election-namespace must be a namespace name (DNS label), got "${namespace}"`);
  const identity = f.leaderElectionIdentity ?? `${env['POD_NAME'] ?? hostname()}_${randomBytes(4).toString('hex')}`;
  if (identity === '') problems.push('--leader-election-identity must not be empty');
  if (problems.length > 0) throw new BatchConfigError(problems);
  return {
    reserved,
    publish: { changePercent, maxQuietMs: quietSeconds * 1000 },
    workers,
    policyName,
    leaderElection: elect ? { namespace, identity } : false,
  };
}
