import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../colocation/scheduler/framework/cycle-state.js';
import { balancedAllocation } from '../../../../colocation/scheduler/plugins/balanced-allocation.js';
import { nodeInfo, pod } from '../fixtures.js';

describe('BalancedAllocation score', () => {
  const plugin = balancedAllocation();
  const s = new CycleState();

  it('prefers the node where cpu and memory end up used in the same proportion', () => {
    const p = pod('p', { cpu: '1', memory: '4Gi' });
    const even = nodeInfo('even', { cpu: '8', memory: '32Gi' }, [pod('a', { cpu: '3', memory: '12Gi' })]);
    const skewed = nodeInfo('skewed', { cpu: '8', memory: '32Gi' }, [pod('a', { cpu: '7', memory: '4Gi' })]);
    expect(plugin.score(s, p, even)).toBeCloseTo(100, 5);
    // cpu 100 %, memory 25 %: std 0.375 -> 62.5
    expect(plugin.score(s, p, skewed)).toBeCloseTo(62.5, 5);
  });

  it('judges a pod on reclaimed capacity by the batch pair', () => {
    const p = pod('p', { requests: { 'kubernetes.io/batch-cpu': '2000', 'kubernetes.io/batch-memory': '2Gi' } });
    const info = nodeInfo('n', { extra: { 'kubernetes.io/batch-cpu': '4000', 'kubernetes.io/batch-memory': '16Gi' } });
    // batch-cpu 50 %, batch-memory 12.5 %: std 0.1875
    expect(plugin.score(s, p, info)).toBeCloseTo(81.25, 5);
  });
});
