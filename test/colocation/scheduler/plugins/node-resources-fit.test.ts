import { describe, expect, it } from 'vitest';
import { nodeResourcesFit } from '../../../../colocation/scheduler/plugins/node-resources-fit.js';
import { nodeInfo, pod, stateFor } from '../fixtures.js';

const BATCH_CPU = 'kubernetes.io/batch-cpu';
const BATCH_MEMORY = 'kubernetes.io/batch-memory';

describe('NodeResourcesFit', () => {
  const fit = nodeResourcesFit();
  const check = (p: ReturnType<typeof pod>, info: ReturnType<typeof nodeInfo>) => fit.filter(stateFor(fit, p), p, info)?.reasons;

  it('passes a pod whose requests fit beside the pods already on the node', () => {
    const info = nodeInfo('n1', { cpu: '4', memory: '8Gi' }, [pod('a', { cpu: '2', memory: '4Gi' })]);
    expect(check(pod('p', { cpu: '2', memory: '4Gi' }), info)).toBeUndefined();
  });

  it('names every short resource in kube-scheduler words', () => {
    const info = nodeInfo('n1', { cpu: '4', memory: '8Gi' }, [pod('a', { cpu: '3', memory: '7Gi' })]);
    expect(check(pod('p', { cpu: '2', memory: '2Gi' }), info)).toEqual(['Insufficient cpu', 'Insufficient memory']);
    expect(check(pod('q', { cpu: '500m', memory: '2Gi' }), info)).toEqual(['Insufficient memory']);
  });

  it('counts batch resources against the allocatable the node publishes, and a node without them has none', () => {
    const offline = pod('p', { requests: { [BATCH_CPU]: '3000', [BATCH_MEMORY]: '4Gi' } });
    expect(check(offline, nodeInfo('plain'))).toEqual([`Insufficient ${BATCH_CPU}`, `Insufficient ${BATCH_MEMORY}`]);
    const batchNode = nodeInfo('batch', { extra: { [BATCH_CPU]: '4000', [BATCH_MEMORY]: '8Gi' } }, [pod('a', { requests: { [BATCH_CPU]: '2000' } })]);
    expect(check(offline, batchNode)).toEqual([`Insufficient ${BATCH_CPU}`]);
    expect(check(pod('small', { requests: { [BATCH_CPU]: '2000', [BATCH_MEMORY]: '4Gi' } }), batchNode)).toBeUndefined();
  });

  it('refuses a node at its pod capacity', () => {
    const info = nodeInfo('n1', { pods: 2 }, [pod('a'), pod('b')]);
    expect(check(pod('p'), info)).toEqual(['Too many pods']);
  });

  it('keeps room held for one gang away from everyone else, and open to that gang', () => {
    const info = nodeInfo('n1', { cpu: '4', memory: '8Gi' });
    info.reserve('default/app-1', { cpu: 3000, memory: 6 * 2 ** 30 });
    expect(check(pod('other', { cpu: '2' }), info)).toEqual(['Insufficient cpu']);
    const member = pod('exec', { cpu: '2', labels: { 'spark-app-selector': 'app-1', 'spark-role': 'executor' } });
    expect(check(member, info)).toBeUndefined();
    info.unreserve('default/app-1');
    expect(check(pod('other', { cpu: '2' }), info)).toBeUndefined();
  });

  it('passes a pod that requests nothing on a node with free pod slots', () => {
    expect(check(pod('p'), nodeInfo('n1', { cpu: '0', memory: '0' }))).toBeUndefined();
  });
});
