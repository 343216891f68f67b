import { describe, it, expect } from 'vitest';
import { humanDuration, toTable, type KubeObject, type TableOptions } from '../../sim/tables.js';

const NOW = new Date('2024-05-10T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();
const opts = (extra: Partial<TableOptions> = {}): TableOptions => ({ includeObject: 'Metadata', now: NOW, ...extra });
const cells = (resource: string, objects: KubeObject[], extra: Partial<TableOptions> = {}): unknown[][] =>
  toTable(resource, objects, opts(extra)).rows.map((r) => r.cells);
const headers = (resource: string, extra: Partial<TableOptions> = {}): string[] =>
  toTable(resource, [], opts(extra)).columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase());

function pod(name: string, extra: { spec?: Record<string, unknown>; status?: Record<string, unknown>; deletionTimestamp?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', creationTimestamp: ago(3 * 60 + 2), ...(extra.deletionTimestamp ? { deletionTimestamp: extra.deletionTimestamp } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1' }, { name: 'side', image: 'side:1' }], ...extra.spec },
    status: extra.status ?? {},
  };
}

const running = (name: string, ready = true, restartCount = 0): Record<string, unknown> => ({ name, ready, restartCount, started: true, state: { running: { startedAt: ago(100) } } });

describe('humanDuration (kubectl AGE)', () => {
  it.each([
    [0, '0s'],
    [-1500, '0s'],
    [-3000, '<invalid>'],
    [5_000, '5s'],
    [119_000, '119s'],
    [182_000, '3m2s'],
    [240_000, '4m'],
    [45 * 60_000, '45m'],
    [4 * 3_600_000 + 30 * 60_000, '4h30m'],
    [4 * 3_600_000, '4h'],
    [20 * 3_600_000, '20h'],
    [51 * 3_600_000, '2d3h'],
    [45 * 86_400_000, '45d'],
    [(3 * 365 + 10) * 86_400_000, '3y10d'],
    [9 * 365 * 86_400_000, '9y'],
  ])('%d ms -> %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('pods table', () => {
  it('has the kubectl columns, wide ones at priority 1, NAME formatted as a name', () => {
    const t = toTable('pods', [], opts());
    expect(t.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    expect(t.columnDefinitions[0]!.format).toBe('name');
    expect(t).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
  });

  it('renders a running pod', () => {
    const p = pod('web', {
      spec: { readinessGates: [{ conditionType: 'example.com/lb' }] },
      status: {
        phase: 'Running',
        podIPs: [{ ip: '10.1.0.7' }],
        conditions: [{ type: 'Ready', status: 'True' }, { type: 'example.com/lb', status: 'True' }],
        containerStatuses: [running('app'), running('side')],
      },
    });
    expect(cells('pods', [p])).toEqual([['web', '2/2', 'Running', '0', '3m2s', '10.1.0.7', 'node-1', '<none>', '1/1']]);
  });

  it('shows Pending with no node, ContainerCreating while images pull', () => {
    const pending = pod('p', { spec: { nodeName: undefined }, status: { phase: 'Pending' } });
    const creating = pod('c', {
      status: {
        phase: 'Pending',
        containerStatuses: [
          { name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
          { name: 'side', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      },
    });
    expect(cells('pods', [pending, creating]).map((c) => c.slice(0, 4).concat(c[6]))).toEqual([
      ['p', '0/2', 'Pending', '0', '<none>'],
      ['c', '0/2', 'ContainerCreating', '0', 'node-1'],
    ]);
  });

  it('shows CrashLoopBackOff with restarts and when the last one was', () => {
    const p = pod('crash', {
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(65) } },
          },
          running('side'),
        ],
      },
    });
    expect(cells('pods', [p])[0]!.slice(1, 4)).toEqual(['1/2', 'CrashLoopBackOff', '4 (65s ago)']);
  });

  it('shows Completed, Error and the row condition kubectl uses for finished pods', () => {
    const done = (name: string, exitCode: number, reason: string, phase: string): KubeObject =>
      pod(name, {
        spec: { containers: [{ name: 'app', image: 'a' }] },
        status: { phase, containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode, reason } } }] },
      });
    const t = toTable('pods', [done('ok', 0, 'Completed', 'Succeeded'), done('bad', 2, 'Error', 'Failed')], opts());
    expect(t.rows.map((r) => r.cells.slice(1, 3))).toEqual([
      ['0/1', 'Completed'],
      ['0/1', 'Error'],
    ]);
    expect(t.rows[0]!.conditions).toEqual([{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
    expect(t.rows[1]!.conditions?.[0]?.reason).toBe('Failed');
  });

  it('shows Terminating once deleted, and the eviction reason from status.reason', () => {
    const terminating = pod('t', { deletionTimestamp: ago(1), status: { phase: 'Running', containerStatuses: [running('app'), running('side')] } });
    const evicted = pod('e', { status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } });
    expect(cells('pods', [terminating, evicted]).map((c) => c[2])).toEqual(['Terminating', 'Evicted']);
  });

  it('shows init container progress', () => {
    const p = pod('init', {
      spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'i2', ready: false, restartCount: 0, state: { running: {} } },
        ],
      },
    });
    expect(cells('pods', [p])[0]!.slice(1, 3)).toEqual(['0/2', 'Init:1/2']);
  });

  it('puts PartialObjectMetadata, the full object or nothing in rows', () => {
    const p = pod('web');
    expect(toTable('pods', [p], opts()).rows[0]!.object).toEqual({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: p.metadata });
    expect(toTable('pods', [p], opts({ includeObject: 'Object' })).rows[0]!.object).toBe(p);
    expect('object' in toTable('pods', [p], opts({ includeObject: 'None' })).rows[0]!).toBe(false);
  });

  it('carries list metadata', () => {
    expect(toTable('pods', [], opts({ resourceVersion: '42', continue: 'tok' })).metadata).toEqual({ resourceVersion: '42', continue: 'tok' });
  });
});

describe('nodes table', () => {
  const node = (name: string, extra: { labels?: Record<string, string>; ready?: string; unschedulable?: boolean } = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, creationTimestamp: ago(51 * 3600), labels: extra.labels ?? {} },
    spec: extra.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: extra.ready ? [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: extra.ready }] : [],
      addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: '10.0.0.1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu 24.04 LTS', kernelVersion: '6.8.0', containerRuntimeVersion: 'containerd://1.7.20' },
    },
  });

  it('renders status, roles, version and the wide cells', () => {
    const rows = cells('nodes', [
      node('cp', { labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '' }, ready: 'True' }),
      node('w1', { ready: 'False' }),
      node('w2', { ready: 'True', unschedulable: true, labels: { 'kubernetes.io/role': 'worker' } }),
      node('w3'),
    ]);
    expect(rows).toEqual([
      ['cp', 'Ready', 'control-plane,master', '2d3h', 'v1.32.0', '10.0.0.1', '<none>', 'Ubuntu 24.04 LTS', '6.8.0', 'containerd://1.7.20'],
      ['w1', 'NotReady', '<none>', '2d3h', 'v1.32.0', '10.0.0.1', '<none>', 'Ubuntu 24.04 LTS', '6.8.0', 'containerd://1.7.20'],
      ['w2', 'Ready,SchedulingDisabled', 'worker', '2d3h', 'v1.32.0', '10.0.0.1', '<none>', 'Ubuntu 24.04 LTS', '6.8.0', 'containerd://1.7.20'],
      ['w3', 'Unknown', '<none>', '2d3h', 'v1.32.0', '10.0.0.1', '<none>', 'Ubuntu 24.04 LTS', '6.8.0', 'containerd://1.7.20'],
    ]);
    expect(headers('nodes')).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
  });
});

describe('other built-in tables', () => {
  const meta = (name: string): KubeObject['metadata'] => ({ name, namespace: 'default', creationTimestamp: ago(10) });

  it('namespaces, leases, configmaps, secrets, serviceaccounts, priorityclasses', () => {
    expect(cells('namespaces', [{ metadata: meta('default'), status: { phase: 'Active' } }])).toEqual([['default', 'Active', '10s']]);
    expect(cells('leases', [{ metadata: meta('vk'), spec: { holderIdentity: 'tidepool-0' } }])).toEqual([['vk', 'tidepool-0', '10s']]);
    expect(cells('configmaps', [{ metadata: meta('c'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }])).toEqual([['c', 3, '10s']]);
    expect(cells('secrets', [{ metadata: meta('s'), type: 'Opaque', data: { k: 'dg==' } }])).toEqual([['s', 'Opaque', 1, '10s']]);
    expect(cells('serviceaccounts', [{ metadata: meta('default') }])).toEqual([['default', 0, '10s']]);
    expect(cells('priorityclasses', [{ metadata: meta('online'), value: 1000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority' }])).toEqual([
      ['online', 1000, false, '10s', 'PreemptLowerPriority'],
    ]);
    expect(headers('priorityclasses')).toEqual(['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
  });

  it('events in core/v1 and events.k8s.io/v1 shapes', () => {
    const core: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: meta('web.1'),
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
      reason: 'Pulled',
      message: ' Successfully pulled image \n',
      type: 'Normal',
      source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ago(300),
      lastTimestamp: ago(30),
      count: 3,
    };
    const modern: KubeObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: meta('web.2'),
      regarding: { kind: 'Pod', name: 'web' },
      reason: 'Scheduled',
      note: 'Successfully assigned default/web to node-1',
      type: 'Normal',
      eventTime: ago(400),
      reportingController: 'default-scheduler',
    };
    expect(cells('events', [core, modern])).toEqual([
      ['30s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{app}', 'kubelet, node-1', 'Successfully pulled image', '5m', 3, 'web.1'],
      ['6m40s', 'Normal', 'Scheduled', 'pod/web', '', 'default-scheduler', 'Successfully assigned default/web to node-1', '6m40s', 1, 'web.2'],
    ]);
    expect(headers('events')).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  });

  it('deployments and services', () => {
    const deploy: KubeObject = {
      metadata: meta('web'),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { spec: { containers: [{ name: 'app', image: 'app:2' }, { name: 'side', image: 'side:1' }] } },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    expect(cells('deployments', [deploy])).toEqual([['web', '2/3', 3, 2, '10s', 'app,side', 'app:2,side:1', 'app=web']]);
    expect(headers('deployments')).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);

    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({ metadata: meta('svc'), spec, status });
    expect(
      cells('services', [
        svc({ type: 'ClusterIP', clusterIPs: ['10.96.0.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { k8s: 'dns' } }),
        svc({ type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080 }] }),
        svc({ type: 'LoadBalancer', clusterIPs: ['10.96.0.12'], ports: [{ port: 443, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }),
        svc({ type: 'ExternalName', externalName: 'db.example.com' }),
      ]),
    ).toEqual([
      ['svc', 'ClusterIP', '10.96.0.10', '<none>', '53/UDP,53/TCP', '10s', 'k8s=dns'],
      ['svc', 'NodePort', '10.96.0.11', '<none>', '80:30080/TCP', '10s', '<none>'],
      ['svc', 'LoadBalancer', '10.96.0.12', '1.2.3.4', '443/TCP', '10s', '<none>'],
      ['svc', 'ExternalName', '<none>', 'db.example.com', '<none>', '10s', '<none>'],
    ]);
  });

  it('uses the apiserver default table (Name, Created At) for types without a printer, e.g. CRDs', () => {
    const t = toTable('customresourcedefinitions', [{ metadata: { name: 'widgets.example.com', creationTimestamp: '2024-05-01T08:00:00Z' } }], opts());
    expect(t.columnDefinitions.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
    expect(t.rows[0]!.cells).toEqual(['widgets.example.com', '2024-05-01T08:00:00Z']);
  });
});

describe('custom resources', () => {
  const widget = (name: string, replicas: number | undefined, ready: string): KubeObject => ({
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name, creationTimestamp: ago(7200) },
    spec: { ...(replicas === undefined ? {} : { replicas }), labels: { tier: 'a' } },
    status: {
      conditions: [
        { type: 'Synced', status: 'True' },
        { type: 'Ready', status: ready, lastTransitionTime: ago(90) },
      ],
    },
  });

  it('shows NAME AGE when the CRD has no printer columns', () => {
    const t = toTable('widgets', [widget('w', 1, 'True')], opts({ crd: {} }));
    expect(t.columnDefinitions.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Age', 'date'],
    ]);
    expect(t.rows[0]!.cells).toEqual(['w', '120m']);
  });

  it('evaluates additionalPrinterColumns with simple JSONPath', () => {
    const crd = {
      additionalPrinterColumns: [
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: 'Since', type: 'date', jsonPath: ".status.conditions[?(@.type=='Ready')].lastTransitionTime", priority: 1 },
        { name: 'First', type: 'string', jsonPath: '.status.conditions[0].type' },
        { name: 'Labels', type: 'string', jsonPath: '.spec.labels' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    };
    const t = toTable('example.com/widgets', [widget('w1', 3, 'True'), widget('w2', undefined, 'False')], opts({ crd }));
    expect(t.columnDefinitions.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Replicas', 'integer', 0],
      ['Ready', 'string', 0],
      ['Since', 'date', 1],
      ['First', 'string', 0],
      ['Labels', 'string', 0],
      ['Age', 'date', 0],
    ]);
    expect(t.columnDefinitions[1]!.description).toBe('Custom resource definition column (in JSONPath format): .spec.replicas');
    expect(t.rows.map((r) => r.cells)).toEqual([
      ['w1', 3, 'True', '90s', 'Synced', '{"tier":"a"}', '120m'],
      ['w2', null, 'False', '90s', 'Synced', '{"tier":"a"}', '120m'],
    ]);
  });
});
