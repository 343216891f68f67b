import { describe, expect, it } from 'vitest';
import { Indexer, indexBy, podProjection, projectNode, projectPod, type PodSummary, type RawObject } from '../../kube/index.js';
import { JsonLineSplitter } from '../../kube/json-lines.js';

const pod: RawObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'exec-1',
    namespace: 'spark',
    uid: 'u-1',
    labels: { 'spark-role': 'executor', app: 'etl', 'pod-template-hash': 'abc', 'controller-revision-hash': 'x' },
    annotations: { big: 'x'.repeat(1000) },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'driver', uid: 'd', controller: true }],
  },
  spec: {
    nodeName: 'n1',
    priority: 100,
    initContainers: [{ name: 'init', resources: { requests: { cpu: '2', memory: '1Gi' } } }],
    containers: [
      { name: 'a', resources: { requests: { cpu: '500m', memory: '512Mi' } } },
      { name: 'b', resources: { requests: { cpu: '250m', memory: '256Mi' } } },
    ],
  },
  status: { phase: 'Running' },
};

describe('pod projection', () => {
  it('keeps what placement needs: effective requests, QoS, node, phase, chosen labels, owner', () => {
    const p = projectPod(pod);
    expect(p).toEqual({
      uid: 'u-1',
      namespace: 'spark',
      name: 'exec-1',
      node: 'n1',
      phase: 'Running',
      requests: { cpu: 2000, memory: 1024 ** 3 },
      qos: 'offline',
      kubeQos: 'Burstable',
      priority: 100,
      schedulerName: 'default-scheduler',
      terminating: false,
      labels: { 'spark-role': 'executor', app: 'etl' },
      annotations: {},
      owner: 'Pod/driver',
    } satisfies PodSummary);
  });

  it('classifies with what only the full pod shows: batch requests and an annotated Volcano level', () => {
    const batch = projectPod({
      metadata: { name: 'b', namespace: 'ns' },
      spec: { containers: [{ name: 'a', resources: { requests: { 'kubernetes.io/batch-cpu': '1000', 'kubernetes.io/batch-memory': '1Gi' } } }] },
    });
    expect(batch.qos).toBe('offline');
    expect(batch.requests).toEqual({ 'kubernetes.io/batch-cpu': 1000, 'kubernetes.io/batch-memory': 1024 ** 3 });
    const volcano = projectPod({
      metadata: { name: 'v', namespace: 'ns', annotations: { 'volcano.sh/qos-level': 'BE', big: 'x'.repeat(100) } },
      spec: { containers: [{ name: 'a' }] },
    });
    expect(volcano.qos).toBe('offline');
    expect(volcano.annotations).toEqual({ 'volcano.sh/qos-level': 'BE' });
  });

  it('keeps the labels the QoS and gang rules read by default', () => {
    const labels = {
      'tidepool.dev/qos': 'offline',
      'koordinator.sh/qosClass': 'BE',
      type: 'flink-native-kubernetes',
      component: 'taskmanager',
      'scheduling.x-k8s.io/pod-group': 'g',
      unrelated: 'dropped',
    };
    const { unrelated: _dropped, ...kept } = labels;
    expect(projectPod({ metadata: { name: 'l', namespace: 'ns', labels }, spec: { containers: [{ name: 'a' }] } }).labels).toEqual(kept);
  });

  it('keeps the labels asked for', () => {
    expect(podProjection({ labels: ['pod-template-hash'] })(pod).labels).toEqual({ 'pod-template-hash': 'abc' });
    expect(podProjection({ labels: (k) => k.endsWith('-hash') })(pod).labels).toEqual({ 'pod-template-hash': 'abc', 'controller-revision-hash': 'x' });
  });

  it('throws on a malformed quantity (the informer counts and skips such objects)', () => {
    expect(() => projectPod({ metadata: { name: 'x' }, spec: { containers: [{ name: 'a', resources: { requests: { cpu: 'lots' } } }] } })).toThrow(/lots/);
  });

  it('is far smaller than the object it came from', () => {
    expect(JSON.stringify(projectPod(pod)).length * 3).toBeLessThan(JSON.stringify(pod).length);
  });
});

describe('node projection', () => {
  it('keeps capacity, taints, readiness and topology', () => {
    const n = projectNode({
      metadata: { name: 'n1', uid: 'nu', labels: { 'topology.kubernetes.io/zone': 'z1', 'topology.kubernetes.io/region': 'r' } },
      spec: { taints: [{ key: 'virtual-kubelet.io/provider', value: 'tidepool', effect: 'NoSchedule' }] },
      status: {
        allocatable: { cpu: '15500m', memory: '60Gi', pods: '110' },
        capacity: { cpu: '16', memory: '64Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.1' }],
      },
    });
    expect(n.allocatable).toEqual({ cpu: 15500, memory: 60 * 1024 ** 3, pods: 110 });
    expect(n.ready).toBe(true);
    expect(n.unschedulable).toBe(false);
    expect(n.zone).toBe('z1');
    expect(n.region).toBe('r');
    expect(n.address).toBe('10.0.0.1');
    expect(n.taints).toEqual([{ key: 'virtual-kubelet.io/provider', value: 'tidepool', effect: 'NoSchedule' }]);
  });
});

describe('indexer', () => {
  it('keeps indices in step with sets and deletes', () => {
    const ix = new Indexer<{ uid: string; node: string; namespace: string; labels: Record<string, string> }>({
      node: indexBy.node,
      namespace: indexBy.namespace,
      app: indexBy.label('app'),
    });
    ix.set('a/p1', { rv: '1', uid: '1', obj: { uid: '1', node: 'n1', namespace: 'a', labels: { app: 'web' } } });
    ix.set('a/p2', { rv: '1', uid: '2', obj: { uid: '2', node: 'n1', namespace: 'a', labels: {} } });
    ix.set('b/p3', { rv: '1', uid: '3', obj: { uid: '3', node: '', namespace: 'b', labels: { app: 'web' } } });
    expect(ix.indexKeys('node', 'n1').sort()).toEqual(['a/p1', 'a/p2']);
    expect(ix.indexKeys('app', 'web').sort()).toEqual(['a/p1', 'b/p3']);
    ix.set('a/p1', { rv: '2', uid: '1', obj: { uid: '1', node: 'n2', namespace: 'a', labels: { app: 'db' } } });
    expect(ix.indexKeys('node', 'n1')).toEqual(['a/p2']);
    expect(ix.indexKeys('node', 'n2')).toEqual(['a/p1']);
    expect(ix.indexKeys('app', 'web')).toEqual(['b/p3']);
    ix.delete('a/p2');
    expect(ix.indexValues('node')).toEqual(['n2']);
    expect(ix.indexValues('namespace').sort()).toEqual(['a', 'b']);
    expect(() => ix.byIndex('zone', 'z')).toThrow(/no index "zone"/);
  });
});

describe('watch line splitting', () => {
  it('splits events across chunk boundaries, even inside a multi-byte character', () => {
    const lines: string[] = [];
    const s = new JsonLineSplitter((l) => lines.push(l));
    const text = '{"type":"ADDED","object":{"n":"é"}}\n{"type":"BOOKMARK"}\n';
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of é
    s.push(bytes.subarray(0, cut));
    s.push(bytes.subarray(cut, cut + 20));
    s.push(bytes.subarray(cut + 20));
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ type: 'ADDED', object: { n: 'é' } }, { type: 'BOOKMARK' }]);
    expect(s.end()).toBe('');
  });
});
