// `tidepool virtual-node`: the virtual-kubelet. Flags and wiring here; the work is in
// virtual-node/ (startVirtualNode) and federation/ (the pool it places into).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import Fastify from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createKubeClient, type KubeClient } from '../kube/index.js';
import { Federation, MemberClusterRegistry } from '../federation/index.js';
import { startVirtualNode, type RunningVirtualNode } from '../virtual-node/index.js';
import { dnsLabelFlag, intFlag, listFlag, listenFlag } from './options.js';
import { untilSignal } from './sim.js';

export interface VirtualNodeCliOptions {
  kubeconfig?: string;
  hostContext?: string;
  memberContexts?: string[];
  nodeName: string;
  perCluster?: boolean;
  aggregate: boolean;
  address: string;
  kubeletPort: number;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  metricsPort: { host: string; port: number };
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaseDuration: number;
  hostApiServer?: string;
  hostApi: boolean;
  placementDeadline?: number;
  memberUnreachable: number;
  qps: number;
  burst: number;
  clusterId?: string;
}

function addressFlag(v: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(v) && !/^[0-9a-fA-F:]+$/.test(v)) throw new InvalidArgumentError(`--address must be an IP address, got "${v}"`);
  return v;
}

function urlFlag(flag: string): (v: string) => string {
  return (v) => {
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:') throw new Error('not https');
      return v.replace(/\/+$/, '');
    } catch {
      throw new InvalidArgumentError(`${flag} must be an https URL, got "${v}"`);
    }
  };
}

export function registerVirtualNodeCommand(program: Command): Command {
  return program
    .command('virtual-node')
    .description('run the virtual node: a Node in the host cluster backed by the idle capacity of the member clusters')
    .option('--kubeconfig <file>', 'kubeconfig with the host and member contexts (default $KUBECONFIG or ~/.kube/config)')
    .option('--host-context <name>', 'kubeconfig context of the host cluster (default: the current context)')
    .option('--member-contexts <names>', 'comma-separated contexts of the member clusters (default: the MemberCluster objects in the host cluster)', listFlag('--member-contexts', /^[A-Za-z0-9@._:/-]+$/, 'context name'))
    .option('--node-name <name>', 'the virtual node\'s name (per-cluster nodes are <name>-<member>)', dnsLabelFlag('--node-name'), 'tidepool')
    .option('--per-cluster', 'also one virtual node per member cluster')
    .option('--no-aggregate', 'no aggregate node over all members (with --per-cluster)')
    .option('--address <ip>', 'the node\'s InternalIP: where the host apiserver reaches the kubelet API (also its listen address)', addressFlag, '127.0.0.1')
    .option('--kubelet-port <port>', 'kubelet API port (0: a free port, written to the Node\'s daemonEndpoints)', intFlag('--kubelet-port', 0, 65535), 10250)
    .option('--tls-cert-file <file>', 'kubelet API serving certificate (default: a self-signed one made at start)')
    .option('--tls-private-key-file <file>', 'key of --tls-cert-file')
    .option('--client-ca-file <file>', 'client certificates signed by this CA may call the kubelet API (default: the host cluster\'s CA)')
    .option('--metrics-port <[host:]port>', '/healthz, /readyz and /metrics', listenFlag('--metrics-port'), listenFlag('--metrics-port')('127.0.0.1:10255'))
    .option('--no-leader-elect', 'run without leader election (a single replica)')
    .option('--leader-election-namespace <ns>', 'namespace of the leader Lease', 'kube-system')
    .option('--lease-duration <seconds>', 'leader lease duration', intFlag('--lease-duration', 2, 600), 15)
    .option('--host-api-server <url>', 'host API address mirrors use (KUBERNETES_SERVICE_HOST/PORT) for pods that mount a token (default: the host kubeconfig\'s server)', urlFlag('--host-api-server'))
    .option('--no-host-api', 'do not give mirrors host API access')
    .option('--placement-deadline <seconds>', 'fail a pod no member could take after this long (default: keep retrying)', intFlag('--placement-deadline', 1, 86400))
    .option('--member-unreachable <seconds>', 'a member silent this long turns its pods Unknown', intFlag('--member-unreachable', 1, 3600), 40)
    .option('--qps <n>', 'client requests per second, per cluster', intFlag('--qps', 1, 100000), 50)
    .option('--burst <n>', 'client burst, per cluster', intFlag('--burst', 1, 100000), 100)
    .option('--cluster-id <id>', 'the host cluster\'s id on mirrors (default: the host context name)', dnsLabelFlag('--cluster-id'))
    .action(async (o: VirtualNodeCliOptions) => {
      try {
        await runVirtualNodeCommand(o);
      } catch (err) {
        process.stderr.write(`tidepool virtual-node: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}

function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${path}: ${(err as Error).message}`);
  }
}

function pemOf(ca: unknown): string | undefined {
  if (typeof ca === 'string') return ca;
  if (Buffer.isBuffer(ca)) return ca.toString('utf8');
  if (Array.isArray(ca)) return ca.map(pemOf).filter(Boolean).join('\n');
  return undefined;
}

export async function runVirtualNodeCommand(o: VirtualNodeCliOptions): Promise<void> {
  if (!o.aggregate && !o.perCluster) throw new Error('--no-aggregate needs --per-cluster: there would be no virtual node at all');
  if ((o.tlsCertFile === undefined) !== (o.tlsPrivateKeyFile === undefined)) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  const tls = o.tlsCertFile && o.tlsPrivateKeyFile ? { cert: readFlagFile('--tls-cert-file', o.tlsCertFile), key: readFlagFile('--tls-private-key-file', o.tlsPrivateKeyFile) } : undefined;
  const kubeconfig = o.kubeconfig ?? process.env['KUBECONFIG']?.split(':')[0] ?? join(homedir(), '.kube', 'config');
  const logger = pino({ name: 'tidepool-virtual-node' });
  const registry = new Registry();
  const clientOpts = { qps: o.qps, burst: o.burst, registry };
  const host = createKubeClient({ ...clientOpts, config: { kind: 'file', path: kubeconfig, ...(o.hostContext ? { context: o.hostContext } : {}) } });
  const hostCluster = o.clusterId ?? host.cluster;
  const conn = await host.connectionOptions();
  const hostCaPem = pemOf(conn.ca);
  const clientCaPem = o.clientCaFile ? readFlagFile('--client-ca-file', o.clientCaFile) : hostCaPem;
  const hostApiUrl = new URL(o.hostApiServer ?? host.server);

  const fed = new Federation({ logger, readyTimeoutMs: 30_000, client: clientOpts });
  fed.start();
  let memberRegistry: MemberClusterRegistry | undefined;
  let vn: RunningVirtualNode | undefined;
  const health = Fastify({ logger: false });
  try {
    if (o.memberContexts) {
      for (const ctx of o.memberContexts) {
        const client: KubeClient = createKubeClient({ ...clientOpts, config: { kind: 'file', path: kubeconfig, context: ctx }, cluster: ctx });
        fed.addMemberWithClient(ctx, client);
      }
    } else {
      memberRegistry = new MemberClusterRegistry({ host, federation: fed, logger });
      memberRegistry.start();
      await memberRegistry.waitForSync(30_000);
    }
    await Promise.all(fed.memberNames().map((n) => fed.member(n)!.waitForReady(30_000)));
    vn = await startVirtualNode({
      host,
      hostCluster,
      provider: fed,
      nodeName: o.nodeName,
      aggregate: o.aggregate,
      perCluster: o.perCluster === true,
      address: o.address,
      kubelet: { listenHost: o.address, port: o.kubeletPort, ...(tls ? { tls } : {}), ...(clientCaPem ? { clientCaPem } : {}) },
      ...(o.hostApi && hostCaPem ? { hostApi: { host: hostApiUrl.hostname, port: Number(hostApiUrl.port || 443), caPem: hostCaPem } } : {}),
      leaderElection: o.leaderElect ? { namespace: o.leaderElectionNamespace, leaseDurationMs: o.leaseDuration * 1000, renewDeadlineMs: Math.floor(o.leaseDuration * 1000 * 2 / 3), retryPeriodMs: Math.max(500, Math.floor(o.leaseDuration * 1000 / 7)) } : false,
      ...(o.placementDeadline !== undefined ? { placementDeadlineMs: o.placementDeadline * 1000 } : {}),
      memberUnreachableMs: o.memberUnreachable * 1000,
      registry,
      logger,
    });
    const running = vn;
    health.get('/healthz', async () => 'ok');
    health.get('/readyz', async (_req, reply) => (running.ready() ? 'ok' : reply.code(503).send('syncing caches')));
    health.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
    const addr = await health.listen({ host: o.metricsPort.host, port: o.metricsPort.port });
    logger.info({ nodes: vn.nodeNames(), kubeletPort: vn.kubeletApi.port, health: addr, members: fed.memberNames() }, 'virtual node started');
    const sig = await untilSignal();
    logger.info({ signal: sig }, 'shutting down');
  } finally {
    await health.close();
    await vn?.stop();
    await memberRegistry?.stop();
    await fed.stop();
    host.close();
  }
}
