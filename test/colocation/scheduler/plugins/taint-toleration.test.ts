import { describe, expect, it } from 'vitest';
import { taintToleration } from '../../../../colocation/scheduler/plugins/taint-toleration.js';
import { nodeInfo, pod, stateFor } from '../fixtures.js';

describe('TaintToleration', () => {
  const plugin = taintToleration();
  const check = (p: ReturnType<typeof pod>, taints: Array<{ key: string; value?: string; effect: string }>) => plugin.filter(stateFor(plugin, p), p, nodeInfo('n1', { taints }))?.reasons[0];

  it('refuses a NoSchedule or NoExecute taint the pod does not tolerate, naming it as kube-scheduler does', () => {
    expect(check(pod('p'), [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }])).toBe('node(s) had untolerated taint {dedicated: db}');
    expect(check(pod('p'), [{ key: 'evict', effect: 'NoExecute' }])).toBe('node(s) had untolerated taint {evict: }');
  });

  it('ignores PreferNoSchedule taints', () => {
    expect(check(pod('p'), [{ key: 'soft', value: 'x', effect: 'PreferNoSchedule' }])).toBeUndefined();
  });

  it('accepts tolerations by Equal value, by Exists on the key, and by an empty key with Exists', () => {
    const taints = [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }];
    expect(check(pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }), taints)).toBeUndefined();
    expect(check(pod('p', { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), taints)).toBeUndefined();
    expect(check(pod('p', { tolerations: [{ operator: 'Exists' }] }), taints)).toBeUndefined();
    expect(check(pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web' }] }), taints)).toBe('node(s) had untolerated taint {dedicated: db}');
    expect(check(pod('p', { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }] }), taints)).toBe('node(s) had untolerated taint {dedicated: db}');
  });
});
