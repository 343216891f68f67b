// mutatePod and answerReview as specifications: which pods become offline, what each
// mutator plans, and that nothing a pod says (or our own failure) ever blocks it.
import { describe, expect, it } from 'vitest';
import {
  answerReview,
  OFFLINE_MUTATORS,
  mutatePod,
  parseReview,
  ReviewError,
  type PodMutator,
} from '../../../colocation/webhook/index.js';

function pod(opts: { labels?: Record<string, string>; annotations?: Record<string, string>; spec?: Record<string, unknown>; resources?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', ...(opts.labels ? { labels: opts.labels } : {}), ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      containers: [{ name: 'main', image: 'busybox', resources: opts.resources ?? { requests: { cpu: '100m', memory: '64Mi' } } }],
      schedulerName: 'default-scheduler',
      ...opts.spec,
    },
  };
}

const EXECUTOR = { 'spark-role': 'executor' };
const ops = (m: { patch: Array<{ path: string }> }): string[] => m.patch.map((o) => o.path);

describe('which pods are offline', () => {
  it.each([
    ['tidepool.dev/qos=offline', { labels: { 'tidepool.dev/qos': 'offline' } }],
    ['a Spark executor', { labels: EXECUTOR }],
    ['a Flink native taskmanager', { labels: { component: 'taskmanager', type: 'flink-native-kubernetes' } }],
    ['Koordinator BE', { labels: { 'koordinator.sh/qosClass': 'BE' } }],
    ['Volcano BE as a label', { labels: { 'volcano.sh/qos-level': 'BE' } }],
    ['Volcano level -1 as an annotation', { annotations: { 'volcano.sh/qos-level': '-1' } }],
  ])('%s is mutated', (_what, opts) => {
    const m = mutatePod(pod(opts));
    expect(m.outcome).toBe('mutated');
    expect(ops(m)).toContain('/spec/schedulerName');
  });

  it.each([
    ['a plain pod', {}],
    ['a Spark driver', { labels: { 'spark-role': 'driver' } }],
    ['a Flink jobmanager', { labels: { component: 'jobmanager', type: 'flink-native-kubernetes' } }],
    ['a taskmanager that is not Flink native', { labels: { component: 'taskmanager' } }],
    ['an executor whose owner says online', { labels: { ...EXECUTOR, 'tidepool.dev/qos': 'online' } }],
    ['Koordinator LS', { labels: { 'koordinator.sh/qosClass': 'LS' } }],
  ])('%s is left alone', (_what, opts) => {
    expect(mutatePod(pod(opts))).toMatchObject({ patch: [], warnings: [], outcome: 'online' });
  });

  it('an opted-in namespace makes its pods offline, overriding an online label with a warning', () => {
    const ns = { 'tidepool.dev/colocation': 'enabled' };
    const plain = mutatePod(pod(), ns);
    expect(plain.outcome).toBe('mutated');
    expect(plain.reason).toBe('its namespace is labelled tidepool.dev/colocation=enabled');
    const online = mutatePod(pod({ labels: { 'tidepool.dev/qos': 'online' } }), ns);
    expect(online.patch).toContainEqual({ op: 'add', path: '/metadata/labels/tidepool.dev~1qos', value: 'offline' });
    expect(online.warnings).toEqual(['tidepool: label tidepool.dev/qos=online replaced by tidepool.dev/qos=offline']);
  });

  it('but Spark drivers and Flink jobmanagers stay online there: losing one loses the job', () => {
    const ns = { 'tidepool.dev/colocation': 'enabled' };
    expect(mutatePod(pod({ labels: { 'spark-role': 'driver' } }), ns).outcome).toBe('online');
    expect(mutatePod(pod({ labels: { component: 'jobmanager', type: 'flink-native-kubernetes' } }), ns).outcome).toBe('online');
  });

  it('another value of the namespace label opts nothing in', () => {
    expect(mutatePod(pod(), { 'tidepool.dev/colocation': 'disabled' }).outcome).toBe('online');
  });
});

describe('batch resources', () => {
  const requests = (resources: Record<string, unknown>): unknown => mutatePod(pod({ labels: EXECUTOR, resources })).patch[0];

  it('cpu becomes integer millicores and memory bytes, rounded up as kube rounds', () => {
    expect(requests({ requests: { cpu: '100.5m', memory: '1.5Gi' } })).toEqual({
      op: 'replace',
      path: '/spec/containers/0/resources/requests',
      value: { 'kubernetes.io/batch-cpu': '101', 'kubernetes.io/batch-memory': '1610612736' },
    });
    expect(requests({ requests: { cpu: 2, memory: '100m' } })).toMatchObject({ value: { 'kubernetes.io/batch-cpu': '2000', 'kubernetes.io/batch-memory': '1' } });
    expect(requests({ requests: { cpu: '0.25', memory: '1e3' } })).toMatchObject({ value: { 'kubernetes.io/batch-cpu': '250', 'kubernetes.io/batch-memory': '1000' } });
  });

  it('other resources stay where they are', () => {
    expect(requests({ requests: { cpu: '1', 'nvidia.com/gpu': '1', 'ephemeral-storage': '1Gi' } })).toMatchObject({
      value: { 'nvidia.com/gpu': '1', 'ephemeral-storage': '1Gi', 'kubernetes.io/batch-cpu': '1000' },
    });
  });

  it('a container without cpu or memory is not touched; a pod without any still gets the rest', () => {
    const m = mutatePod(pod({ labels: EXECUTOR, resources: {} }));
    expect(ops(m)).toEqual(['/spec/priorityClassName', '/spec/schedulerName', '/metadata/labels/tidepool.dev~1qos']);
  });

  it('a list with both cpu and batch-cpu keeps the batch value and says so', () => {
    const m = mutatePod(pod({ labels: EXECUTOR, resources: { requests: { cpu: '1', 'kubernetes.io/batch-cpu': '500' } } }));
    expect(m.patch[0]).toMatchObject({ value: { 'kubernetes.io/batch-cpu': '500' } });
    expect(m.warnings).toEqual(['tidepool: container "main" requests has both cpu and kubernetes.io/batch-cpu; kept kubernetes.io/batch-cpu=500 and dropped cpu']);
  });

  it('pod-level resources have no batch equivalent: unchanged, with a warning', () => {
    const m = mutatePod(pod({ labels: EXECUTOR, spec: { resources: { requests: { cpu: '1' } } } }));
    expect(m).toEqual({
      patch: [],
      warnings: ['tidepool: pod-level resources (spec.resources) have no batch equivalent; pod admitted unchanged'],
      outcome: 'unchanged',
      reason: 'a Spark executor',
    });
  });

  it.each([
    [{ requests: { cpu: '-1' } }, 'container "main" requests.cpu "-1" is negative'],
    [{ limits: { memory: '1GB' } }, 'container "main" limits.memory "1GB" is not a valid quantity'],
    [{ requests: { memory: true } }, 'container "main" requests.memory true is not a quantity'],
  ])('%j: unchanged with a warning naming the field', (resources, message) => {
    const m = mutatePod(pod({ labels: { 'tidepool.dev/qos': 'offline' }, resources }));
    expect(m.patch).toEqual([]);
    expect(m.outcome).toBe('unchanged');
    expect(m.warnings[0]).toContain(message);
    expect(m.warnings[0]).toMatch(/pod admitted unchanged$/);
  });

  it('an executor whose quantities do not parse is admitted unchanged too (the classifier reads them)', () => {
    const m = mutatePod(pod({ labels: EXECUTOR, resources: { requests: { cpu: 'lots' } } }));
    expect(m.patch).toEqual([]);
    expect(m.warnings[0]).toMatch(/^tidepool: cannot read the pod's resources: .*"lots".*; admitted unchanged$/);
  });
});

describe('priority class and scheduler', () => {
  it('drops the resolved priority and preemption policy with the old class, and names a replaced class', () => {
    const m = mutatePod(pod({ labels: EXECUTOR, spec: { priorityClassName: 'batch-low', priority: 100, preemptionPolicy: 'PreemptLowerPriority' } }));
    expect(m.patch.slice(1, 4)).toEqual([
      { op: 'add', path: '/spec/priorityClassName', value: 'tidepool-offline' },
      { op: 'remove', path: '/spec/priority' },
      { op: 'remove', path: '/spec/preemptionPolicy' },
    ]);
    expect(m.warnings).toContain('tidepool: priority class batch-low replaced by tidepool-offline');
  });

  it('a pod with no schedulerName gets one without a warning; default-scheduler is replaced silently', () => {
    const none = pod({ labels: EXECUTOR });
    delete (none['spec'] as Record<string, unknown>)['schedulerName'];
    expect(mutatePod(none).warnings).toEqual([]);
    expect(mutatePod(pod({ labels: EXECUTOR })).warnings).toEqual([]);
  });

  it('a pod already bound to a node is left as it is, with a warning', () => {
    const m = mutatePod(pod({ labels: EXECUTOR, spec: { nodeName: 'node-1' } }));
    expect(m.patch).toEqual([]);
    expect(m.warnings).toEqual(['tidepool: pod is offline (a Spark executor) but already bound to node node-1; admitted unchanged']);
  });
});

describe('mutators are a list', () => {
  it('a list without scheduler-name leaves the scheduler alone', () => {
    const m = mutatePod(pod({ labels: EXECUTOR }), undefined, OFFLINE_MUTATORS.filter((x) => x.name !== 'scheduler-name'));
    expect(ops(m)).not.toContain('/spec/schedulerName');
    expect(ops(m)).toContain('/spec/priorityClassName');
  });

  it('a mutator that throws does not block the pod: the review admits it unchanged with a warning', () => {
    const broken: PodMutator = {
      name: 'broken',
      plan() {
        throw new Error('bug in a plugin');
      },
    };
    const a = answerReview(parseReview(review(pod({ labels: EXECUTOR }))), undefined, [broken]);
    expect(a.outcome).toBe('error');
    expect(a.review).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'u-1', allowed: true, warnings: ['tidepool: the colocation webhook failed on this pod (bug in a plugin); admitted unchanged'] },
    });
  });
});

function review(object: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'ns', operation: 'CREATE', object, ...over },
  };
}

describe('reviews', () => {
  it('an UPDATE is admitted as it is, without warnings', () => {
    const a = answerReview(parseReview(review(pod({ labels: EXECUTOR }), { operation: 'UPDATE' })));
    expect(a.outcome).toBe('not-a-create');
    expect(a.review['response']).toEqual({ uid: 'u-1', allowed: true });
  });

  it('a pods subresource is not a pod', () => {
    const a = answerReview(parseReview(review({ kind: 'Binding' }, { subResource: 'binding', kind: { group: '', version: 'v1', kind: 'Binding' } })));
    expect(a.outcome).toBe('not-a-pod');
  });

  it('an object that is not a pod it can read is admitted unchanged with a warning', () => {
    for (const [object, why] of [
      ['text', 'the object is not a JSON object'],
      [{ metadata: {} }, 'the pod has no spec'],
      [{ metadata: { labels: { a: 1 } }, spec: {} }, 'metadata.labels is not a map of strings'],
      [{ metadata: {}, spec: { containers: {} } }, 'spec.containers is not a list of containers'],
      [{ metadata: {}, spec: { containers: [{ name: 'c', resources: { requests: 'lots' } }] } }, 'container "c" has malformed resources'],
    ] as const) {
      const a = answerReview(parseReview(review(object)));
      expect(a.outcome).toBe('unchanged');
      expect(a.warnings).toEqual([`tidepool: cannot read the pod: ${why}; admitted unchanged`]);
    }
  });

  it.each([
    [null, 'the body must be an AdmissionReview JSON object'],
    [{ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview' }, 'expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got "admission.k8s.io/v1beta1" and "AdmissionReview"'],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'the AdmissionReview has no request'],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: '' } }, 'request.uid must be a non-empty string'],
  ])('a malformed review is refused: %j', (body, message) => {
    expect(() => parseReview(body)).toThrow(new ReviewError(message));
  });
});
