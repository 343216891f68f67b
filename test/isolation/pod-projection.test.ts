import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { checkPod, kubeQosClass, resolvePodQos, toPodInfo } from '../../isolation/pod-projection.js';

function pod(spec: Partial<V1Pod['spec']> & { containers: NonNullable<V1Pod['spec']>['containers'] }, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: '6f1c2a4e-3b1d-4e0a-9c2f-0123456789ab', labels, creationTimestamp: new Date(1000) },
    spec,
    status: { phase: 'Running', containerStatuses: [{ name: 'app', containerID: `containerd://${'b'.repeat(64)}`, image: 'x', imageID: 'x', ready: true, restartCount: 0 }] },
  };
}

describe('pod projection', () => {
  it('classifies QoS like kubelet (cpu and memory only; requests default to limits)', () => {
    expect(kubeQosClass(pod({ containers: [{ name: 'app' }] }))).toBe('BestEffort');
    expect(kubeQosClass(pod({ containers: [{ name: 'app', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }))).toBe('Guaranteed');
    expect(kubeQosClass(pod({ containers: [{ name: 'app', resources: { requests: { cpu: '1' } } }] }))).toBe('Burstable');
    expect(kubeQosClass(pod({ containers: [{ name: 'app', resources: { requests: { 'kubernetes.io/batch-cpu': '1000' } } }] }))).toBe('BestEffort');
  });

  it("gives each pod both classes: the kubelet's tier and api/'s Tidepool class", () => {
    // The classification itself is specified once, in test/api/qos.test.ts; here only that the
    // agent uses it, including for pods that only their batch requests mark offline.
    const c = [{ name: 'app' }];
    expect(resolvePodQos(pod({ containers: [{ name: 'app', resources: { requests: { 'kubernetes.io/batch-memory': '1Gi' } } }] }))).toEqual({ qosClass: 'BestEffort', tidepoolQos: 'offline' });
    expect(resolvePodQos(pod({ containers: [{ name: 'app', resources: { limits: { cpu: '2', memory: '1Gi' } } }] }))).toEqual({ qosClass: 'Guaranteed', tidepoolQos: 'online-exclusive' });
    expect(resolvePodQos(pod({ containers: c }, { type: 'flink-native-kubernetes', component: 'taskmanager' })).tidepoolQos).toBe('offline');
    expect(toPodInfo(pod({ containers: [{ name: 'app', resources: { requests: { 'kubernetes.io/batch-cpu': '1000' } } }] })).tidepoolQos).toBe('offline');
  });

  it('finds bad Tidepool input worth an Event', () => {
    expect(checkPod(pod({ containers: [{ name: 'app' }] }, { 'tidepool.dev/qos': 'batch' }))).toEqual([
      { reason: 'InvalidQosLabel', message: expect.stringContaining('tidepool.dev/qos="batch" is not one of online, online-exclusive, offline') },
    ]);
    expect(checkPod(pod({ containers: [{ name: 'app', resources: { requests: { cpu: '1500m' } } }] }, { 'tidepool.dev/qos': 'online-exclusive' }))).toEqual([
      { reason: 'InvalidExclusiveRequest', message: expect.stringContaining('rounded up to 2 CPUs') },
    ]);
    expect(checkPod(pod({ containers: [{ name: 'app' }] }, { 'tidepool.dev/qos': 'offline' }))).toEqual([]);
  });

  it('sums effective requests (max of init vs app containers, plus overhead) and limits', () => {
    const info = toPodInfo(
      pod({
        initContainers: [{ name: 'init', resources: { requests: { cpu: '3' } } }],
        containers: [
          { name: 'app', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi', 'kubernetes.io/batch-cpu': '500' } } },
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
