// Tidepool's scheduler for `bench colocation`, in a process of its own (its CPU and memory are
// its own, as a Deployment's would be): startScheduler — the component users run — over a
// KubeClient with the bench's QPS/burst, leader election off, the sim's node and pod informers.
// Run by _coloc-procs.ts through tsx; the scheduler, load and kube code is loaded compiled from
// dist/ when the build is fresh.
//
// Load: a LoadStore fed directly, the way the isolation agents' gRPC streams feed it
// (colocation/load/agent-source.ts ends in LoadStore.add): one sample per node at start, then
// every node again every `sampleIntervalMs`, spread evenly (a slice of the fleet every 100 ms),
// each sample the node's modelled load (_coloc-workload.ts) with ±2 % jitter. So the load
// threshold filter and the load-aware score run on fresh measured data, and every sample goes
// through the scheduler's listener as in production.
//
// IPC as _coloc-sim.ts: { id, cmd } -> { id, result } | { id, error }; once started
// { ready, from, syncMs, nodes }.
// Commands:
//   metrics          the scheduler's and its client's Prometheus text, counted log lines, and TLS
//                    connections opened so far (_coloc-tls.ts)
//   profileStart     starts a CPU profile of this process (inspector)
//   profileStop      { profile } the CPU profile since profileStart
//   stop             stops the scheduler (in-flight bindings settle) and exits
import { Session } from 'node:inspector/promises';
import { countTlsConnects } from './_coloc-tls.js';
import { Registry } from 'prom-client';
import { loadCompiled } from './_compiled.js';
import { CLUSTER, nodeSample } from './_coloc-workload.js';
import { answerRequests, sendToParent } from './_child-ipc.js';

export interface SchedulerChildConfig {
  kubeconfigPath: string;
  nodes: number;
  qps: number;
  burst: number;
  sampleIntervalMs: number;
  /** SettingsInput for startScheduler (percentageOfNodesToScore, maxInFlightBindings, …). */
  settings: Record<string, unknown>;
  sources: boolean;
}

export interface SchedulerLogCounts {
  warn: number;
  error: number;
  /** The first distinct messages at warn or above, with counts. */
  messages: Record<string, number>;
}

type Request = { id: number; cmd: 'metrics' | 'profileStart' | 'profileStop' | 'stop' };

const cfg = JSON.parse(process.argv[2] ?? '{}') as SchedulerChildConfig;
const trees = ['colocation', 'kube', 'api'];
const S = await loadCompiled<typeof import('../../colocation/scheduler/index.js')>('colocation/scheduler/index.js', trees, { sources: cfg.sources });
const L = await loadCompiled<typeof import('../../colocation/load/index.js')>('colocation/load/index.js', trees, { sources: cfg.sources });
const K = await loadCompiled<typeof import('../../kube/index.js')>('kube/index.js', trees, { sources: cfg.sources });

const tls = countTlsConnects();
const logs: SchedulerLogCounts = { warn: 0, error: 0, messages: {} };
const note = (level: 'warn' | 'error', msg: string): void => {
  logs[level]++;
  if (logs.messages[msg] !== undefined || Object.keys(logs.messages).length < 20) logs.messages[msg] = (logs.messages[msg] ?? 0) + 1;
};
// Debug and info stay quiet (a line per pod would cost the loop more than it measures).
const logger = {
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (_o: object, msg: string): void => note('warn', msg),
  error: (_o: object, msg: string): void => note('error', msg),
};

const registry = new Registry();
const client = new K.mod.KubeClient({ config: { kind: 'file', path: cfg.kubeconfigPath, context: CLUSTER }, cluster: CLUSTER, qps: cfg.qps, burst: cfg.burst, timeoutMs: 120_000, registry });
const load = new L.mod.LoadStore();
const t0 = Date.now();
for (let i = 0; i < cfg.nodes; i++) load.add(nodeSample(i, t0, Math.random));
// Each tick refreshes the next slice of the fleet, so every node gets a sample per interval.
const TICK_MS = 100;
const perTick = Math.max(1, Math.ceil((cfg.nodes * TICK_MS) / cfg.sampleIntervalMs));
let cursor = 0;
const feeder = setInterval(() => {
  const now = Date.now();
  for (let k = 0; k < perTick; k++) {
    load.add(nodeSample(cursor, now, Math.random));
    cursor = (cursor + 1) % cfg.nodes;
  }
}, TICK_MS);

const started = performance.now();
const running = await S.mod.startScheduler({
  client,
  load,
  registry,
  logger,
  leaderElection: false,
  podGroups: false,
  settings: cfg.settings as never,
});
while (!running.ready()) await new Promise((r) => setTimeout(r, 20));
const syncMs = performance.now() - started;
// The first cycle runs once the loop has seen the synced caches; wait for the node count too.
while (running.scheduler.cache.nodeCount < cfg.nodes) await new Promise((r) => setTimeout(r, 20));

let session: Session | undefined;

async function handle(m: Request): Promise<unknown> {
  switch (m.cmd) {
    case 'metrics':
      return { text: await registry.metrics(), logs, tlsConnects: tls.count };
    case 'profileStart':
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      return {};
    case 'profileStop': {
      if (!session) throw new Error('no profile was started');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      return { profile };
    }
    case 'stop':
      clearInterval(feeder);
      await running.stop();
      client.close();
      return {};
  }
}

answerRequests<Request>(handle);

sendToParent({ ready: true, from: S.from, syncMs, nodes: running.scheduler.cache.nodeCount });
