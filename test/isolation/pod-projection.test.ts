import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubeQosClass, parseQuantity, resolvePodQos, toPodInfo } from '../../isolation/pod-projection.js';

function pod(spec: Partial<V1Pod['spec']> & { containers: NonNullable<V1Pod['spec']>['containers'] }, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: '6f1c2a4e-3b1d-4e0a-9c2f-0123456789ab', labels, creationTimestamp: new Date(1000) },
    spec,
    status: { phase: 'Running', containerStatuses: [{ name: 'app', containerID: `containerd://${'b'.repeat(64)}`, image: 'x', imageID: 'x', ready: true, restartCount: 0 }] },
  };
}

describe('quantities', () => {
  it('parses to millicores and bytes, rounding up', () => {
    expect(parseQuantity('500m', 1000)).toBe(500);
    expect(parseQuantity('1.5', 1000)).toBe(1500);
    expect(parseQuantity('2', 1000)).toBe(2000);
    expect(parseQuantity('1Gi', 1)).toBe(1073741824);
    expect(parseQuantity('1G', 1)).toBe(1e9);
    expect(parseQuantity('1e3', 1)).toBe(1000);
    expect(parseQuantity('0.1m', 1000)).toBe(1);
    expect(() => parseQuantity('1.2.3', 1)).toThrow('invalid quantity "1.2.3"');
    expect(() => parseQuantity('-1', 1)).toThrow('negative');
  });
});

describe('pod projection', () => {
  it('classifies QoS like kubelet (cpu and memory only; requests default to limits)', () => {
    expect(kubeQosClass(pod({ containers: [{ name: 'app' }] }))).toBe('BestEffort');
    expect(kubeQosClass(pod({ containers: [{ name: 'app', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }))).toBe('Guaranteed');
    expect(kubeQosClass(pod({ containers: [{ name: 'app', resources: { requests: { cpu: '1' } } }] }))).toBe('Burstable');
    expect(kubeQosClass(pod({ containers: [{ name: 'app', resources: { requests: { 'tidepool.dev/batch-cpu': '1000' } } }] }))).toBe('BestEffort');
  });

  it('recognises offline pods by label, Spark executors, Flink taskmanagers and batch resources', () => {
    const c = [{ name: 'app' }];
    expect(resolvePodQos(pod({ containers: c }, { 'tidepool.dev/qos': 'online-exclusive' })).tidepoolQos).toBe('online-exclusive');
    expect(resolvePodQos(pod({ containers: c }, { 'spark-role': 'executor' })).tidepoolQos).toBe('offline');
    expect(resolvePodQos(pod({ containers: c }, { 'spark-role': 'driver' })).tidepoolQos).toBe('online');
    expect(resolvePodQos(pod({ containers: c }, { component: 'taskmanager' })).tidepoolQos).toBe('offline');
    expect(resolvePodQos(pod({ containers: [{ name: 'app', resources: { requests: { 'tidepool.dev/batch-memory': '1Gi' } } }] })).tidepoolQos).toBe('offline');
  });

  it('sums effective requests (max of init vs app containers, plus overhead) and limits', () => {
    const info = toPodInfo(
      pod({
        initContainers: [{ name: 'init', resources: { requests: { cpu: '3' } } }],
        containers: [
          { name: 'app', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi', 'tidepool.dev/batch-cpu': '500' } } },
          { name: 'side', resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } } },
        ],
        overhead: { cpu: '100m' },
        priority: 7,
      }),
    );
    // An unset request defaults to the limit, extended resources included.
    expect(info.requests).toEqual({ cpuMilli: 3100, memoryBytes: 1610612736, batchCpuMilli: 500, batchMemoryBytes: 0 });
    expect(info.limits).toEqual({ cpuMilli: null, memoryBytes: 3221225472, batchCpuMilli: null, batchMemoryBytes: null });
    expect(info.priority).toBe(7);
    expect(info.containers[0]).toEqual({ name: 'app', id: 'b'.repeat(64), requests: { cpuMilli: 1000, memoryBytes: 1073741824 } });
    expect(info.containers[1]!.id).toBeNull();
    expect(info.createdAtMs).toBe(1000);
  });

  it('names the pod when a quantity is malformed', () => {
    expect(() => toPodInfo(pod({ containers: [{ name: 'app', resources: { requests: { cpu: 'lots' } } }] }))).toThrow('cannot read pod ns/p: invalid quantity "lots"');
  });
});
