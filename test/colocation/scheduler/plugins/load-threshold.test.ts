import { describe, expect, it } from 'vitest';
import { DEFAULT_COLOCATION_SETTINGS } from '../../../../api/index.js';
import { staticPolicySource } from '../../../../colocation/batch/index.js';
import { CycleState } from '../../../../colocation/scheduler/framework/cycle-state.js';
import { LoadEstimator } from '../../../../colocation/scheduler/load-estimator.js';
import { loadThreshold } from '../../../../colocation/scheduler/plugins/load-threshold.js';
import { NodeSettings } from '../../../../colocation/scheduler/policy.js';
import { FakeLoad, ManualClock, nodeInfo, pod, stateFor } from '../fixtures.js';

const GiB = 2 ** 30;
const offline = pod('exec', { labels: { 'spark-role': 'executor', 'spark-app-selector': 'a1' }, cpu: '1' });

function setup(spec = { ...structuredClone(DEFAULT_COLOCATION_SETTINGS), nodePools: [] as never[] }) {
  const clock = new ManualClock();
  const load = new FakeLoad();
  const plugin = loadThreshold(new LoadEstimator(load, clock), new NodeSettings(staticPolicySource(spec)));
  return { clock, load, plugin };
}

describe('LoadThreshold', () => {
  it('keeps offline pods off nodes whose measured cpu or memory is at or above the policy threshold (65 % cpu, 80 % memory by default)', () => {
    const { clock, load, plugin } = setup();
    const info = nodeInfo('n1', { cpu: '10', memory: '100Gi' });
    const check = () => plugin.filter(stateFor(plugin, offline, clock.now()), offline, info)?.reasons;
    load.set('n1', 6_400, 10 * GiB, clock.now());
    expect(check()).toBeUndefined();
    load.set('n1', 6_500, 10 * GiB, clock.now());
    expect(check()).toEqual(['node(s) had cpu usage at or above the offline load threshold']);
    load.set('n1', 1_000, 80 * GiB, clock.now());
    expect(check()).toEqual(['node(s) had memory usage at or above the offline load threshold']);
    load.set('n1', 9_000, 90 * GiB, clock.now());
    expect(check()).toHaveLength(2);
  });

  it('does not apply to online pods', () => {
    const { plugin } = setup();
    expect(plugin.preFilter(new CycleState(), pod('web', { cpu: '1' }))?.code).toBe('Skip');
    expect(plugin.preFilter(new CycleState(), offline)).toBeUndefined();
  });

  it('passes nodes without a sample, or whose sample is older than the policy staleAfterSeconds', () => {
    const { clock, load, plugin } = setup();
    const info = nodeInfo('n1', { cpu: '10', memory: '100Gi' });
    expect(plugin.filter(stateFor(plugin, offline, clock.now()), offline, info)).toBeUndefined();
    load.set('n1', 9_900, 10 * GiB, clock.now());
    clock.advance(DEFAULT_COLOCATION_SETTINGS.staleAfterSeconds * 1000);
    expect(plugin.filter(stateFor(plugin, offline, clock.now()), offline, info)?.reasons).toHaveLength(1);
    clock.advance(1);
    expect(plugin.filter(stateFor(plugin, offline, clock.now()), offline, info)).toBeUndefined();
  });

  it("uses a node pool's own threshold for the nodes its selector picks", () => {
    const spec = {
      ...structuredClone(DEFAULT_COLOCATION_SETTINGS),
      nodePools: [{ name: 'batch', nodeSelector: { pool: 'batch' }, thresholds: { offlineLoadPercent: { cpu: 90 }, evictionPercent: { cpu: 100 } } }],
    };
    const { clock, load, plugin } = setup(spec as never);
    const pooled = nodeInfo('p1', { cpu: '10', labels: { pool: 'batch' } });
    const plain = nodeInfo('n1', { cpu: '10' });
    load.set('p1', 8_000, GiB, clock.now());
    load.set('n1', 8_000, GiB, clock.now());
    expect(plugin.filter(stateFor(plugin, offline, clock.now()), offline, pooled)).toBeUndefined();
    expect(plugin.filter(stateFor(plugin, offline, clock.now()), offline, plain)?.reasons).toEqual(['node(s) had cpu usage at or above the offline load threshold']);
  });
});

describe('LoadThreshold after an eviction', () => {
  it('keeps offline pods off a node that just shed offline load until its back-off ends, online pods unaffected', () => {
    const { clock, plugin } = setup();
    const info = nodeInfo('n1', { cpu: '10', memory: '100Gi' });
    info.node = { ...info.node!, annotations: { 'tidepool.dev/offline-evicted-until': new Date(clock.now() + 60_000).toISOString() } };
    expect(plugin.filter(stateFor(plugin, offline, clock.now()), offline, info)?.reasons).toEqual(['node(s) had offline pods evicted for load recently']);
    clock.advance(60_001);
    expect(plugin.filter(stateFor(plugin, offline, clock.now()), offline, info)).toBeUndefined();
  });
});
