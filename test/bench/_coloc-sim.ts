// The simulated cluster of `bench colocation`, in a process of its own so the scheduler and the
// load client are measured apart from the API server they talk to. Run by _coloc-procs.ts
// through tsx; the simulator itself is loaded compiled from dist/ when the build is fresh.
//
// One cluster, `nodes` simulated nodes (kubelet Lease heartbeats on, as a real fleet has them),
// the sim's default scheduler off, and the kubelets' start delay set to a day: bound pods stay
// as the binding left them, so every write the API serves during a phase is the phase's own
// (creates, bindings, the scheduler's Events) plus the heartbeats. Every Node advertises the
// batch capacity its load leaves (_coloc-workload.ts), as the batch controller would publish it.
//
// Driven over IPC, one answer per request:
//   parent -> child: { id, cmd, ...args }
//   child -> parent: { id, result } | { id, error }, and once at start { ready, kubeconfigPath, from }
// Commands:
//   namespaces { names }   creates namespaces in-process
//   counters               writes the store saw since start (see SimCounters)
//   stop
import { OFFLINE_PRIORITY_CLASS, OFFLINE_PRIORITY_VALUE } from '../../api/index.js';
import { loadCompiled } from './_compiled.js';
import { batchAllocatable, CLUSTER, NODE_SHAPE, nodeName } from './_coloc-workload.js';
import { answerRequests, sendToParent } from './_child-ipc.js';

export interface SimChildConfig {
  nodes: number;
  dir: string;
  /** Node Lease renewal period (0: off). */
  leaseIntervalMs: number;
  sources: boolean;
}

/** Writes the API server's store saw, whoever wrote them. */
export interface SimCounters {
  /** Pods created. */
  podCreates: number;
  /** Pod writes that set spec.nodeName (bindings). */
  podBinds: number;
  /** Other pod writes (status patches such as the PodScheduled condition). */
  podOtherWrites: number;
  /** Event objects created or updated. */
  eventWrites: number;
  /** Lease writes (the simulated kubelets' heartbeats). */
  leaseWrites: number;
}

type Request = { id: number; cmd: 'namespaces'; names: string[] } | { id: number; cmd: 'counters' } | { id: number; cmd: 'stop' };

const cfg = JSON.parse(process.argv[2] ?? '{}') as SimChildConfig;

const simCode = await loadCompiled<typeof import('../../sim/index.js')>('sim/index.js', ['sim', 'kube', 'api'], { sources: cfg.sources });
const sim = await simCode.mod.startSim({
  clusters: [CLUSTER],
  nodes: cfg.nodes,
  nodeShape: { ...NODE_SHAPE },
  scheduler: false,
  startDelayMs: 86_400_000,
  leaseIntervalMs: cfg.leaseIntervalMs,
  dir: cfg.dir,
});
const c = sim.cluster(CLUSTER);

// The batch capacity each node's load leaves, on its Node status (capacity and allocatable).
const nodesRt = c.registry.lookup('', 'v1', 'nodes')!;
for (let i = 0; i < cfg.nodes; i++) {
  const batch = batchAllocatable(i);
  c.api.mutate(
    nodesRt,
    '',
    nodeName(i),
    (node) => {
      const status = node['status'] as { capacity: Record<string, string>; allocatable: Record<string, string> };
      Object.assign(status.capacity, batch);
      Object.assign(status.allocatable, batch);
    },
    { subresource: 'status' },
  );
  if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
}
const pcRt = c.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses')!;
c.api.create(pcRt, '', {
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name: OFFLINE_PRIORITY_CLASS },
  value: OFFLINE_PRIORITY_VALUE,
  preemptionPolicy: 'Never',
  description: 'Preemptible batch work on reclaimed capacity (Tidepool).',
} as never);

const counters: SimCounters = { podCreates: 0, podBinds: 0, podOtherWrites: 0, eventWrites: 0, leaseWrites: 0 };
c.store.subscribe('/pods', (ev) => {
  if (ev.type === 'ADDED') counters.podCreates++;
  else if (ev.type === 'MODIFIED') {
    if ((ev.object.fields['spec.nodeName'] ?? '') !== '' && (ev.prev?.fields['spec.nodeName'] ?? '') === '') counters.podBinds++;
    else counters.podOtherWrites++;
  }
});
c.store.subscribe('events', (ev) => {
  if (ev.type !== 'DELETED') counters.eventWrites++;
});
c.store.subscribe('coordination.k8s.io/leases', (ev) => {
  if (ev.type !== 'DELETED') counters.leaseWrites++;
});

const nsRt = c.registry.lookup('', 'v1', 'namespaces')!;

async function handle(m: Request): Promise<unknown> {
  switch (m.cmd) {
    case 'namespaces':
      for (const name of m.names) if (!c.api.tryGet(nsRt, '', name)) c.api.create(nsRt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return {};
    case 'counters':
      return { ...counters };
    case 'stop':
      await sim.stop();
      return {};
  }
}

answerRequests<Request>(handle);

sendToParent({ ready: true, kubeconfigPath: sim.kubeconfigPath, from: simCode.from });
