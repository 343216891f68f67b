// `tidepool demo` (what `npm start` runs; `tidepool start` is the same command): the whole product
// on the embedded default. Simulated clusters — a host and members whose online services follow
// a day/night curve, in accelerated time — pooled by a federation; the virtual nodes on the host;
// in every member the colocation room (admission webhook, load-aware scheduler, batch capacity,
// offline eviction); the capacity console; and a stream of Spark and Flink apps submitted to the
// virtual nodes. It says what is up as it starts, prints where to look, and stops cleanly on
// Ctrl-C or SIGTERM.
import { relative, resolve } from 'node:path';
import { Command, Option } from 'commander';
import pino from 'pino';
import { Federation, buildServer } from '../federation/index.js';
import { createKubeClient, type KubeClient } from '../kube/index.js';
import { DEFAULT_DAY_CURVE, seedOnlineServices, startSim, type Sim } from '../sim/index.js';
import { startVirtualNode } from '../virtual-node/index.js';
import { syncMembers } from './capacity.js';
import { LOG_LEVELS, type LogLevel } from './colocation-flags.js';
import { appsPerMinuteFor, DEMO_APPS_NAMESPACE, startAppStream } from './demo-apps.js';
import { startMemberColocation } from './demo-colocation.js';
import { DemoInterrupted, listenProblem, Progress, simStartProblem, waitForReadyNodes } from './demo-progress.js';
import { intFlag, listenFlag } from './options.js';
import { addSimFlags, simOptionsFrom, untilSignal, type SimCliOptions } from './sim.js';

export interface DemoCliOptions extends SimCliOptions {
  console: { host: string; port: number };
  timeScale: number;
  /** false: --no-apps. */
  apps: boolean;
  appsPerMinute?: number;
  logLevel: LogLevel;
}

export const DEFAULT_CONSOLE = '127.0.0.1:7420';
export const DEFAULT_TIME_SCALE = 120;
/** Share of the members' CPU the app stream aims to keep busy with workers. */
const OFFLINE_TARGET = 0.3;
/** Mean online CPU over a day, as a share of the node (--online-load's default here). */
const DEFAULT_ONLINE_LOAD = 0.25;
const VIRTUAL_NODE_NAME = 'tidepool';

const consoleFlag = listenFlag('--console');

function positiveNumberFlag(flag: string, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > max) throw new Error(`${flag} must be a number above 0 and at most ${max}, got "${v}"`);
    return n;
  };
}

/** Changes the default of a flag addSimFlags declared (the demo's sizes differ from `tidepool sim`'s). */
function redefault(cmd: Command, flag: string, value: unknown, shown?: string): void {
  const opt = cmd.options.find((o) => o.long === flag);
  if (!opt) throw new Error(`internal: no ${flag} flag to give a default`);
  // The sim's own words about its default ("(default: --nodes)") no longer hold here.
  opt.description = opt.description.replace(/\s*\(default: [^)]*\)$/, '');
  opt.default(value, shown);
  cmd.setOptionValueWithSource(opt.attributeName(), value, 'default');
}

export function registerDemoCommand(program: Command): Command {
  const cmd = addSimFlags(
    program
      .command('demo')
      .alias('start')
      .description('the whole product on simulated clusters: virtual nodes over the members\' idle capacity, colocation in every member, Spark/Flink apps, the capacity console (what npm start runs)'),
  );
  redefault(cmd, '--clusters', ['host', 'east', 'west', 'north'], 'host,east,west,north');
  redefault(cmd, '--host-nodes', 2);
  redefault(cmd, '--online-load', DEFAULT_ONLINE_LOAD);
  return cmd
    .addOption(new Option('--console <[host:]port>', 'where to serve the capacity API and console page (port 0: a free port)').argParser(consoleFlag).default(consoleFlag(DEFAULT_CONSOLE), DEFAULT_CONSOLE))
    .option('--time-scale <n>', 'simulated seconds per real second (120: a simulated day every 12 minutes)', intFlag('--time-scale', 1, 3600), DEFAULT_TIME_SCALE)
    .option('--no-apps', 'do not submit Spark and Flink apps')
    .option('--apps-per-minute <n>', `apps submitted per minute (default: enough to keep about ${OFFLINE_TARGET * 100} % of the members' CPU busy)`, positiveNumberFlag('--apps-per-minute', 600))
    .addOption(new Option('--log-level <level>', 'level of the components\' log (<dir>/demo.log)').choices([...LOG_LEVELS]).default('warn'))
    .action(async (o: DemoCliOptions) => {
      try {
        await runDemo(o);
      } catch (err) {
        process.stderr.write(`tidepool demo: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}

/** A path as the user would type it: relative to here when it is below here. */
function shownPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}

export async function runDemo(o: DemoCliOptions): Promise<void> {
  if (o.scheduler === false) throw new Error('--no-scheduler: the demo needs the simulated default scheduler, which binds pods to the virtual nodes');
  if (o.clusters.length < 2) throw new Error(`--clusters ${o.clusters.join(',')}: name the host cluster and at least one member, e.g. host,east`);
  const [hostName, ...members] = o.clusters as [string, ...string[]];
  // From the start a signal is remembered: a Ctrl-C while starting stops at the next step.
  const signal = untilSignal();
  const progress = new Progress(process.stdout, signal);
  const stops: Array<[string, () => Promise<void> | void]> = [];
  const stopAll = async (): Promise<void> => {
    for (const [what, stop] of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        process.stderr.write(`tidepool demo: stopping ${what}: ${(err as Error).message}\n`);
      }
    }
  };
  const dir = resolve(o.dir);
  const day = Math.round(86_400 / o.timeScale / 60);
  progress.say(`tidepool demo: starting — host cluster ${hostName}, member clusters ${members.join(', ')} (${o.nodes} nodes each), a simulated day every ${day} min`);

  try {
    // Every step registers what it started before it returns: a signal noticed at the end of a
    // step then stops that too.
    const sim: Sim = await progress.step('simulated clusters', async () => {
      let s: Sim;
      try {
        s = await startSim({ ...simOptionsFrom(o), onlineLoad: 0, timeScale: o.timeScale, dayCurve: DEFAULT_DAY_CURVE, dir });
      } catch (err) {
        throw new Error(simStartProblem(err, o.basePort, dir), { cause: err });
      }
      stops.push(['the simulated clusters', () => s.stop()]);
      return { value: s, detail: `${o.clusters.join(', ')} on 127.0.0.1; kubeconfig ${shownPath(s.kubeconfigPath!)}` };
    });
    const logPath = resolve(dir, 'demo.log');
    const logger = pino({ level: o.logLevel }, pino.destination({ dest: logPath, sync: true, mkdir: true }));

    await progress.step('online services on the day/night curve', async () => {
      const requestShare = Math.min(0.95, Math.max(0.6, o.onlineLoad + 0.3));
      let pods = 0;
      for (const m of members) pods += seedOnlineServices(sim.cluster(m), DEFAULT_DAY_CURVE, { averageCpuShare: o.onlineLoad, cpuRequestShare: requestShare });
      return { value: undefined, detail: `${pods} pods requesting ${Math.round(requestShare * 100)} % of the members' CPU, using ${Math.round(o.onlineLoad * 100)} % over a day` };
    });

    const fed = new Federation({ logger, usageIntervalMs: 5_000, historyIntervalMs: 5_000 });
    fed.start();
    stops.push(['the federation', () => fed.stop()]);
    const host: KubeClient = createKubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: hostName }, cluster: hostName, qps: 200, burst: 400 });
    stops.push(['the host client', () => host.close()]);

    // The console listens early, so a port in use is said before the long part of the start.
    const app = buildServer({ federation: fed, hostCluster: host });
    let consoleUrl: string;
    try {
      consoleUrl = await app.listen({ host: o.console.host, port: o.console.port });
    } catch (err) {
      await app.close();
      throw new Error(listenProblem('--console', o.console, err), { cause: err });
    }
    stops.push(['the console', () => app.close()]);

    await progress.step('federation', async () => {
      for (const m of members) fed.addMemberWithClient(m, createKubeClient({ config: { kind: 'inline', text: sim.kubeconfig, context: m }, cluster: m, qps: 200, burst: 400 }));
      const late = await syncMembers(fed, 30_000);
      if (late.length > 0) throw new Error(`member cluster(s) ${late.join(', ')} did not sync within 30 s (${late.map((n) => fed.health(n)?.lastError ?? 'no answer').join('; ')})`);
      return { value: undefined, detail: `${members.join(', ')} synced; the pool has ${Math.round(fed.document().total.cpu.idle / 1000)} idle cores` };
    });

    await progress.step('colocation', async () => {
      const started = await Promise.allSettled(members.map((m) => startMemberColocation(sim.kubeconfigPath!, m, logger, o.logLevel)));
      for (const [i, r] of started.entries()) if (r.status === 'fulfilled') stops.push([`colocation on ${members[i]}`, () => r.value.stop()]);
      const failed = started.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) throw new Error(`colocation on ${members[failed]}: ${((started[failed] as PromiseRejectedResult).reason as Error).message}`);
      return { value: undefined, detail: `in ${members.join(', ')}: admission webhook (registered), load-aware scheduler, batch capacity, offline eviction` };
    });

    await progress.step('virtual nodes', async () => {
      const caPem = sim.cluster(hostName).kubeconfigEntry().caPem;
      const hostUrl = new URL(host.server);
      const v = await startVirtualNode({
        host,
        hostCluster: hostName,
        provider: fed,
        nodeName: VIRTUAL_NODE_NAME,
        perCluster: true,
        address: '127.0.0.1',
        kubelet: { listenHost: '127.0.0.1', port: 0, clientCaPem: caPem },
        hostApi: { host: hostUrl.hostname, port: Number(hostUrl.port), caPem },
        leaderElection: false,
        // More workers than 10 share one AbortSignal past Node's listener warning (kube/workqueue);
        // 8 keep up with the demo's app stream.
        workers: 8,
        logger,
      });
      stops.push(['the virtual nodes', () => v.stop()]);
      await waitForReadyNodes(host, v.nodeNames(), 30_000, signal);
      return { value: undefined, detail: `${v.nodeNames().join(', ')} Ready on ${hostName} (kubelet API on 127.0.0.1:${v.kubeletApi.port})` };
    });

    let appsLine = 'apps: off (--no-apps)';
    if (o.apps) {
      const memberCores = fed.document().total.cpu.allocatable / 1000;
      const perMinute = o.appsPerMinute ?? Math.max(0.5, Math.round(appsPerMinuteFor(OFFLINE_TARGET * memberCores, o.timeScale) * 10) / 10);
      await progress.step('Spark and Flink apps', async () => {
        const stream = startAppStream({ host: sim.cluster(hostName), timeScale: o.timeScale, appsPerMinute: perMinute });
        stops.push(['the apps', () => stream.stop()]);
        return { value: undefined, detail: `about ${perMinute} a minute into ${hostName}/${DEMO_APPS_NAMESPACE}, aimed at the virtual nodes (--no-apps turns them off)` };
      });
      appsLine = `apps: ${perMinute} a minute`;
    }

    const kc = shownPath(sim.kubeconfigPath!);
    const k = `kubectl --kubeconfig ${kc}`;
    const tries = o.apps
      ? [
          [`${k} get nodes -l type=virtual-kubelet`, 'the virtual nodes: the members\' idle capacity'],
          [`${k} get pods -n ${DEMO_APPS_NAMESPACE} -o wide`, 'Spark drivers, executors and Flink jobs on them'],
          [`${k} --context ${members[0]} get pods -n ${DEMO_APPS_NAMESPACE} -L tidepool.dev/qos -o wide`, 'their mirrors in a member: executors run as offline batch work'],
        ]
      : [
          [`${k} get nodes -l type=virtual-kubelet`, 'the virtual nodes: the members\' idle capacity'],
          [`${k} run hello --image=busybox --overrides='{"spec":{"nodeSelector":{"type":"virtual-kubelet"},"tolerations":[{"key":"virtual-kubelet.io/provider","operator":"Exists"}]}}'`, 'a pod on the pool'],
          [`${k} get pod hello -o wide`, 'Running on a virtual node'],
        ];
    progress.say(`\ntidepool demo ready in ${progress.elapsed()} (${appsLine}; logs in ${shownPath(logPath)})`);
    progress.say(`\ncapacity console: ${consoleUrl}/   API: ${consoleUrl}/api/v1/capacity`);
    progress.say('\ntry:');
    for (const [line, why] of tries) progress.say(`  ${line}\n      # ${why}`);
    progress.say('\nstop with Ctrl-C');

    const sig = await signal;
    progress.say(`received ${sig}, shutting down (once more to stop at once)`);
  } catch (err) {
    if (!(err instanceof DemoInterrupted)) {
      await stopAll();
      throw err;
    }
    progress.say(`received ${err.signal} while starting, shutting down`);
  }
  await stopAll();
  progress.say('stopped');
}
