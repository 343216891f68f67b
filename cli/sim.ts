// `tidepool sim`: start simulated clusters and keep them running until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { startSim, type Sim, type SimOptions } from '../sim/index.js';
import { DNS1123_LABEL_RE, toMilliBigInt, tryParseQuantity } from '../kube/index.js';
import { fractionFlag, intFlag, labelsFlag, listFlag } from './options.js';

function quantityFlag(flag: string): (v: string) => string {
  return (v) => {
    const q = tryParseQuantity(v);
    if (!q || toMilliBigInt(q) <= 0n) throw new InvalidArgumentError(`${flag} must be a positive Kubernetes quantity, got "${v}"`);
    return v;
  };
}

export interface SimCliOptions {
  clusters: string[];
  nodes: number;
  hostNodes?: number;
  dir: string;
  basePort?: number;
  nodeCpu: string;
  nodeMemory: string;
  nodePods: number;
  nodeLabels?: Record<string, string>;
  zones?: string[];
  onlineLoad: number;
  scheduler: boolean;
  startDelayMs: number;
}

export function simOptionsFrom(o: SimCliOptions): SimOptions {
  return {
    clusters: o.clusters,
    nodes: o.nodes,
    ...(o.hostNodes !== undefined ? { hostNodes: o.hostNodes } : {}),
    dir: resolve(o.dir),
    ...(o.basePort !== undefined ? { basePort: o.basePort } : {}),
    nodeShape: { cpu: o.nodeCpu, memory: o.nodeMemory, pods: o.nodePods, ...(o.nodeLabels ? { labels: o.nodeLabels } : {}) },
    ...(o.zones ? { zones: o.zones } : {}),
    onlineLoad: o.onlineLoad,
    scheduler: o.scheduler,
    startDelayMs: o.startDelayMs,
    admin: true,
  };
}

export function addSimFlags(cmd: Command): Command {
  return cmd
    .option('--clusters <names>', 'comma-separated cluster names; the first is the host cluster', listFlag('--clusters', DNS1123_LABEL_RE, 'cluster name'), ['host', 'east', 'west'])
    .option('--nodes <n>', 'simulated nodes per member cluster', intFlag('--nodes', 0, 10000), 20)
    .option('--host-nodes <n>', 'simulated nodes in the host cluster (default: --nodes)', intFlag('--host-nodes', 0, 10000))
    .option('--dir <path>', 'where to write the kubeconfig', '.tidepool')
    .option('--base-port <port>', 'first API server port (one per cluster, consecutive); default: free ports', intFlag('--base-port', 1024, 65000))
    .option('--node-cpu <quantity>', 'CPU per node', quantityFlag('--node-cpu'), '16')
    .option('--node-memory <quantity>', 'memory per node', quantityFlag('--node-memory'), '64Gi')
    .option('--node-pods <n>', 'pod capacity per node', intFlag('--node-pods', 1, 1000), 110)
    .option('--node-labels <k=v,...>', 'extra labels on every node', labelsFlag('--node-labels'))
    .option('--zones <a,b,...>', 'zones assigned round-robin to nodes (prefixed with the cluster name)', listFlag('--zones', DNS1123_LABEL_RE, 'zone'))
    .option('--online-load <fraction>', 'seed member clusters with online pods using about this fraction of CPU', fractionFlag('--online-load', 0.95), 0)
    .option('--no-scheduler', 'do not run the simulated default scheduler')
    .option('--start-delay-ms <ms>', 'delay before a bound pod is Running', intFlag('--start-delay-ms', 0, 600000), 500);
}

export function printSimReady(sim: Sim): void {
  const names = [...sim.clusters.keys()];
  const lines = [
    `tidepool sim ready: ${names.length} cluster(s) ${[...sim.clusters.values()].map((c) => `${c.name}=${c.url}`).join(' ')}`,
    `  kubeconfig: ${sim.kubeconfigPath ?? '(not written)'}   contexts: ${names.join(', ')} (current: ${names[0]})`,
    `  try: kubectl --kubeconfig ${sim.kubeconfigPath} get nodes`,
    `       kubectl --kubeconfig ${sim.kubeconfigPath} --context ${names[1] ?? names[0]} get pods -A -o wide`,
  ];
  if (sim.admin) {
    const tokenFrom = sim.adminTokenPath ? `$(cat ${sim.adminTokenPath})` : '<token>';
    lines.push(`  fault injection: curl -H "Authorization: Bearer ${tokenFrom}" ${sim.admin.url}/clusters`);
  }
  lines.push('  stop with Ctrl-C');
  console.log(lines.join('\n'));
}

/** Resolves when SIGINT or SIGTERM arrives. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    const onInt = (): void => on('SIGINT');
    const onTerm = (): void => on('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

export async function runSim(o: SimCliOptions): Promise<void> {
  const sim = await startSim(simOptionsFrom(o));
  printSimReady(sim);
  const sig = await untilSignal();
  console.log(`received ${sig}, shutting down`);
  await sim.stop();
}
