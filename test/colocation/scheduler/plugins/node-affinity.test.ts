import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../colocation/scheduler/framework/cycle-state.js';
import { nodeAffinity } from '../../../../colocation/scheduler/plugins/node-affinity.js';
import { nodeInfo, pod, stateFor } from '../fixtures.js';

const MISMATCH = "node(s) didn't match Pod's node affinity/selector";

function required(...terms: unknown[]) {
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } };
}

describe('NodeAffinity', () => {
  const plugin = nodeAffinity();
  const check = (p: ReturnType<typeof pod>, labels: Record<string, string>, name = 'n1') => plugin.filter(stateFor(plugin, p), p, nodeInfo(name, { labels }))?.reasons[0];

  it('is skipped for a pod with neither a node selector nor required node affinity', () => {
    expect(plugin.preFilter(new CycleState(), pod('p'))?.code).toBe('Skip');
  });

  it('matches spec.nodeSelector exactly', () => {
    const p = pod('p', { nodeSelector: { disk: 'ssd', zone: 'a' } });
    expect(check(p, { disk: 'ssd', zone: 'a', other: 'x' })).toBeUndefined();
    expect(check(p, { disk: 'hdd', zone: 'a' })).toBe(MISMATCH);
    expect(check(p, { zone: 'a' })).toBe(MISMATCH);
  });

  it('ORs the terms and ANDs the requirements inside one, with In, NotIn, Exists, DoesNotExist, Gt and Lt', () => {
    const p = pod('p', {
      affinity: required(
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'gpu', operator: 'DoesNotExist' }] },
        { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['32'] }, { key: 'pool', operator: 'NotIn', values: ['legacy'] }] },
      ),
    });
    expect(check(p, { zone: 'b' })).toBeUndefined();
    expect(check(p, { zone: 'b', gpu: 'yes' })).toBe(MISMATCH);
    expect(check(p, { cores: '64' })).toBeUndefined();
    expect(check(p, { cores: '64', pool: 'legacy' })).toBe(MISMATCH);
    expect(check(p, { cores: '16' })).toBe(MISMATCH);
    const lt = pod('lt', { affinity: required({ matchExpressions: [{ key: 'gen', operator: 'Lt', values: ['5'] }, { key: 'ssd', operator: 'Exists' }] }) });
    expect(check(lt, { gen: '4', ssd: '' })).toBeUndefined();
    expect(check(lt, { gen: '5', ssd: '' })).toBe(MISMATCH);
  });

  it('reads matchFields metadata.name, and an empty term matches nothing', () => {
    const p = pod('p', { affinity: required({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }) });
    expect(check(p, {}, 'n2')).toBeUndefined();
    expect(check(p, {}, 'n1')).toBe(MISMATCH);
    expect(check(pod('e', { affinity: required({}) }), { any: 'thing' })).toBe(MISMATCH);
  });
});
