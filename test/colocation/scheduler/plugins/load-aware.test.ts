import { describe, expect, it } from 'vitest';
import { staticPolicySource } from '../../../../colocation/batch/index.js';
import { CycleState } from '../../../../colocation/scheduler/framework/cycle-state.js';
import { LoadEstimator } from '../../../../colocation/scheduler/load-estimator.js';
import { loadAware } from '../../../../colocation/scheduler/plugins/load-aware.js';
import { NodeSettings } from '../../../../colocation/scheduler/policy.js';
import { FakeLoad, ManualClock, nodeInfo, pod } from '../fixtures.js';

const GiB = 2 ** 30;

function setup(packing = false) {
  const clock = new ManualClock();
  const load = new FakeLoad();
  const estimator = new LoadEstimator(load, clock, { cpuFactor: 1, memoryFactor: 1, startupGraceMs: 5_000 });
  const plugin = loadAware(estimator, new NodeSettings(staticPolicySource()), { skipOfflineWhenPacking: () => packing });
  return { clock, load, estimator, plugin };
}

describe('LoadAware score', () => {
  it('scores the room left after the pod by measured usage: the idle node wins, 0..100', () => {
    const { clock, load, plugin } = setup();
    const idle = nodeInfo('idle', { cpu: '10', memory: '100Gi' });
    const busy = nodeInfo('busy', { cpu: '10', memory: '100Gi' });
    load.set('idle', 1_000, 10 * GiB, clock.now());
    load.set('busy', 8_000, 80 * GiB, clock.now());
    const p = pod('p', { cpu: '1', memory: '10Gi' });
    const s = new CycleState(clock.now());
    expect(plugin.score(s, p, idle)).toBeCloseTo(80, 5);
    expect(plugin.score(s, p, busy)).toBeCloseTo(10, 5);
  });

  it('adds pods placed since the last sample, so a burst does not pile onto the node that looked idle', () => {
    const { clock, load, estimator, plugin } = setup();
    const at = () => new CycleState(clock.now());
    const a = nodeInfo('a', { cpu: '10', memory: '100Gi' });
    const b = nodeInfo('b', { cpu: '10', memory: '100Gi' });
    load.set('a', 1_000, 10 * GiB, clock.now());
    load.set('b', 3_000, 30 * GiB, clock.now());
    const p = pod('p', { cpu: '1', memory: '10Gi' });
    expect(plugin.score(at(), p, a)).toBeGreaterThan(plugin.score(at(), p, b));
    // Three pods land on `a` before its next sample: it is now the busier one by estimate.
    for (const n of ['x', 'y', 'z']) estimator.placed(pod(n, { cpu: '1', memory: '10Gi' }), 'a');
    expect(plugin.score(at(), p, a)).toBeLessThan(plugin.score(at(), p, b));
    // A sample taken right after still may not show them (they are starting): they still count.
    clock.advance(1_000);
    load.set('a', 1_000, 10 * GiB, clock.now());
    expect(plugin.score(at(), p, a)).toBeLessThan(plugin.score(at(), p, b));
    // A sample taken well after they started includes their usage: the estimates drop out.
    clock.advance(10_000);
    load.set('a', 1_500, 12 * GiB, clock.now());
    load.set('b', 3_000, 30 * GiB, clock.now());
    expect(plugin.score(at(), p, a)).toBeGreaterThan(plugin.score(at(), p, b));
  });

  it('estimates a node without a sample by its requests', () => {
    const { clock, plugin } = setup();
    const empty = nodeInfo('empty', { cpu: '10', memory: '100Gi' });
    const full = nodeInfo('full', { cpu: '10', memory: '100Gi' }, [pod('big', { cpu: '9', memory: '90Gi' })]);
    const p = pod('p', { cpu: '1', memory: '10Gi' });
    expect(plugin.score(new CycleState(clock.now()), p, empty)).toBeCloseTo(90, 5);
    expect(plugin.score(new CycleState(clock.now()), p, full)).toBeCloseTo(0, 5);
  });

  it('steps aside for offline pods when the policy packs them', () => {
    const exec = pod('e', { labels: { 'spark-role': 'executor' } });
    expect(setup(true).plugin.preScore(new CycleState(), exec, [])?.code).toBe('Skip');
    expect(setup(false).plugin.preScore(new CycleState(), exec, [])).toBeUndefined();
    expect(setup(true).plugin.preScore(new CycleState(), pod('web'), [])).toBeUndefined();
  });
});
