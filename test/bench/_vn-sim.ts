// The simulated clusters of `bench virtual-node` (a host and its members), in a process of their
// own so the virtual node and the load client are measured apart from the API servers they talk
// to. Run by _vn-procs.ts (SimProcess) through tsx; the simulator itself is the code the run chose
// (_vn-code.ts: compiled dist/ normally). Driven over IPC, one answer per request:
//   parent -> child: { id, cmd, ...args }
//   child -> parent: { id, result } | { id, error }, and once at start { ready, kubeconfigPath }
// Commands:
//   seed { perMember }         members' own pods (realistic Deployment replicas, bound round-robin
//                              to their nodes, started by the simulated kubelets); answers once every
//                              one is Running
//   namespaces { host, members } creates namespaces in-process
//   running { namespace }      pods Running in that namespace: { host, members }
//   counters                   writes seen by the host store since start (see HostCounters)
//   podWrites                  how many watched host pods had each number of writes
//   stop
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { SimCluster } from '../../sim/index.js';
import { importCode, type Code } from './_vn-code.js';
import { NAMESPACES, realisticPod } from './_kube-pods.js';
import { answerRequests, sendToParent } from './_child-ipc.js';

export interface SimChildConfig {
  members: string[];
  /** Nodes per member cluster. */
  nodes: number;
  hostNodes: number;
  /** The simulated kubelets' delay from binding to Running. */
  startDelayMs: number;
  dir: string;
  /** Names of the Node objects whose writes are counted (the virtual node). */
  watchNodes: string[];
  /** Namespace of the host pods whose writes are counted. */
  watchNamespace: string;
  code: Code;
}

/** Writes the host's store saw, counted in its listener (the API server's view, whoever wrote). */
export interface HostCounters {
  /** Writes to the watched Node objects (status and metadata alike). */
  nodeWrites: number;
  /** MODIFIED events of pods in the watched namespace (scheduler binding included). */
  podWrites: number;
  /** Time this process spent in GC pauses (ms). */
  gcMs: number;
  /** Event objects created or updated in the watched namespace by the virtual node, and by others (the scheduler). */
  vnEventWrites: number;
  otherEventWrites: number;
}

type Request = { id: number; cmd: 'seed'; perMember: number } | { id: number; cmd: 'namespaces'; host: string[]; members: string[] } | { id: number; cmd: 'running'; namespace: string } | { id: number; cmd: 'counters' } | { id: number; cmd: 'podWrites' } | { id: number; cmd: 'stop' };

const cfg = JSON.parse(process.argv[2] ?? '{}') as SimChildConfig;

const simCode = await importCode<typeof import('../../sim/index.js')>('sim/index.js', cfg.code);
const sim = await simCode.startSim({
  clusters: ['host', ...cfg.members],
  nodes: cfg.nodes,
  hostNodes: cfg.hostNodes,
  startDelayMs: cfg.startDelayMs,
  terminationDelayMs: 100,
  dir: cfg.dir,
});
const host = sim.cluster('host');
const members = cfg.members.map((m) => sim.cluster(m));
const counters: HostCounters = { nodeWrites: 0, podWrites: 0, gcMs: 0, vnEventWrites: 0, otherEventWrites: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) counters.gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });
const watchedNodes = new Set(cfg.watchNodes);
host.store.subscribe('/nodes', (ev) => {
  if (ev.type === 'MODIFIED' && watchedNodes.has(ev.object.name)) counters.nodeWrites++;
});
/** Writes (MODIFIED) per host pod of the watched namespace, by name. */
const writesByPod = new Map<string, number>();
host.store.subscribe('/pods', (ev) => {
  if (ev.type !== 'MODIFIED' || ev.object.namespace !== cfg.watchNamespace) return;
  counters.podWrites++;
  writesByPod.set(ev.object.name, (writesByPod.get(ev.object.name) ?? 0) + 1);
});
host.store.subscribe('events', (ev, written) => {
  if (ev.type === 'DELETED' || ev.object.namespace !== cfg.watchNamespace) return;
  const source = (written as { source?: { component?: string }; reportingComponent?: string });
  if ((source.reportingComponent ?? source.source?.component) === 'tidepool-virtual-node') counters.vnEventWrites++;
  else counters.otherEventWrites++;
});

function createNamespace(c: SimCluster, name: string): void {
  const rt = c.registry.lookup('', 'v1', 'namespaces')!;
  if (c.api.tryGet(rt, '', name)) return;
  c.api.create(rt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

function runningIn(c: SimCluster, namespace: string): number {
  let n = 0;
  for (const o of c.store.values('/pods', namespace)) if (o.fields['status.phase'] === 'Running') n++;
  return n;
}

/**
 * A member's own pod: a realistic Deployment replica (~4.6 KB of JSON), bound to one of the
 * member's nodes. Requests are scaled down from the kube bench's shape so ~33 pods fit a 16-CPU
 * node with room left for the burst (the pool must have idle capacity to place into).
 */
function memberPod(i: number, nodeName: string): ReturnType<typeof realisticPod> {
  const pod = realisticPod(i);
  pod.spec.nodeName = nodeName;
  const [app, sidecar] = pod.spec.containers;
  app!.resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } };
  sidecar!.resources = { requests: { cpu: '20m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } };
  return pod;
}

async function seed(perMember: number): Promise<{ ms: number; pods: number }> {
  const t0 = performance.now();
  for (const [k, c] of members.entries()) {
    for (let n = 0; n < NAMESPACES; n++) createNamespace(c, `team-${n}`);
    const podsRt = c.registry.lookup('', 'v1', 'pods')!;
    for (let i = 0; i < perMember; i++) {
      const pod = memberPod(k * perMember + i, `${c.name}-node-${i % cfg.nodes}`);
      c.api.create(podsRt, pod.metadata.namespace, pod as never);
      // Let the kubelets' start timers and the servers breathe.
      if (i % 2000 === 1999) await new Promise((r) => setImmediate(r));
    }
  }
  // Every pod Running, started by its kubelet (status written as a kubelet writes it).
  for (;;) {
    let running = 0;
    for (const c of members) for (let n = 0; n < NAMESPACES; n++) running += runningIn(c, `team-${n}`);
    if (running >= perMember * members.length) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const ms = performance.now() - t0;
  // Seeding leaves the heap full of garbage: collect it now, not in a long pause mid-measurement.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return { ms, pods: perMember * members.length };
}

async function handle(m: Request): Promise<unknown> {
  switch (m.cmd) {
    case 'seed':
      return seed(m.perMember);
    case 'namespaces':
      for (const ns of m.host) createNamespace(host, ns);
      for (const c of members) for (const ns of m.members) createNamespace(c, ns);
      return {};
    case 'running':
      return { host: runningIn(host, m.namespace), members: members.reduce((s, c) => s + runningIn(c, m.namespace), 0) };
    case 'counters':
      return { ...counters };
    case 'podWrites': {
      // How many pods had each number of writes.
      const histogram: Record<string, number> = {};
      for (const n of writesByPod.values()) histogram[n] = (histogram[n] ?? 0) + 1;
      return histogram;
    }
    case 'stop':
      await sim.stop();
      return {};
  }
}

answerRequests<Request>(handle);

// Orphaned (the benchmark died without stopping us): go too.
process.on('disconnect', () => process.exit(0));
sendToParent({ ready: true, kubeconfigPath: sim.kubeconfigPath });
