import { describe, expect, it } from 'vitest';
import { nodeUnschedulable } from '../../../../colocation/scheduler/plugins/node-unschedulable.js';
import { nodeInfo, pod, stateFor } from '../fixtures.js';

describe('NodeUnschedulable', () => {
  const plugin = nodeUnschedulable();
  const check = (p: ReturnType<typeof pod>, o: Parameters<typeof nodeInfo>[1]) => plugin.filter(stateFor(plugin, p), p, nodeInfo('n1', o))?.reasons[0];

  it('refuses cordoned nodes unless the pod tolerates node.kubernetes.io/unschedulable', () => {
    expect(check(pod('p'), { unschedulable: true })).toBe('node(s) were unschedulable');
    expect(check(pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] }), { unschedulable: true })).toBeUndefined();
  });

  it('refuses nodes that are not Ready, as the not-ready taint would', () => {
    expect(check(pod('p'), { ready: false })).toBe('node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
    expect(check(pod('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] }), { ready: false })).toBeUndefined();
  });

  it('passes a schedulable, Ready node', () => {
    expect(check(pod('p'), {})).toBeUndefined();
  });
});
