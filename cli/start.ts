// `tidepool start`: the main job on the embedded default. It starts the simulated clusters
// (host + members with online load), pools the members' idle capacity in a federation, runs the
// virtual node on the host cluster over that pool, and serves the capacity API and console page,
// until SIGINT/SIGTERM.
import { Command } from 'commander';
import pino from 'pino';
import { createKubeClient, type KubeClient } from '../kube/index.js';
import { Federation, buildServer, capacityTable } from '../federation/index.js';
import { startSim } from '../sim/index.js';
import { startVirtualNode, type RunningVirtualNode } from '../virtual-node/index.js';
import { syncMembers } from './capacity.js';
import { listenFlag } from './options.js';
import { addSimFlags, printSimReady, simOptionsFrom, untilSignal, type SimCliOptions } from './sim.js';

export interface StartCliOptions extends SimCliOptions {
  console: { host: string; port: number };
}

export const DEFAULT_CONSOLE = '127.0.0.1:7420';

const consoleFlag = listenFlag('--console');

export function registerStartCommand(program: Command): Command {
  return addSimFlags(
    program
      .command('start')
      .description('the main job on the embedded default: simulated host + member clusters with online load, pooled, with the capacity API and console'),
  )
    .option('--console <[host:]port>', 'where to serve the capacity API and console page (port 0: a free port)', consoleFlag, consoleFlag(DEFAULT_CONSOLE))
    .action(async (o: StartCliOptions) => {
      try {
        await runStart({ ...o, onlineLoad: o.onlineLoad || 0.3 });
      } catch (err) {
        process.stderr.write(`tidepool start: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}

export async function runStart(o: StartCliOptions): Promise<void> {
  const sim = await startSim(simOptionsFrom(o));
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const fed = new Federation({ logger });
  let vn: RunningVirtualNode | undefined;
  let host: KubeClient | undefined;
  try {
    fed.start();
    // Every cluster but the host is a member whose idle capacity joins the pool.
    const members = [...sim.clusters.keys()].slice(1);
    for (const name of members) {
      const client = createKubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: name }, cluster: name });
      fed.addMemberWithClient(name, client);
    }
    for (const n of await syncMembers(fed, 30_000)) {
      process.stderr.write(`warning: member cluster ${n} did not sync within 30s (${fed.health(n)?.lastError ?? 'no answer'})\n`);
    }
    // The virtual node on the host cluster: one replica, so no leader election; its kubelet API
    // on a free loopback port (the Node's daemonEndpoints says which), trusting the sim's CA.
    const hostName = [...sim.clusters.keys()][0]!;
    host = createKubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: hostName }, cluster: hostName, qps: 200, burst: 400 });
    const caPem = sim.cluster(hostName).kubeconfigEntry().caPem;
    const hostUrl = new URL(host.server);
    if (members.length > 0) {
      vn = await startVirtualNode({
        host,
        hostCluster: hostName,
        provider: fed,
        nodeName: 'tidepool',
        perCluster: true,
        address: '127.0.0.1',
        kubelet: { listenHost: '127.0.0.1', port: 0, clientCaPem: caPem },
        hostApi: { host: hostUrl.hostname, port: Number(hostUrl.port), caPem },
        leaderElection: false,
        logger,
      });
    }
    const app = buildServer({ federation: fed });
    const addr = await app.listen({ host: o.console.host, port: o.console.port });
    printSimReady(sim);
    if (members.length > 0) {
      console.log(`\nthe pool (${members.join(', ')}):\n`);
      process.stdout.write(capacityTable(fed.document(), false));
    }
    if (vn) {
      const kc = sim.kubeconfigPath ?? '.tidepool/kubeconfig';
      console.log(`\nvirtual nodes on ${hostName}: ${vn.nodeNames().join(', ')} (kubelet API on 127.0.0.1:${vn.kubeletApi.port})`);
      console.log(`  kubectl --kubeconfig ${kc} get nodes -l type=virtual-kubelet`);
      console.log(`  kubectl --kubeconfig ${kc} run hello --image=busybox --overrides='{"spec":{"nodeSelector":{"type":"virtual-kubelet"},"tolerations":[{"key":"virtual-kubelet.io/provider","operator":"Exists"}]}}'`);
      console.log(`  kubectl --kubeconfig ${kc} get pod hello -o wide; kubectl --kubeconfig ${kc} logs hello; kubectl --kubeconfig ${kc} exec hello -- env`);
    }
    console.log(`\ncapacity console: ${addr}/   API: ${addr}/api/v1/capacity   metrics: ${addr}/metrics`);
    const sig = await untilSignal();
    console.log(`received ${sig}, shutting down`);
    await app.close();
  } finally {
    await vn?.stop();
    host?.close();
    await fed.stop();
    await sim.stop();
  }
}
