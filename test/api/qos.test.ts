import { describe, expect, it } from 'vitest';
import { qosClassOf, qosDecisionOf, type QosPod, type TidepoolQos } from '../../api/index.js';
import type { ContainerLike } from '../../kube/index.js';

function container(name: string, requests?: Record<string, string>, limits?: Record<string, string>, restartPolicy?: string): ContainerLike {
  return { name, resources: { ...(requests && { requests }), ...(limits && { limits }) }, ...(restartPolicy && { restartPolicy }) };
}

function pod(spec: QosPod['spec'], labels?: Record<string, string>, annotations?: Record<string, string>): QosPod {
  return { metadata: { name: 'p', namespace: 'ns', ...(labels && { labels }), ...(annotations && { annotations }) }, spec };
}

const guaranteed = (cpu: string, memory: string) => container('app', { cpu, memory }, { cpu, memory });
const plain = () => ({ containers: [container('a')] });
const batch = () => ({ containers: [container('a', { 'kubernetes.io/batch-cpu': '1000', 'kubernetes.io/batch-memory': '1Gi' })] });
const flink = (component: string) => ({ type: 'flink-native-kubernetes', app: 'wordcount', component });

describe('qosClassOf: the one rule every component classifies a pod by', () => {
  it.each<[string, QosPod, TidepoolQos]>([
    // 1. the explicit label
    ['a valid tidepool.dev/qos label wins over everything', pod({ containers: [guaranteed('2', '1Gi')] }, { 'tidepool.dev/qos': 'offline', 'spark-role': 'driver' }), 'offline'],
    ['the label can ask for exclusive cores', pod(plain(), { 'tidepool.dev/qos': 'online-exclusive' }), 'online-exclusive'],
    ['the label wins over batch requests', pod(batch(), { 'tidepool.dev/qos': 'online' }), 'online'],
    ['an invalid label is ignored', pod(plain(), { 'tidepool.dev/qos': 'batch', 'spark-role': 'executor' }), 'offline'],
    // 2. batch resources
    ['a pod requesting batch-cpu is offline', pod({ containers: [container('a', { 'kubernetes.io/batch-cpu': '500' })] }), 'offline'],
    ['a pod whose batch-memory limit defaults its request is offline', pod({ containers: [container('a', undefined, { 'kubernetes.io/batch-memory': '1Gi' })] }), 'offline'],
    ['a batch sidecar makes the pod offline', pod({ initContainers: [container('s', { 'kubernetes.io/batch-cpu': '100' }, undefined, 'Always')], containers: [container('a')] }), 'offline'],
    ['batch requests win over the driver role', pod(batch(), { 'spark-role': 'driver' }), 'offline'],
    ['batch requests win over a Koordinator LS label', pod(batch(), { 'koordinator.sh/qosClass': 'LS' }), 'offline'],
    ['a zero batch request asks for nothing', pod({ containers: [container('a', { 'kubernetes.io/batch-cpu': '0' })] }), 'online'],
    ["Tidepool's old resource names are not batch resources", pod({ containers: [container('a', { 'tidepool.dev/batch-cpu': '1000' })] }), 'online'],
    // 3. priority class
    ['priority class tidepool-offline makes a pod offline', pod({ priorityClassName: 'tidepool-offline', containers: [container('a')] }, { 'spark-role': 'driver' }), 'offline'],
    ['priority class tidepool-online alone decides nothing', pod({ priorityClassName: 'tidepool-online', containers: [container('a')] }, { 'spark-role': 'executor' }), 'offline'],
    // 4. other systems' labels
    ['Koordinator BE is offline', pod(plain(), { 'koordinator.sh/qosClass': 'BE' }), 'offline'],
    ['Koordinator LS is online, even on a Spark executor', pod(plain(), { 'koordinator.sh/qosClass': 'LS', 'spark-role': 'executor' }), 'online'],
    ['Koordinator LSR with whole cores is online-exclusive', pod({ containers: [guaranteed('4', '1Gi')] }, { 'koordinator.sh/qosClass': 'LSR' }), 'online-exclusive'],
    ['an unknown Koordinator value is ignored', pod(plain(), { 'koordinator.sh/qosClass': 'be', 'spark-role': 'executor' }), 'offline'],
    ['Volcano BE (annotation) is offline', pod(plain(), undefined, { 'volcano.sh/qos-level': 'BE' }), 'offline'],
    ['Volcano BE as a label is offline', pod(plain(), { 'volcano.sh/qos-level': 'BE' }), 'offline'],
    ['Volcano negative levels are offline', pod(plain(), undefined, { 'volcano.sh/qos-level': '-1' }), 'offline'],
    ['Volcano LC is online', pod(plain(), { 'component': 'taskmanager', type: 'flink-native-kubernetes' }, { 'volcano.sh/qos-level': 'LC' }), 'online'],
    ['Volcano level 0 is online', pod(plain(), { 'spark-role': 'executor' }, { 'volcano.sh/qos-level': '0' }), 'online'],
    ['an unknown Volcano level is ignored', pod(plain(), { 'spark-role': 'executor' }, { 'volcano.sh/qos-level': 'high' }), 'offline'],
    // 5. Spark and Flink roles
    ['Spark executors are offline', pod({ containers: [guaranteed('2', '1Gi')] }, { 'spark-role': 'executor' }), 'offline'],
    ['Spark drivers are online even with whole cores', pod({ containers: [guaranteed('2', '1Gi')] }, { 'spark-role': 'driver' }), 'online'],
    ['Flink native taskmanagers are offline', pod(plain(), flink('taskmanager')), 'offline'],
    ['Flink native jobmanagers are online', pod({ containers: [guaranteed('2', '1Gi')] }, flink('jobmanager')), 'online'],
    ['component=taskmanager without the Flink native type is not Flink', pod(plain(), { component: 'taskmanager' }), 'online'],
    // 6. online-exclusive
    ['Guaranteed with whole CPUs is online-exclusive', pod({ containers: [guaranteed('2', '1Gi'), guaranteed('1', '1Gi')] }), 'online-exclusive'],
    ['Guaranteed from limits alone (requests default to limits)', pod({ containers: [container('a', undefined, { cpu: '2', memory: '1Gi' })] }), 'online-exclusive'],
    ['Guaranteed with pod-level whole CPUs is online-exclusive', pod({ resources: { requests: { cpu: '2', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } }, containers: [container('a')] }), 'online-exclusive'],
    ['Guaranteed with a fractional CPU is shared', pod({ containers: [guaranteed('2', '1Gi'), guaranteed('500m', '1Gi')] }), 'online'],
    ['Guaranteed with a fractional sidecar is shared', pod({ initContainers: [container('proxy', { cpu: '100m', memory: '1Gi' }, { cpu: '100m', memory: '1Gi' }, 'Always')], containers: [guaranteed('2', '1Gi')] }), 'online'],
    ['a fractional one-shot init container does not matter', pod({ initContainers: [container('init', { cpu: '100m', memory: '1Gi' }, { cpu: '100m', memory: '1Gi' })], containers: [guaranteed('2', '1Gi')] }), 'online-exclusive'],
    ['Burstable with whole CPUs is online', pod({ containers: [container('a', { cpu: '2' })] }), 'online'],
    ['status.qosClass set by the API server is believed', { ...pod({ containers: [container('a', { cpu: '2', memory: '1Gi' })] }), status: { qosClass: 'Guaranteed' } }, 'online-exclusive'],
    // 7. the rest
    ['everything else is online', pod(plain()), 'online'],
    ['a pod with no spec at all is online', { metadata: { name: 'empty' } }, 'online'],
  ])('%s', (_why, p, want) => {
    expect(qosClassOf(p)).toBe(want);
  });

  it('says why, in terms the user can find on the pod', () => {
    expect(qosDecisionOf(pod(batch())).why).toBe('it requests batch resources');
    expect(qosDecisionOf(pod(plain(), undefined, { 'volcano.sh/qos-level': 'BE' })).why).toBe('annotation volcano.sh/qos-level=BE');
    expect(qosDecisionOf(pod(plain(), flink('taskmanager'))).why).toBe('a Flink taskmanager');
    expect(qosDecisionOf(pod({ containers: [guaranteed('2', '1Gi')] }, { 'koordinator.sh/qosClass': 'LSE' })).why).toBe(
      'label koordinator.sh/qosClass=LSE, Guaranteed with whole CPUs',
    );
  });

  it('uses figures the caller already has instead of computing them again', () => {
    // The figures win: a caller that passed them must see the class they imply.
    expect(qosClassOf(pod(plain()), { requests: { 'kubernetes.io/batch-cpu': 1 } })).toBe('offline');
    expect(qosClassOf(pod({ containers: [container('a', { cpu: '2' })] }), { kubeQos: 'Guaranteed' })).toBe('online-exclusive');
  });

  it('names the pod and the field when a quantity it reads is malformed', () => {
    expect(() => qosClassOf(pod({ containers: [container('app', { cpu: '2 cores' })] }))).toThrow(/pod ns\/p container app requests, resource cpu/);
  });
});
