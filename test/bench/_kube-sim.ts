// The simulated API server for `bench kube`, in its own process so the benchmark measures
// the client alone (as against a real API server on another machine). Driven over IPC:
//   parent -> child: {cmd:'seed', n} | {cmd:'mutate', from, to} | {cmd:'live'} | {cmd:'stop'}
//   child -> parent: {ready, kubeconfig} | {seeded, podJsonBytes, ms} | {mutated, ms} | {live} | {stopped}
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim } from '../../sim/index.js';
import { NAMESPACES, podStatus, realisticPod } from './_kube-pods.js';

type Msg = { cmd: 'seed'; n: number } | { cmd: 'mutate'; from: number; to: number } | { cmd: 'live'; n: number } | { cmd: 'stop' };

const send = (m: object): void => void process.send!(m);
const dir = mkdtempSync(join(tmpdir(), 'tidepool-bench-kube-'));
const windowSize = Number(process.argv[2] ?? 50_000);
const sim = await startSim({ clusters: ['bench'], nodes: 0, scheduler: false, dir, eventWindow: windowSize });
const c = sim.cluster('bench');
const podsRt = c.registry.lookup('', 'v1', 'pods')!;
const nsRt = c.registry.lookup('', 'v1', 'namespaces')!;
const names: Array<[string, string]> = [];

process.on('message', (m: Msg) => {
  void (async () => {
    switch (m.cmd) {
      case 'seed': {
        const t = performance.now();
        for (let i = 0; i < NAMESPACES; i++) c.api.create(nsRt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `team-${i}` } });
        for (let i = 0; i < m.n; i++) {
          const pod = realisticPod(i);
          c.api.create(podsRt, pod.metadata.namespace, pod);
          c.api.mutate(podsRt, pod.metadata.namespace, pod.metadata.name, (p) => void (p['status'] = podStatus(i)), { subresource: 'status' });
          names.push([pod.metadata.namespace, pod.metadata.name]);
          if (i % 5000 === 4999) await new Promise((r) => setImmediate(r));
        }
        const json = c.store.get('/pods', `${names[0]![0]}/${names[0]![1]}`)!.json;
        send({ seeded: true, podJsonBytes: json.length, ms: performance.now() - t });
        break;
      }
      case 'mutate': {
        const t = performance.now();
        // Straight to storage (what an apiserver's watch cache emits), skipping admission: the
        // sim's full validation would make it, not the client, the limit on the event rate.
        for (let i = m.from; i < m.to; i++) {
          const [ns, name] = names[i]!;
          const pod = c.api.parse(c.store.get('/pods', `${ns}/${name}`)!);
          pod.metadata.labels = { ...pod.metadata.labels, rollout: `r${i}` };
          c.store.put('/pods', pod);
        }
        send({ mutated: true, ms: performance.now() - t });
        break;
      }
      case 'live': {
        const live = realisticPod(m.n);
        live.metadata.name = 'live-pod';
        c.api.create(podsRt, live.metadata.namespace, live);
        send({ live: true });
        break;
      }
      case 'stop':
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
        send({ stopped: true });
        process.disconnect();
        break;
    }
  })();
});

send({ ready: true, kubeconfig: sim.kubeconfig });
