import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../colocation/scheduler/framework/cycle-state.js';
import { offlinePacking } from '../../../../colocation/scheduler/plugins/offline-packing.js';
import { nodeInfo, pod } from '../fixtures.js';

const BATCH = { 'kubernetes.io/batch-cpu': '8000', 'kubernetes.io/batch-memory': '32Gi' };

describe('OfflinePacking score', () => {
  it('prefers the node whose batch room is already most used', () => {
    const plugin = offlinePacking(() => true);
    const p = pod('p', { requests: { 'kubernetes.io/batch-cpu': '1000', 'kubernetes.io/batch-memory': '4Gi' } });
    const used = nodeInfo('used', { extra: BATCH }, [pod('a', { requests: { 'kubernetes.io/batch-cpu': '5000', 'kubernetes.io/batch-memory': '20Gi' } })]);
    const empty = nodeInfo('empty', { extra: BATCH });
    expect(plugin.score(new CycleState(), p, used)).toBeCloseTo(75, 5);
    expect(plugin.score(new CycleState(), p, empty)).toBeCloseTo(12.5, 5);
  });

  it('only scores offline pods, and only when the policy packs', () => {
    const exec = pod('e', { labels: { 'spark-role': 'executor' } });
    expect(offlinePacking(() => true).preScore(new CycleState(), exec, [])).toBeUndefined();
    expect(offlinePacking(() => false).preScore(new CycleState(), exec, [])?.code).toBe('Skip');
    expect(offlinePacking(() => true).preScore(new CycleState(), pod('web'), [])?.code).toBe('Skip');
  });
});
