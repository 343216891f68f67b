import { describe, expect, it } from 'vitest';
import { appRefOf, gangOf, isColocationNamespace, isVirtualNodeLabels, requestsBatchResources, workloadRoleOf } from '../../api/index.js';

const pod = (labels: Record<string, string>, annotations?: Record<string, string>, namespace = 'jobs') => ({ metadata: { namespace, labels, ...(annotations && { annotations }) } });
const flink = { type: 'flink-native-kubernetes', app: 'wordcount' };

describe('Spark and Flink roles and apps', () => {
  it.each<[string, Record<string, string>, ReturnType<typeof appRefOf>]>([
    ['a Spark driver leads its app', { 'spark-role': 'driver', 'spark-app-selector': 'spark-1' }, { key: 'spark:jobs/spark-1', role: 'leader' }],
    ['a Spark executor works for the same app', { 'spark-role': 'executor', 'spark-app-selector': 'spark-1' }, { key: 'spark:jobs/spark-1', role: 'worker' }],
    ['a Flink native jobmanager leads its cluster', { ...flink, component: 'jobmanager' }, { key: 'flink:jobs/wordcount', role: 'leader' }],
    ['a Flink native taskmanager works for it', { ...flink, component: 'taskmanager' }, { key: 'flink:jobs/wordcount', role: 'worker' }],
    ['component=taskmanager without type=flink-native-kubernetes is no Flink pod', { app: 'wordcount', component: 'taskmanager' }, undefined],
    ['a role without its app label names no app', { 'spark-role': 'executor' }, undefined],
    ['an unknown Spark role is no role', { 'spark-role': 'shuffle', 'spark-app-selector': 'spark-1' }, undefined],
    ['any other pod belongs to no app', { app: 'web' }, undefined],
  ])('%s', (_why, labels, want) => {
    expect(appRefOf(pod(labels))).toEqual(want);
  });

  it('reads the role from labels alone', () => {
    expect(workloadRoleOf({ 'spark-role': 'executor' })).toBe('worker');
    expect(workloadRoleOf({ ...flink, component: 'jobmanager' })).toBe('leader');
    expect(workloadRoleOf(undefined)).toBeUndefined();
  });

  it("keys apps by namespace: the same app id in two namespaces is two apps", () => {
    const labels = { 'spark-role': 'driver', 'spark-app-selector': 'spark-1' };
    expect(appRefOf(pod(labels, undefined, 'a'))!.key).not.toBe(appRefOf(pod(labels, undefined, 'b'))!.key);
    expect(appRefOf({ metadata: { labels } })!.key).toBe('spark:default/spark-1');
  });
});

describe('gangOf', () => {
  it.each<[string, ReturnType<typeof pod>, ReturnType<typeof gangOf>]>([
    ['a PodGroup label', pod({ 'scheduling.x-k8s.io/pod-group': 'pg' }), { key: 'jobs/pg', name: 'pg', source: 'pod-group' }],
    ["Volcano's group annotation", pod({}, { 'scheduling.k8s.io/group-name': 'vg' }), { key: 'jobs/vg', name: 'vg', source: 'volcano' }],
    ["YuniKorn's app id as a label", pod({ 'yunikorn.apache.org/app-id': 'y1' }), { key: 'jobs/y1', name: 'y1', source: 'yunikorn' }],
    ["YuniKorn's app id as an annotation", pod({}, { 'yunikorn.apache.org/app-id': 'y2' }), { key: 'jobs/y2', name: 'y2', source: 'yunikorn' }],
    ["a Spark app's pods, when nothing else names a group", pod({ 'spark-app-selector': 'spark-1', 'spark-role': 'executor' }), { key: 'jobs/spark-1', name: 'spark-1', source: 'spark' }],
    ['the PodGroup wins over the Spark fallback', pod({ 'scheduling.x-k8s.io/pod-group': 'pg', 'spark-app-selector': 'spark-1' }), { key: 'jobs/pg', name: 'pg', source: 'pod-group' }],
    ['no convention, no gang', pod({ app: 'web' }), undefined],
  ])('%s', (_why, p, want) => {
    expect(gangOf(p)).toEqual(want);
  });
});

describe('small rules', () => {
  it('batch resources are asked for only by a positive amount', () => {
    expect(requestsBatchResources({ 'kubernetes.io/batch-cpu': 500 })).toBe(true);
    expect(requestsBatchResources({ 'kubernetes.io/batch-memory': 1 })).toBe(true);
    expect(requestsBatchResources({ 'kubernetes.io/batch-cpu': 0, cpu: 1000 })).toBe(false);
  });

  it('a namespace opts into colocation with tidepool.dev/colocation=enabled only', () => {
    expect(isColocationNamespace({ 'tidepool.dev/colocation': 'enabled' })).toBe(true);
    expect(isColocationNamespace({ 'tidepool.dev/colocation': 'true' })).toBe(false);
    expect(isColocationNamespace(undefined)).toBe(false);
  });

  it('a virtual node is known by the virtual-kubelet type label', () => {
    expect(isVirtualNodeLabels({ type: 'virtual-kubelet' })).toBe(true);
    expect(isVirtualNodeLabels({ type: 'flink-native-kubernetes' })).toBe(false);
  });
});
