// `tidepool capacity`: the pool at a glance, straight from member clusters (--kubeconfig and
// --member-contexts) or from a running federation API (--server). With --serve it keeps
// running and serves the capacity API and console page itself.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { createKubeClient } from '../kube/index.js';
import {
  Federation,
  MemberClusterRegistry,
  buildServer,
  capacityTable,
  loadFederationConfig,
  SCORE_POLICIES,
  type CapacityDocument,
  type ScorePolicy,
} from '../federation/index.js';
import { intFlag, listFlag, listenFlag } from './options.js';
import { untilSignal } from './sim.js';

export interface CapacityCliOptions {
  kubeconfig?: string;
  memberContexts?: string[];
  server?: string;
  config?: string;
  hostContext?: string;
  output: 'table' | 'json' | 'wide';
  timeout: number;
  readyTimeout: number;
  policy: ScorePolicy;
  serve?: { host: string; port: number };
}

function urlFlag(v: string): string {
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return v.replace(/\/+$/, '');
  } catch {
    throw new InvalidArgumentError(`--server must be an http(s) URL, got "${v}"`);
  }
}

export function registerCapacityCommand(program: Command): Command {
  return program
    .command('capacity')
    .description('show the idle capacity of the member clusters (the pool), or serve the capacity API and console page')
    .option('--kubeconfig <file>', 'kubeconfig with one context per member cluster (default $KUBECONFIG or ~/.kube/config)')
    .option('--member-contexts <names>', 'comma-separated kubeconfig contexts of the member clusters', listFlag('--member-contexts', /^[A-Za-z0-9@._:/-]+$/, 'context name'))
    .option('--server <url>', 'read from a running federation API instead of the clusters', urlFlag)
    .option('--config <file>', 'federation config file (members, headroom, taints...)')
    .option('--host-context <name>', 'with --serve: also watch MemberCluster objects in this kubeconfig context')
    .addOption(new Option('-o, --output <format>', 'table, wide or json (json: the API document)').choices(['table', 'json', 'wide']).default('table'))
    .option('--timeout <seconds>', 'how long to wait for the member clusters to sync', intFlag('--timeout', 1, 3600), 30)
    .option('--ready-timeout <seconds>', 'a member silent this long is not Ready', intFlag('--ready-timeout', 1, 3600), 30)
    .addOption(new Option('--policy <name>', 'placement score policy').choices([...SCORE_POLICIES]).default('most-idle'))
    .option('--serve <[host:]port>', 'keep running: serve /api/v1/capacity, /metrics and the console page here', listenFlag('--serve'))
    .action(async (o: CapacityCliOptions) => {
      try {
        await runCapacity(o);
      } catch (err) {
        // A runtime failure (bad kubeconfig, unreachable server): the message, not the usage.
        process.stderr.write(`tidepool capacity: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}

export async function runCapacity(o: CapacityCliOptions): Promise<void> {
  if (o.server) {
    if (o.memberContexts || o.config || o.serve) throw new Error('--server reads a running federation API; it cannot be combined with --member-contexts, --config or --serve');
    const res = await fetch(`${o.server}/api/v1/capacity`, { signal: AbortSignal.timeout(o.timeout * 1000) });
    if (!res.ok) throw new Error(`${o.server}/api/v1/capacity answered HTTP ${res.status}`);
    print((await res.json()) as CapacityDocument, o.output);
    return;
  }
  if (!o.memberContexts && !o.config && !o.hostContext) throw new Error('name the member clusters: --member-contexts east,west (with --kubeconfig), --config FILE, or --server URL');
  if (o.hostContext && !o.serve) throw new Error('--host-context needs --serve (MemberCluster objects are watched by a running federation)');
  const kubeconfig = o.kubeconfig ?? process.env['KUBECONFIG']?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  const config = o.config ? loadFederationConfig(o.config) : undefined;
  const logger = pino({ level: o.serve ? 'info' : 'warn' }, pino.destination(2));
  const fed = new Federation({
    readyTimeoutMs: config?.readyTimeoutMs ?? o.readyTimeout * 1000,
    scorePolicy: config?.scorePolicy ?? o.policy,
    logger,
  });
  fed.start();
  let registry: MemberClusterRegistry | undefined;
  try {
    for (const ctx of o.memberContexts ?? []) {
      const client = createKubeClient({ config: { kind: 'file', path: kubeconfig, context: ctx }, cluster: ctx });
      fed.addMemberWithClient(ctx, client);
    }
    for (const m of config?.members ?? []) await fed.upsertMember(m);
    if (o.hostContext) {
      registry = new MemberClusterRegistry({ host: createKubeClient({ config: { kind: 'file', path: kubeconfig, context: o.hostContext }, cluster: o.hostContext }), federation: fed, logger });
      registry.start();
    }
    for (const n of await syncMembers(fed, o.timeout * 1000)) {
      process.stderr.write(`warning: member cluster ${n} did not sync within ${o.timeout}s (${fed.health(n)?.lastError ?? 'no answer'})\n`);
    }
    if (!o.serve) {
      print(fed.document(), o.output);
      return;
    }
    const app = buildServer({ federation: fed });
    const addr = await app.listen({ host: o.serve.host, port: o.serve.port });
    logger.info({ addr }, 'federation capacity API and console listening');
    await untilSignal();
    await app.close();
  } finally {
    await registry?.stop();
    await fed.stop();
  }
}

/** Waits for every member to sync and reads its usage once; returns the members that did not sync. */
export async function syncMembers(fed: Federation, timeoutMs: number): Promise<string[]> {
  const names = fed.memberNames();
  const ready = await Promise.all(names.map((n) => fed.member(n)!.waitForReady(timeoutMs)));
  await Promise.all(names.filter((_, i) => ready[i]).map((n) => fed.member(n)!.refreshUsage()));
  return names.filter((_, i) => !ready[i]);
}

function print(doc: CapacityDocument, output: CapacityCliOptions['output']): void {
  // -o json prints the API's document itself (cpu in millicores, memory in bytes).
  if (output === 'json') {
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  } else process.stdout.write(capacityTable(doc, output === 'wide'));
}
