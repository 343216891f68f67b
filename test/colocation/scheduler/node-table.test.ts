// The columnar walk (NodeTable + filterRows/scoreRows) must decide exactly what the per-node walk
// decides: same feasible nodes in the same order, same rejection reasons and counts, same nodes
// examined, same scores. Random clusters with every case a row cannot settle alone (cordoned,
// not ready, tainted, gang room held, no load yet, stale load, evicted-for-load back-off, pools
// with their own thresholds), random pods, and the table kept up to date through node removal
// (swap-remove), re-adds, pod churn, reservations and new samples.
import { describe, expect, it } from 'vitest';
import { DEFAULT_COLOCATION_SETTINGS, OFFLINE_EVICTED_UNTIL_ANNOTATION } from '../../../api/index.js';
import { staticPolicySource } from '../../../colocation/batch/index.js';
import { CycleState } from '../../../colocation/scheduler/framework/cycle-state.js';
import { numFeasibleNodesToFind } from '../../../colocation/scheduler/framework/framework.js';
import type { SchedPod } from '../../../colocation/scheduler/types.js';
import { projectNode } from '../../../kube/index.js';
import { harness, pod, rawNode, seeded, type Harness } from './fixtures.js';

const GiB = 2 ** 30;
const policy = staticPolicySource({
  ...structuredClone(DEFAULT_COLOCATION_SETTINGS),
  nodePools: [
    { name: 'batch', nodeSelector: { pool: 'batch' }, thresholds: { offlineLoadPercent: { cpu: 90 }, evictionPercent: { cpu: 100 } } },
    { name: 'fresh', nodeSelector: { pool: 'fresh' }, staleAfterSeconds: 5 },
  ],
});

function addNode(h: Harness, r: () => number, i: number): void {
  const raw = rawNode(`n${i}`, {
    cpu: String(4 + Math.floor(r() * 60)),
    memory: `${8 + Math.floor(r() * 250)}Gi`,
    pods: r() < 0.05 ? 2 : 110,
    extra: r() < 0.8 ? { 'kubernetes.io/batch-cpu': String(Math.floor(r() * 20_000)), 'kubernetes.io/batch-memory': String(Math.floor(r() * 64 * GiB)) } : {},
    labels: r() < 0.3 ? { pool: r() < 0.5 ? 'batch' : 'fresh' } : {},
    ...(r() < 0.05 ? { unschedulable: true } : {}),
    ...(r() < 0.05 ? { ready: false } : {}),
    ...(r() < 0.08 ? { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } : {}),
  });
  if (r() < 0.05) (raw['metadata'] as Record<string, unknown>)['annotations'] = { [OFFLINE_EVICTED_UNTIL_ANNOTATION]: new Date(h.clock.now() + 60_000).toISOString() };
  h.scheduler.onNodeAdd(projectNode(raw));
}

function sample(h: Harness, r: () => number, i: number): void {
  // Some samples are stale for the 5 s pool, some for every pool; some nodes never get one.
  const age = r() < 0.2 ? 30_000 + r() * 600_000 : r() * 8_000;
  h.load.set(`n${i}`, Math.floor(r() * 60_000), Math.floor(r() * 250 * GiB), h.clock.now() - age);
}

function randomPod(r: () => number, i: number): SchedPod {
  const offline = r() < 0.7;
  const batch = offline && r() < 0.8;
  const requests: Record<string, string> = batch
    ? { 'kubernetes.io/batch-cpu': String(Math.floor(r() * 8_000)), 'kubernetes.io/batch-memory': String(Math.floor(r() * 16 * GiB)) }
    : { cpu: `${Math.floor(r() * 8_000)}m`, memory: `${Math.floor(r() * 16)}Gi` };
  if (r() < 0.1) requests['example.com/fpga'] = '1';
  return pod(`p${i}`, {
    requests,
    labels: { ...(offline ? { 'tidepool.dev/qos': 'offline' } : {}), ...(r() < 0.2 ? { 'spark-role': 'executor', 'spark-app-selector': `app${i % 3}` } : {}) },
    ...(r() < 0.3 ? { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] } : {}),
    ...(r() < 0.1 ? { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } : {}),
  });
}

/** Both walks for `p` from `start`: per node, then by rows. */
function bothWalks(h: Harness, p: SchedPod, start: number, want: number) {
  const { framework, cache } = h.scheduler;
  const nodes = cache.nodes();
  const run = (table: boolean) => {
    const state = new CycleState(h.clock.now());
    const pre = framework.runPreFilter(state, p);
    if (pre) return { pre: pre.status.reasons };
    const found = framework.findFeasible(state, p, nodes, start, want, table ? cache.table : undefined);
    const rows = found.rows ? [...found.rows] : undefined;
    // runScores answers in the framework's scratch: copied before the other walk reuses it.
    const scores = [...framework.runScores(state, p, found.feasible, false, table ? cache.table : undefined, found.rows)];
    return {
      feasible: found.feasible.map((n) => n.name),
      rowsMatch: rows === undefined || rows.every((row, i) => nodes[row] === found.feasible[i]),
      reasons: [...found.reasons].sort(),
      rejectedBy: [...found.rejectedBy].sort(),
      examined: found.examined,
      scores,
    };
  };
  return { perNode: run(false), rows: run(true) };
}

describe('NodeTable: the columnar walk decides as the per-node walk', () => {
  it('over random clusters, pods and changes', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = seeded(seed);
      // Even seeds pack offline pods (OfflinePacking scores), odd ones spread them.
      const h = harness({ policy, random: r, settings: { offlinePlacement: seed % 2 === 0 ? 'pack' : 'spread' } });
      const count = 150 + Math.floor(r() * 250);
      for (let i = 0; i < count; i++) addNode(h, r, i);
      for (let i = 0; i < count; i++) if (r() < 0.85) sample(h, r, i);
      let next = count;
      const boundPods: SchedPod[] = [];
      for (let round = 0; round < 40; round++) {
        // Change the cluster: remove a node (its row swaps), re-add one, bind, unbind, hold gang room, sample.
        const nodes = h.scheduler.cache.nodes();
        const victim = nodes[Math.floor(r() * nodes.length)]!;
        if (r() < 0.3) h.scheduler.onNodeDelete(victim.node!);
        if (r() < 0.3) addNode(h, r, next++);
        const some = nodes[Math.floor(r() * nodes.length)]!.name;
        const bound = randomPod(r, 10_000 + round);
        if (r() < 0.6) {
          const running = { ...bound, node: some, phase: 'Running' };
          h.scheduler.onPodAdd(running);
          boundPods.push(running);
        }
        if (r() < 0.3 && boundPods.length > 0) h.scheduler.onPodDelete(boundPods.splice(Math.floor(r() * boundPods.length), 1)[0]!);
        if (r() < 0.3) h.scheduler.cache.reserve(`gang-${round % 4}`, some, { 'kubernetes.io/batch-cpu': 2_000, cpu: 1_000 });
        if (r() < 0.2) h.scheduler.cache.unreserve(`gang-${(round + 1) % 4}`, some);
        for (let k = 0; k < 10; k++) sample(h, r, Math.floor(r() * next));
        h.clock.advance(Math.floor(r() * 3_000));

        const p = randomPod(r, round);
        const n = h.scheduler.cache.nodeCount;
        const want = r() < 0.5 ? numFeasibleNodesToFind(n, 10) : Math.max(1, Math.floor(r() * n));
        const { perNode, rows } = bothWalks(h, p, Math.floor(r() * n), want);
        expect(rows, `seed ${seed} round ${round}`).toEqual(perNode);
        if ('rowsMatch' in rows) expect(rows.rowsMatch).toBe(true);
      }
    }
  });

  it('a node deleted while its pods are still known, then added again, reads its new load samples', () => {
    const h = harness({ policy });
    h.scheduler.onNodeAdd(projectNode(rawNode('n0', { cpu: '10', memory: '100Gi', extra: { 'kubernetes.io/batch-cpu': '8000', 'kubernetes.io/batch-memory': String(64 * GiB) } })));
    h.scheduler.onPodAdd({ ...pod('web', { cpu: '1' }), node: 'n0', phase: 'Running' });
    const exec = pod('e', { labels: { 'tidepool.dev/qos': 'offline' }, requests: { 'kubernetes.io/batch-cpu': '1000', 'kubernetes.io/batch-memory': String(GiB) } });
    h.load.set('n0', 9_500, 10 * GiB, h.clock.now()); // hot
    expect(bothWalks(h, exec, 0, 1).rows).toMatchObject({ feasible: [] });
    const n0 = h.scheduler.cache.node('n0')!.node!;
    h.scheduler.onNodeDelete(n0);
    h.scheduler.onNodeAdd(n0);
    h.load.set('n0', 1_000, 10 * GiB, h.clock.now()); // cool again
    const { perNode, rows } = bothWalks(h, exec, 0, 1);
    expect(rows).toEqual(perNode);
    expect(rows).toMatchObject({ feasible: ['n0'] });
  });

  it('reserves room on assumption: a node filled by assumed pods is full in the table too', () => {
    const h = harness({ policy });
    h.scheduler.onNodeAdd(projectNode(rawNode('only', { cpu: '2', memory: '4Gi', extra: { 'kubernetes.io/batch-cpu': '1500', 'kubernetes.io/batch-memory': String(3 * GiB) } })));
    h.load.set('only', 100, GiB, h.clock.now());
    const exec = (i: number) => pod(`e${i}`, { labels: { 'tidepool.dev/qos': 'offline' }, requests: { 'kubernetes.io/batch-cpu': '1000', 'kubernetes.io/batch-memory': String(GiB) } });
    h.scheduler.cache.assume(exec(1), 'only');
    const { perNode, rows } = bothWalks(h, exec(2), 0, 1);
    expect(rows).toEqual(perNode);
    expect(rows).toMatchObject({ feasible: [], reasons: [['Insufficient kubernetes.io/batch-cpu', 1]] });
    h.scheduler.cache.forget('default/e1');
    expect(bothWalks(h, exec(2), 0, 1).rows).toMatchObject({ feasible: ['only'] });
  });
});
