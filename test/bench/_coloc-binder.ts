// The ceiling's binder for `bench colocation`: Tidepool's scheduler with the scheduling taken out.
// In a process of its own, as the scheduler is, it watches the pods labelled for it
// (BINDER_LABEL, the ceiling's pods only) through the same informer and projection the scheduler uses (kube's createInformer, projectSchedPod and
// SCHED_POD_FIELDS), and binds every unbound pod through pods/binding to a node chosen in advance
// (round-robin over the nodes the load filter allows), with at most `maxInFlight` bindings at once,
// over a KubeClient with the scheduler's QPS/burst. What it reaches is what the API allows the
// scheduler's I/O path: no filter, no score, no Events.
//
// IPC as _coloc-sim.ts: { id, cmd } -> { id, result } | { id, error }; once synced { ready, from }.
// Commands: tls (TLS connections opened so far, _coloc-tls.ts); stop (the bindings in flight settle first).
import { loadCompiled } from './_compiled.js';
import { countTlsConnects } from './_coloc-tls.js';
import { BINDER_LABEL, BINDER_VALUE, CLUSTER, nodeLoad, nodeName } from './_coloc-workload.js';

export interface BinderChildConfig {
  kubeconfigPath: string;
  nodes: number;
  qps: number;
  burst: number;
  maxInFlight: number;
  sources: boolean;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as BinderChildConfig;
const tls = countTlsConnects();
const send = (m: object): void => void process.send!(m);
const trees = ['colocation', 'kube', 'api'];
const K = await loadCompiled<typeof import('../../kube/index.js')>('kube/index.js', trees, { sources: cfg.sources });
const S = await loadCompiled<typeof import('../../colocation/scheduler/index.js')>('colocation/scheduler/index.js', trees, { sources: cfg.sources });

const cool: string[] = [];
for (let i = 0; i < cfg.nodes; i++) if (!nodeLoad(i).hot) cool.push(nodeName(i));
/** The precomputed node of a pod named <prefix>-<i>. */
const nodeFor = (name: string): string => cool[Number(name.slice(name.lastIndexOf('-') + 1)) % cool.length]!;

const client = new K.mod.KubeClient({ config: { kind: 'file', path: cfg.kubeconfigPath, context: CLUSTER }, cluster: CLUSTER, qps: cfg.qps, burst: cfg.burst, timeoutMs: 120_000 });
const queue: Array<{ namespace: string; name: string; uid: string }> = [];
const seen = new Set<string>();
let inFlight = 0;
let failures = 0;
const settled: Array<() => void> = [];

function pump(): void {
  while (inFlight < cfg.maxInFlight && queue.length > 0) {
    const p = queue.shift()!;
    inFlight++;
    client
      .request({
        method: 'POST',
        path: `/api/v1/namespaces/${p.namespace}/pods/${p.name}/binding`,
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name: p.name, namespace: p.namespace, uid: p.uid }, target: { apiVersion: 'v1', kind: 'Node', name: nodeFor(p.name) } },
      })
      .catch(() => void failures++)
      .finally(() => {
        inFlight--;
        pump();
        if (inFlight === 0) for (const s of settled.splice(0)) s();
      });
  }
}

const onPod = (pod: import('../../colocation/scheduler/index.js').SchedPod): void => {
  if (pod.node !== '' || seen.has(pod.key)) return;
  seen.add(pod.key);
  queue.push({ namespace: pod.namespace, name: pod.name, uid: pod.uid });
  pump();
};
const informer = K.mod.createInformer({
  client,
  resource: { version: 'v1', resource: 'pods' },
  labelSelector: `${BINDER_LABEL}=${BINDER_VALUE}`,
  project: S.mod.projectSchedPod,
  fields: S.mod.SCHED_POD_FIELDS,
  name: 'bench-binder/pods',
});
informer.addHandlers({ onAdd: onPod, onUpdate: (_o, p) => onPod(p), onDelete: () => undefined });
informer.start();
const ac = new AbortController();
await informer.waitForSync({ signal: ac.signal });

process.on('message', (m: { id: number; cmd: 'stop' | 'tls' }) => {
  if (m.cmd === 'tls') return send({ id: m.id, result: { tlsConnects: tls.count } });
  void (async () => {
    if (inFlight > 0) await new Promise<void>((r) => settled.push(r));
    await informer.stop();
    client.close();
    send({ id: m.id, result: { failures } });
    process.disconnect();
  })();
});

send({ ready: true, from: S.from });
