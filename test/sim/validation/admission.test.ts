// Admission as a client sees it: fieldValidation Strict/Warn/Ignore, pruning, type errors,
// defaulting and 422 Invalid causes, worded like kube-apiserver.
import { describe, expect, it } from 'vitest';
import { admitCreate, admitUpdate, type AdmissionOptions } from '../../../sim/admission.js';
import { ApiError } from '../../../sim/errors.js';
import type { KubeObject } from '../../../sim/object.js';
import { ResourceRegistry } from '../../../sim/resources.js';
import { crdResourceTypes } from '../../../sim/kinds.js';

const reg = new ResourceRegistry();
const rt = (group: string, resource: string, version = 'v1') => reg.lookup(group, version, resource)!;
const PODS = rt('', 'pods');

function pod(extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...extra },
  };
}

function admitError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

const http = (o: AdmissionOptions = {}): AdmissionOptions => ({ rawBody: '', ...o });

describe('fieldValidation', () => {
  it('Strict rejects unknown fields with 400 and kube\'s strict decoding message', () => {
    const p = pod({ foo: 1 }, { imagePullPolic: 'Always' });
    const e = admitError(() => admitCreate(PODS, p, http({ fieldValidation: 'Strict' })));
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePullPolic", unknown field "spec.foo"',
    );
  });

  it('Strict reports duplicate fields found in the raw body', () => {
    const raw = '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","name":"web"},"spec":{"containers":[{"name":"a","image":"x","image":"y"}]}}';
    const p = JSON.parse(raw) as KubeObject;
    const e = admitError(() => admitCreate(PODS, p, { rawBody: raw, fieldValidation: 'Strict' }));
    expect(e.message).toContain('strict decoding error: duplicate field "metadata.name", duplicate field "spec.containers[0].image"');
  });

  it('Warn (the default for clients) prunes unknown fields and returns them as warnings', () => {
    const p = pod({ foo: 1 });
    const warnings = admitCreate(PODS, p, http());
    expect(warnings).toEqual(['unknown field "spec.foo"']);
    expect((p['spec'] as Record<string, unknown>)['foo']).toBeUndefined();
  });

  it('Ignore prunes silently', () => {
    const p = pod({ foo: 1 });
    expect(admitCreate(PODS, p, http({ fieldValidation: 'Ignore' }))).toEqual([]);
    expect((p['spec'] as Record<string, unknown>)['foo']).toBeUndefined();
  });

  it('in-process writes are trusted: nothing is pruned', () => {
    const p = pod({ foo: 1 });
    expect(admitCreate(PODS, p, {})).toEqual([]);
    expect((p['spec'] as Record<string, unknown>)['foo']).toBe(1);
  });

  it('a string where an int belongs is a 400 decode error naming the Go field', () => {
    const p = pod({}, { ports: [{ containerPort: '80' }] });
    const e = admitError(() => admitCreate(PODS, p, http()));
    expect(e.code).toBe(400);
    expect(e.message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    );
  });

  it('a malformed quantity is a 400 with the quantity regular expression', () => {
    const p = pod({}, { resources: { requests: { cpu: 'lots' } } });
    const e = admitError(() => admitCreate(PODS, p, http()));
    expect(e.code).toBe(400);
    expect(e.message).toContain("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });

  it('quantities are stored in canonical form', () => {
    const p = pod({}, { resources: { requests: { cpu: '0.5', memory: 1048576 } } });
    admitCreate(PODS, p, http());
    const c = ((p['spec'] as Record<string, unknown>)['containers'] as Array<Record<string, Record<string, Record<string, string>>>>)[0]!;
    expect(c['resources']!['requests']).toEqual({ cpu: '500m', memory: '1048576' });
  });
});

describe('pod defaulting', () => {
  it('fills in what kube-apiserver fills in', () => {
    const p = pod({}, { ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1', memory: '1Gi' } } });
    admitCreate(PODS, p, {});
    const spec = p['spec'] as Record<string, unknown>;
    expect(spec).toMatchObject({
      schedulerName: 'default-scheduler',
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
    });
    // preemptionPolicy comes from Priority admission (the pod hook), not from defaulting.
    expect(spec['preemptionPolicy']).toBeUndefined();
    const c = (spec['containers'] as Array<Record<string, unknown>>)[0]!;
    expect(c).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } },
    });
    expect(spec['tolerations']).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });

  it('pulls :latest and untagged images Always, tagged and digested ones IfNotPresent', () => {
    const cases: Array<[string, string]> = [
      ['nginx', 'Always'],
      ['nginx:latest', 'Always'],
      ['registry:5000/team/app', 'Always'],
      ['registry:5000/team/app:v2', 'IfNotPresent'],
      ['nginx@sha256:abc', 'IfNotPresent'],
    ];
    for (const [image, policy] of cases) {
      const p = pod({}, { image });
      admitCreate(PODS, p, {});
      expect(((p['spec'] as Record<string, unknown>)['containers'] as Array<Record<string, unknown>>)[0]!['imagePullPolicy'], image).toBe(policy);
    }
  });

  it('keeps a toleration that already covers not-ready', () => {
    const p = pod({ tolerations: [{ operator: 'Exists' }] });
    admitCreate(PODS, p, {});
    expect((p['spec'] as Record<string, unknown>)['tolerations']).toEqual([{ operator: 'Exists' }]);
    // A container without resources shows `resources: {}`, as kube serializes the struct.
    expect(((p['spec'] as Record<string, unknown>)['containers'] as Array<Record<string, unknown>>)[0]!['resources']).toEqual({});
  });
});

describe('pod validation', () => {
  it('reports every field error in one 422 with kube\'s wording', () => {
    const p: KubeObject = {
      metadata: { name: 'Web_1' },
      spec: {
        restartPolicy: 'Sometimes',
        containers: [
          { name: 'app', image: '' },
          { name: 'app', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } },
        ],
      },
    };
    const e = admitError(() => admitCreate(PODS, p, {}));
    expect(e.code).toBe(422);
    expect(e.reason).toBe('Invalid');
    const causes = e.details?.causes ?? [];
    const byField = Object.fromEntries(causes.map((c) => [c.field, c.message]));
    expect(byField['metadata.name']).toMatch(/^Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of/);
    expect(byField['spec.containers[0].image']).toBe('Required value');
    expect(byField['spec.containers[1].name']).toBe('Duplicate value: "app"');
    expect(byField['spec.containers[1].resources.requests[cpu]']).toBe('Invalid value: "2": must be less than or equal to cpu limit of 1');
    expect(byField['spec.restartPolicy']).toBe('Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
    expect(e.message).toMatch(/^Pod "Web_1" is invalid: \[metadata\.name: Invalid value/);
  });

  it('rejects an unparsable quantity written in-process (clients get the 400 decode error first)', () => {
    const p = pod({}, { resources: { limits: { memory: 'lots' } } });
    const e = admitError(() => admitCreate(PODS, p, {}));
    expect(e.code).toBe(422);
    expect(e.details?.causes?.[0]).toMatchObject({
      field: 'spec.containers[0].resources.limits[memory]',
      message: expect.stringMatching(/^Invalid value: "lots": quantities must match the regular expression/) as unknown,
    });
  });

  it('checks probes, env names, container restart policies and volume sources', () => {
    const p: KubeObject = {
      metadata: { name: 'p' },
      spec: {
        volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }],
        initContainers: [
          { name: 'sidecar', image: 'x', restartPolicy: 'Always', readinessProbe: { exec: { command: ['true'] } } },
          { name: 'setup', image: 'x', restartPolicy: 'OnFailure' },
        ],
        containers: [
          {
            name: 'app',
            image: 'x',
            restartPolicy: 'Always',
            env: [{ name: 'A=B', value: '1' }, { name: 'OK_1.x', value: '2' }],
            livenessProbe: { successThreshold: 2 },
            readinessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } },
          },
        ],
      },
    };
    const e = admitError(() => admitCreate(PODS, p, {}));
    expect(e.details?.causes?.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type',
      'spec.initContainers[1].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
      'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
      'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
      'spec.containers[0].livenessProbe: Required value: must specify a handler type',
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
    ]);
  });

  it('requires containers', () => {
    const e = admitError(() => admitCreate(PODS, { metadata: { name: 'p' }, spec: {} }, {}));
    expect(e.message).toBe('Pod "p" is invalid: spec.containers: Required value');
  });

  it('allows image, activeDeadlineSeconds and added tolerations to change, nothing else', () => {
    const old = pod();
    admitCreate(PODS, old, {});
    const ok = structuredClone(old);
    const spec = ok['spec'] as Record<string, unknown>;
    (spec['containers'] as Array<Record<string, unknown>>)[0]!['image'] = 'nginx:1.28';
    spec['activeDeadlineSeconds'] = 60;
    (spec['tolerations'] as unknown[]).push({ key: 'k', operator: 'Exists', effect: 'NoSchedule' });
    expect(admitUpdate(PODS, ok, old, http())).toEqual([]);

    const bad = structuredClone(old);
    (bad['spec'] as Record<string, unknown>)['restartPolicy'] = 'Never';
    const e = admitError(() => admitUpdate(PODS, bad, old, http()));
    expect(e.code).toBe(422);
    expect(e.details?.causes?.[0]).toMatchObject({ field: 'spec', reason: 'FieldValueForbidden' });
    expect(e.message).toContain('Forbidden: pod updates may not change fields other than `spec.containers[*].image`');

    const removed = structuredClone(old);
    (removed['spec'] as Record<string, unknown>)['tolerations'] = [];
    expect(() => admitUpdate(PODS, removed, old, http())).toThrow(/pod updates may not change/);
  });

  it('a client update of a pod written in-process with non-canonical quantities is not a spec change', () => {
    const old = pod({}, { resources: { requests: { cpu: '0.5' } } });
    admitCreate(PODS, old, {});
    const next = structuredClone(old);
    next.metadata.labels = { a: 'b' };
    expect(admitUpdate(PODS, next, old, http())).toEqual([]);
    const c = ((next['spec'] as Record<string, unknown>)['containers'] as Array<Record<string, Record<string, Record<string, string>>>>)[0]!;
    expect(c['resources']!['requests']!['cpu']).toBe('500m');
  });

  it('status writes are checked for metadata only', () => {
    const old = pod();
    admitCreate(PODS, old, {});
    const next = structuredClone(old);
    next['status'] = { phase: 'Running' };
    expect(admitUpdate(PODS, next, old, http({ subresource: 'status' }))).toEqual([]);
  });

  it('lets in-process binding set spec.nodeName', () => {
    const old = pod();
    admitCreate(PODS, old, {});
    const bound = structuredClone(old);
    (bound['spec'] as Record<string, unknown>)['nodeName'] = 'node-1';
    expect(admitUpdate(PODS, bound, old, {})).toEqual([]);
    expect(() => admitUpdate(PODS, bound, old, http())).toThrow(/pod updates may not change/);
  });
});

describe('metadata', () => {
  it('validates label keys and values and namespace names as DNS labels', () => {
    const ns: KubeObject = { metadata: { name: 'a.b', labels: { 'bad key!': 'v', ok: 'not ok!' } } };
    const e = admitError(() => admitCreate(rt('', 'namespaces'), ns, {}));
    const causes = e.details?.causes ?? [];
    expect(causes.find((c) => c.field === 'metadata.name')?.message).toMatch(/a lowercase RFC 1123 label must consist/);
    expect(causes.filter((c) => c.field === 'metadata.labels').map((c) => c.message)).toEqual([
      expect.stringMatching(/^Invalid value: "bad key!": name part must consist of alphanumeric characters/),
      expect.stringMatching(/^Invalid value: "not ok!": a valid label must be an empty string or consist of/),
    ]);
  });

  it('validates owner references: required fields and a single controller', () => {
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true };
    const cm: KubeObject = { metadata: { name: 'c', ownerReferences: [owner, { ...owner, name: 'rs2' }, { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '' }] } };
    const e = admitError(() => admitCreate(rt('', 'configmaps'), cm, {}));
    expect(e.details?.causes?.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
      'metadata.ownerReferences: Invalid value: "2 controllers": Only one reference can have Controller set to true',
    ]);
  });

  it('validates workload label selectors', () => {
    const d: KubeObject = {
      metadata: { name: 'web' },
      spec: {
        selector: { matchExpressions: [{ key: 'app', operator: 'In' }, { key: 'tier', operator: 'Near', values: ['x'] }] },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    };
    const e = admitError(() => admitCreate(rt('apps', 'deployments'), d, {}));
    const fields = e.details?.causes?.map((c) => `${c.field}: ${c.message}`) ?? [];
    expect(fields).toContain("spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
    expect(fields).toContain('spec.selector.matchExpressions[1].operator: Invalid value: "Near": not a valid selector operator');
  });

  it('reports a bad generateName on metadata.generateName', () => {
    const cm: KubeObject = { metadata: { generateName: 'Bad-', name: 'Bad-abcde' } };
    const e = admitError(() => admitCreate(rt('', 'configmaps'), cm, {}));
    expect(e.details?.causes?.map((c) => c.field)).toEqual(['metadata.generateName']);
  });
});

describe('other kinds', () => {
  it('ConfigMap keys must be valid config keys', () => {
    const e = admitError(() => admitCreate(rt('', 'configmaps'), { metadata: { name: 'c' }, data: { 'a b': 'x' } }, {}));
    expect(e.details?.causes?.[0]).toMatchObject({ field: 'data[a b]' });
    expect(e.details?.causes?.[0]?.message).toMatch(/a valid config key must consist of alphanumeric characters/);
  });

  it('Secrets default to Opaque and reject invalid base64 as a decode error', () => {
    const s: KubeObject = { metadata: { name: 's' }, data: { k: 'aGk=' } };
    admitCreate(rt('', 'secrets'), s, http());
    expect(s['type']).toBe('Opaque');
    const e = admitError(() => admitCreate(rt('', 'secrets'), { metadata: { name: 's' }, data: { k: 'not base64!' } }, http()));
    expect(e.message).toMatch(/^Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte/);
  });

  it('Secret stringData is merged into data as base64 and not stored', () => {
    const s: KubeObject = { metadata: { name: 's' }, data: { a: 'eA==' }, stringData: { password: 'hunter2' } };
    admitCreate(rt('', 'secrets'), s, http());
    expect(s['data']).toEqual({ a: 'eA==', password: Buffer.from('hunter2').toString('base64') });
    expect(s['stringData']).toBeUndefined();
  });

  it('StatefulSet pods may mount their volumeClaimTemplates; other unknown volumes are Not found', () => {
    const sts = (mount: string): KubeObject => ({
      metadata: { name: 'db' },
      spec: {
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres', volumeMounts: [{ name: mount, mountPath: '/d' }] }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
      },
    });
    expect(admitCreate(rt('apps', 'statefulsets'), sts('data'), {})).toEqual([]);
    expect(() => admitCreate(rt('apps', 'statefulsets'), sts('logs'), {})).toThrow(
      'StatefulSet.apps "db" is invalid: spec.template.spec.containers[0].volumeMounts[0].name: Not found: "logs"',
    );
  });

  it('PriorityClass values above one billion are reserved for the system', () => {
    const e = admitError(() => admitCreate(rt('scheduling.k8s.io', 'priorityclasses'), { metadata: { name: 'huge' }, value: 2_000_000_000 }, {}));
    expect(e.message).toBe('PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000');
    const pc: KubeObject = { metadata: { name: 'batch' }, value: 10 };
    admitCreate(rt('scheduling.k8s.io', 'priorityclasses'), pc, {});
    expect(pc['preemptionPolicy']).toBe('PreemptLowerPriority');
    const changed = { ...structuredClone(pc), value: 11 };
    expect(() => admitUpdate(rt('scheduling.k8s.io', 'priorityclasses'), changed, pc, http())).toThrow(/value: Forbidden: may not be changed in an update/);
  });

  it('Lease durations must be positive', () => {
    const e = admitError(() => admitCreate(rt('coordination.k8s.io', 'leases'), { metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0 } }, {}));
    expect(e.details?.causes?.[0]).toMatchObject({ field: 'spec.leaseDurationSeconds', message: 'Invalid value: 0: must be greater than 0' });
  });

  it('Namespaces get their name label and the kubernetes finalizer', () => {
    const ns: KubeObject = { metadata: { name: 'team-a' } };
    admitCreate(rt('', 'namespaces'), ns, {});
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
    expect(ns['spec']).toEqual({ finalizers: ['kubernetes'] });
  });

  it('Deployments get replicas, strategy, history limit and pod template defaults', () => {
    const d: KubeObject = {
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    };
    admitCreate(rt('apps', 'deployments'), d, {});
    expect(d['spec']).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { spec: { restartPolicy: 'Always', schedulerName: 'default-scheduler', containers: [{ imagePullPolicy: 'Always' }] } },
    });
  });

  it('a Deployment whose selector does not match its template is invalid', () => {
    const d: KubeObject = {
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      },
    };
    const e = admitError(() => admitCreate(rt('apps', 'deployments'), d, {}));
    expect(e.message).toBe(
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`',
    );
  });

  it('Services get type ClusterIP, session affinity, port protocol and a cluster IP', () => {
    const svc: KubeObject = { metadata: { name: 'web', uid: 'u-2' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } };
    admitCreate(rt('', 'services'), svc, {});
    const spec = svc['spec'] as Record<string, unknown>;
    expect(spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
    expect(spec['clusterIP']).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
    expect(spec['clusterIPs']).toEqual([spec['clusterIP']]);
  });

  it('a Service update that leaves out the allocated ClusterIP and node ports keeps them', () => {
    const svc: KubeObject = { metadata: { name: 'web', uid: 'u-3' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } };
    admitCreate(rt('', 'services'), svc, {});
    const before = svc['spec'] as { clusterIP: string; ports: Array<{ nodePort: number }> };
    expect(before.ports[0]!.nodePort).toBeGreaterThanOrEqual(30000);
    const put: KubeObject = { metadata: { name: 'web' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } };
    admitUpdate(rt('', 'services'), put, svc, http());
    expect(put['spec']).toMatchObject({ clusterIP: before.clusterIP, ports: [{ port: 80, nodePort: before.ports[0]!.nodePort }] });
    const bad: KubeObject = { metadata: { name: 'web' }, spec: { ports: [{ port: 80, nodePort: 31000 }] } };
    expect(() => admitCreate(rt('', 'services'), bad, {})).toThrow("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  });

  it('Service names are DNS-1035 labels', () => {
    const e = admitError(() => admitCreate(rt('', 'services'), { metadata: { name: '1web' }, spec: { ports: [{ port: 80 }] } }, {}));
    expect(e.details?.causes?.[0]?.message).toMatch(/a DNS-1035 label must consist of lower case alphanumeric characters/);
  });
});

describe('custom resources', () => {
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: {
                    size: { type: 'integer', minimum: 1, maximum: 10 },
                    code: { type: 'string', pattern: '^[a-z]+$', maxLength: 5 },
                    tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
                    labels: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                    ports: {
                      type: 'array',
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['name'],
                      items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
                    },
                    color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
                    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  const widgets = crdResourceTypes(crd)[0]!;

  it('prunes unknown fields except under preserve-unknown-fields, and applies schema defaults', () => {
    const w: KubeObject = { metadata: { name: 'w' }, spec: { size: 1, junk: true, extra: { anything: 1 } } };
    expect(admitCreate(widgets, w, http())).toEqual(['unknown field "spec.junk"']);
    expect(w['spec']).toEqual({ size: 1, color: 'red', extra: { anything: 1 } });
  });

  it('Strict rejects unknown fields of custom resources too', () => {
    const w: KubeObject = { metadata: { name: 'w' }, spec: { size: 1, junk: true } };
    expect(() => admitCreate(widgets, w, http({ fieldValidation: 'Strict' }))).toThrow(
      'Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.junk"',
    );
  });

  it('under Strict, unknown fields of a custom resource are reported (400) before schema errors (422)', () => {
    const w: KubeObject = { metadata: { name: 'w' }, spec: { size: 'big', junk: 1 } };
    expect(admitError(() => admitCreate(widgets, w, http({ fieldValidation: 'Strict' }))).code).toBe(400);
    const w2: KubeObject = { metadata: { name: 'w' }, spec: { size: 'big', junk: 1 } };
    expect(admitError(() => admitCreate(widgets, w2, http())).code).toBe(422);
  });

  it('type, enum and required errors are 422 Invalid with schema wording', () => {
    const w: KubeObject = { metadata: { name: 'w' }, spec: { size: 'big', color: 'green' } };
    const e = admitError(() => admitCreate(widgets, w, http()));
    expect(e.code).toBe(422);
    expect(e.details?.causes).toEqual([
      { field: 'spec.size', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "string": spec.size in body must be of type integer: "string"' },
      { field: 'spec.color', reason: 'FieldValueNotSupported', message: 'Unsupported value: "green": supported values: "red", "blue"' },
    ]);
    const missing = admitError(() => admitCreate(widgets, { metadata: { name: 'w' }, spec: {} }, http()));
    expect(missing.details?.causes?.[0]).toMatchObject({ field: 'spec.size', message: 'Required value' });
  });

  it('enforces minimum, maximum, pattern, maxLength and maxItems with kube-openapi\'s wording', () => {
    const w: KubeObject = { metadata: { name: 'w' }, spec: { size: 11, code: 'ABCDEF', tags: ['a', 'b', 'c'] } };
    const e = admitError(() => admitCreate(widgets, w, http()));
    expect(e.details?.causes?.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10',
      'spec.code: Too long: may not be more than 5 bytes',
      "spec.code: Invalid value: \"ABCDEF\": spec.code in body should match '^[a-z]+$'",
      'spec.tags: Too many: 3: must have at most 2 items',
    ]);
    expect(() => admitCreate(widgets, { metadata: { name: 'w' }, spec: { size: 0 } }, http())).toThrow(
      'spec.size in body should be greater than or equal to 1',
    );
  });

  it('rejects duplicates in set lists and map lists', () => {
    const w: KubeObject = {
      metadata: { name: 'w' },
      spec: { size: 1, labels: ['a', 'b', 'a'], ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] },
    };
    const e = admitError(() => admitCreate(widgets, w, http()));
    expect(e.details?.causes?.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.labels[2]: Duplicate value: "a"',
      'spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}',
    ]);
  });

  it('CRDs must be structural and have exactly one storage version', () => {
    const bad = structuredClone(crd);
    const spec = bad['spec'] as Record<string, unknown>;
    spec['group'] = 'example';
    spec['versions'] = [
      { name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { properties: {} } } } } },
    ];
    const e = admitError(() => admitCreate(rt('apiextensions.k8s.io', 'customresourcedefinitions'), bad, {}));
    const fields = e.details?.causes?.map((c) => `${c.field}: ${c.message}`) ?? [];
    expect(fields).toContain('spec.group: Invalid value: "example": should be a domain with at least one dot');
    expect(fields).toContain('spec.versions: Invalid value: "1 versions": must have exactly one version marked as storage version');
    expect(fields).toContain('spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields');
  });
});
