// The ceiling's stand-in for the virtual node (see _vn-load.ts): a process of its own, as the
// virtual node is, so both get the same share of a shared machine. For each pod the parent has
// created in the host it POSTs the mirror to a member and PATCHes the host pod's status to
// Running, `concurrency` pods in flight, with clients of the same QPS/burst as the virtual node's.
// Nothing else: no watch, no placement, no queue — the bare API work.
// Run by _vn-procs.ts (WriterProcess) through tsx; kube/ and virtual-node/ are the code the run chose
// (_vn-code.ts). IPC, one answer per request:
//   { id, cmd: 'pods', namespace, items: [{ i, pod }] }   queued; answered at once
//   { id, cmd: 'drain' }                                   answered when every queued pod is written
//   { id, cmd: 'stop' }
import { importCode, type Code } from './_vn-code.js';
import { runningStatus } from './_vn-load.js';
import { answerRequests, sendToParent } from './_child-ipc.js';

export interface WriterConfig {
  kubeconfig: string;
  hostContext: string;
  members: string[];
  qps: number;
  burst: number;
  concurrency: number;
  /** The virtual node's address: hostIP in the status written. */
  address: string;
  code: Code;
}

type Obj = Record<string, unknown>;
export type CreatedPod = { metadata: { uid: string; namespace: string; name: string }; spec: Obj };
type Request = { id: number; cmd: 'pods'; namespace: string; items: Array<{ i: number; pod: CreatedPod }> } | { id: number; cmd: 'drain' } | { id: number; cmd: 'stop' };

const cfg = JSON.parse(process.argv[2] ?? '{}') as WriterConfig;
const K = await importCode<typeof import('../../kube/index.js')>('kube/index.js', cfg.code);
const VN = await importCode<typeof import('../../virtual-node/index.js')>('virtual-node/index.js', cfg.code);
const client = (context: string): InstanceType<typeof K.KubeClient> => new K.KubeClient({ config: { kind: 'file', path: cfg.kubeconfig, context }, cluster: context, qps: cfg.qps, burst: cfg.burst, timeoutMs: 120_000 });
const host = client(cfg.hostContext);
const members = cfg.members.map(client);
const startedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

const queue: Array<{ namespace: string; i: number; pod: CreatedPod }> = [];
let inFlight = 0;
let failed: Error | undefined;
let drains: Array<() => void> = [];

async function write(namespace: string, i: number, pod: CreatedPod): Promise<void> {
  // What the virtual node would send the member: the mirror of the pod as created (the virtual
  // node's own nodeName and selector do not cross), for another origin cluster than the one the
  // running virtual node owns, so it leaves these alone.
  const { nodeName: _bound, nodeSelector: _vn, ...spec } = pod.spec;
  const built = VN.buildMirror({ ...pod, spec } as never, { hostCluster: 'bench-ceiling', nodeName: 'bench-ceiling', allowHostNetwork: false });
  if (!built.ok) throw new Error(`no mirror for ${pod.metadata.name}: ${built.message}`);
  await members[i % members.length]!.request({ method: 'POST', path: `/api/v1/namespaces/${namespace}/pods`, body: built.pod });
  await host.request({
    method: 'PATCH',
    path: `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}/status`,
    body: { metadata: { uid: pod.metadata.uid }, status: VN.hostStatusFrom(runningStatus(i, startedAt), cfg.address) },
    contentType: 'application/strategic-merge-patch+json',
  });
}

function pump(): void {
  while (inFlight < cfg.concurrency && queue.length > 0) {
    const next = queue.shift()!;
    inFlight++;
    void write(next.namespace, next.i, next.pod)
      .catch((err: Error) => (failed ??= err))
      .finally(() => {
        inFlight--;
        pump();
      });
  }
  if (inFlight === 0 && queue.length === 0) for (const d of drains.splice(0)) d();
}

async function handle(m: Request): Promise<unknown> {
  switch (m.cmd) {
    case 'pods':
      for (const it of m.items) queue.push({ namespace: m.namespace, ...it });
      pump();
      return {};
    case 'drain':
      if (inFlight > 0 || queue.length > 0) await new Promise<void>((r) => drains.push(r));
      if (failed) {
        const err = failed;
        failed = undefined;
        throw err;
      }
      return {};
    case 'stop':
      drains = [];
      host.close();
      for (const c of members) c.close();
      return {};
  }
}

answerRequests<Request>(handle);
// Orphaned (the benchmark died without stopping us): go too.
process.on('disconnect', () => process.exit(0));
sendToParent({ ready: true });
