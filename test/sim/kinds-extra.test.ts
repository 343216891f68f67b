// Kinds the sim stores and serves without a controller (issue 2: "other kinds in a manifest
// are stored and served so real manifests apply"): RBAC, policy, batch CronJob, networking,
// storage, quota, admission webhook configurations, autoscaling/v2. Each is created with
// kubectl (strict validation), read back, listed, and printed with kube's Table columns.

import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, Kubectl } from '../helpers/kubectl.js';
import { accessFor, raw, startTestSim, waitFor, type ClusterAccess, type TestSim } from './e2e/helpers.js';

interface Case {
  /** URL path of the collection the object lives in. */
  collection: string;
  resource: string;
  manifest: Record<string, unknown>;
  /** kube's Table column names, in order (wide columns included). */
  columns: string[];
  /** The object's row cells (Age / Created At left out: they depend on the clock). */
  cells: unknown[];
}

const NS = 'kinds';
const meta = (name: string, namespaced = true) => (namespaced ? { name, namespace: NS } : { name });
const podTemplate = { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox:1.36' }] } };

const CASES: Case[] = [
  {
    collection: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`,
    resource: 'roles',
    manifest: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta('reader'), rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
    columns: ['Name', 'Created At'],
    cells: ['reader'],
  },
  {
    collection: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
    resource: 'clusterroles',
    // RBAC names are path segments, not DNS names: kube's own roles look like this.
    manifest: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('system:tidepool:viewer', false), rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] },
    columns: ['Name', 'Created At'],
    cells: ['system:tidepool:viewer'],
  },
  {
    collection: `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
    resource: 'rolebindings',
    manifest: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('reader-binding'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [
        { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
        { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
        { kind: 'ServiceAccount', name: 'bot', namespace: NS },
      ],
    },
    columns: ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts'],
    cells: ['reader-binding', 'Role/reader', 'alice', 'devs', `${NS}/bot`],
  },
  {
    collection: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    resource: 'clusterrolebindings',
    manifest: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta('viewer-binding', false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:tidepool:viewer' },
      subjects: [{ kind: 'ServiceAccount', name: 'a', namespace: NS }, { kind: 'ServiceAccount', name: 'b', namespace: 'default' }],
    },
    columns: ['Name', 'Role', 'Age', 'Users', 'Groups', 'ServiceAccounts'],
    cells: ['viewer-binding', 'ClusterRole/system:tidepool:viewer', '', '', `${NS}/a, default/b`],
  },
  {
    collection: `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`,
    resource: 'poddisruptionbudgets',
    manifest: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta('web-pdb'), spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } } },
    columns: ['Name', 'Min Available', 'Max Unavailable', 'Allowed Disruptions', 'Age'],
    cells: ['web-pdb', '50%', 'N/A', 0],
  },
  {
    collection: `/apis/batch/v1/namespaces/${NS}/cronjobs`,
    resource: 'cronjobs',
    manifest: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('nightly'),
      spec: { schedule: '0 3 * * *', timeZone: 'Europe/Paris', suspend: false, jobTemplate: { spec: { template: podTemplate } } },
    },
    columns: ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers', 'Images', 'Selector'],
    cells: ['nightly', '0 3 * * *', 'Europe/Paris', 'False', 0, '<none>', 'c', 'busybox:1.36', '<none>'],
  },
  {
    collection: `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`,
    resource: 'networkpolicies',
    manifest: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('db-ingress'),
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
      },
    },
    columns: ['Name', 'Pod-Selector', 'Age'],
    cells: ['db-ingress', 'app=db'],
  },
  {
    collection: `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`,
    resource: 'ingresses',
    manifest: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('web'),
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
        rules: [
          { host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
          { host: 'b.example.com', http: { paths: [{ path: '/api', pathType: 'Exact', backend: { service: { name: 'api', port: { name: 'http' } } } }] } },
        ],
      },
    },
    columns: ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age'],
    cells: ['web', 'nginx', 'a.example.com,b.example.com', '', '80, 443'],
  },
  {
    collection: '/apis/storage.k8s.io/v1/storageclasses',
    resource: 'storageclasses',
    manifest: {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'fast', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3' },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    },
    columns: ['Name', 'Provisioner', 'ReclaimPolicy', 'VolumeBindingMode', 'AllowVolumeExpansion', 'Age'],
    cells: ['fast (default)', 'ebs.csi.aws.com', 'Delete', 'WaitForFirstConsumer', true],
  },
  {
    collection: '/api/v1/persistentvolumes',
    resource: 'persistentvolumes',
    manifest: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv-local' },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'fast',
        volumeMode: 'Filesystem',
        local: { path: '/mnt/disks/ssd1' },
        claimRef: { namespace: NS, name: 'data' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['host-node-0'] }] }] } },
      },
    },
    columns: ['Name', 'Capacity', 'Access Modes', 'Reclaim Policy', 'Status', 'Claim', 'StorageClass', 'VolumeAttributesClass', 'Reason', 'Age', 'VolumeMode'],
    // No binder: the phase stays Pending, as kube's strategy sets it on create.
    cells: ['pv-local', '10Gi', 'RWO,ROX', 'Retain', 'Pending', `${NS}/data`, 'fast', '<unset>', '', 'Filesystem'],
  },
  {
    collection: `/api/v1/namespaces/${NS}/resourcequotas`,
    resource: 'resourcequotas',
    manifest: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta('compute'), spec: { hard: { 'requests.cpu': '4', 'limits.memory': '8Gi', pods: '10' } } },
    columns: ['Name', 'Age', 'Request', 'Limit'],
    // No quota controller fills status, so like a fresh quota in kube the columns are empty.
    cells: ['compute', '', ''],
  },
  {
    collection: `/api/v1/namespaces/${NS}/limitranges`,
    resource: 'limitranges',
    manifest: {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta('defaults'),
      // Complete as written: kube fills a container's default from max, and `limits` is an
      // atomic list, so a manifest relying on that default re-applies as "configured".
      spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '1Gi' }, defaultRequest: { cpu: '100m', memory: '1Gi' }, max: { memory: '1Gi' } }] },
    },
    columns: ['Name', 'Created At'],
    cells: ['defaults'],
  },
  {
    collection: '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
    resource: 'validatingwebhookconfigurations',
    manifest: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'tidepool-validate' },
      webhooks: [
        {
          name: 'pods.tidepool.dev',
          clientConfig: { service: { namespace: 'tidepool-system', name: 'webhook', path: '/validate', port: 443 }, caBundle: 'Y2E=' },
          rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
          failurePolicy: 'Ignore',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 5,
          matchConditions: [{ name: 'not-system', expression: "request.namespace != 'kube-system'" }],
        },
      ],
    },
    columns: ['Name', 'Webhooks', 'Age'],
    cells: ['tidepool-validate', 1],
  },
  {
    collection: '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
    resource: 'mutatingwebhookconfigurations',
    manifest: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'tidepool-mutate' },
      webhooks: ['a', 'b'].map((n) => ({
        name: `${n}.tidepool.dev`,
        clientConfig: { url: `https://webhook.example.com/${n}` },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'IfNeeded',
        objectSelector: { matchLabels: { 'tidepool.dev/managed': 'true' } },
      })),
    },
    columns: ['Name', 'Webhooks', 'Age'],
    cells: ['tidepool-mutate', 2],
  },
  {
    collection: `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`,
    resource: 'horizontalpodautoscalers',
    manifest: {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('web'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
          { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '100' } } },
        ],
        behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }] } },
      },
    },
    columns: ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age'],
    cells: ['web', 'Deployment/web', 'cpu: <unknown>/80%, <unknown>/100', '2', 10, 0],
  },
];

const AGE_COLUMNS = new Set(['Age', 'Created At']);

let t: TestSim;
let kubectl: Kubectl;
let access: ClusterAccess;

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 1 });
  access = accessFor(t.sim.kubeconfig, 'host');
  if (hasKubectl) {
    kubectl = new Kubectl(t.sim.kubeconfig);
    await kubectl.ok(['create', 'namespace', NS]);
  } else {
    const ns = await raw(access, 'POST', '/api/v1/namespaces', { body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }) });
    expect(ns.status).toBe(201);
  }
});

afterAll(async () => {
  kubectl?.cleanup();
  await t?.stop();
});

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

describe('kinds served without a controller', () => {
  it('are listed in discovery with their scope and short names', async () => {
    const rbac = await raw(access, 'GET', '/apis/rbac.authorization.k8s.io/v1');
    const names = (rbac.json?.['resources'] as Array<{ name: string; namespaced: boolean }>).map((r) => `${r.name}:${r.namespaced}`);
    expect(names).toEqual(expect.arrayContaining(['roles:true', 'clusterroles:false', 'rolebindings:true', 'clusterrolebindings:false']));
    const core = await raw(access, 'GET', '/api/v1');
    const pv = (core.json?.['resources'] as Array<{ name: string; shortNames?: string[] }>).find((r) => r.name === 'persistentvolumes');
    expect(pv?.shortNames).toEqual(['pv']);
  });

  for (const c of CASES) {
    describe(c.resource, () => {
      it.skipIf(!hasKubectl)('kubectl apply --validate=strict creates it; get -o yaml and list return it', { timeout: 60_000 }, async () => {
        const file = kubectl.writeFile(`${c.resource}.yaml`, YAML.stringify(c.manifest));
        const out = await kubectl.ok(['apply', '--validate=strict', '-f', file], { timeoutMs: 45_000 });
        expect(out).toMatch(/ created\n$/);
        const name = (c.manifest['metadata'] as { name: string }).name;
        const nsArgs = c.collection.includes('/namespaces/') ? ['-n', NS] : [];
        const got = YAML.parse(await kubectl.ok(['get', c.resource, name, ...nsArgs, '-o', 'yaml'], { timeoutMs: 45_000 })) as Record<string, unknown>;
        expect(got['kind']).toBe(c.manifest['kind']);
        for (const field of ['spec', 'rules', 'roleRef', 'subjects', 'webhooks', 'provisioner']) {
          if (c.manifest[field] !== undefined) expect(got[field], field).toMatchObject(c.manifest[field] as object);
        }
        const names = await kubectl.ok(['get', c.resource, ...nsArgs, '-o', 'name'], { timeoutMs: 45_000 });
        expect(names.split('\n')).toContain(`${c.resource === 'persistentvolumes' ? 'persistentvolume' : (c.manifest['kind'] as string).toLowerCase() + '.' + (c.manifest['apiVersion'] as string).split('/')[0]}/${name}`.replace(/\.v1\//, '/'));
        // Re-applying the same manifest is a no-op. Except for PodDisruptionBudget: its selector's
        // patchStrategy "replace" makes kubectl always send a patch, so kube prints "configured" too.
        const again = await kubectl.ok(['apply', '--validate=strict', '-f', file], { timeoutMs: 45_000 });
        expect(again).toMatch(c.resource === 'poddisruptionbudgets' ? / configured\n$/ : / unchanged\n$/);
      });

      it('is printed as a Table with kube\'s columns', async () => {
        const r = await raw(access, 'GET', c.collection, { accept: TABLE });
        expect(r.status).toBe(200);
        const table = r.json as { kind: string; columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
        expect(table.kind).toBe('Table');
        const columns = table.columnDefinitions.map((d) => d.name);
        expect(columns).toEqual(c.columns);
        const name = (c.manifest['metadata'] as { name: string }).name;
        const row = table.rows.find((x) => x.cells[0] === c.cells[0]);
        expect(row, `row for ${name}`).toBeDefined();
        expect(row!.cells.filter((_, i) => !AGE_COLUMNS.has(columns[i]!))).toEqual(c.cells);
      });
    });
  }

  it.skipIf(!hasKubectl)('kubectl create role|clusterrole|rolebinding|clusterrolebinding|cronjob|pdb|ingress|quota work (kubectl sends these as protobuf)', { timeout: 60_000 }, async () => {
    const ns = ['-n', NS];
    await kubectl.ok(['create', 'role', 'made-role', '--verb=get,list', '--resource=pods', ...ns]);
    await kubectl.ok(['create', 'clusterrole', 'made-clusterrole', '--verb=get', '--resource=deployments.apps', '--resource-name=web']);
    await kubectl.ok(['create', 'rolebinding', 'made-rb', '--role=made-role', '--user=bob', `--serviceaccount=${NS}:sa`, ...ns]);
    await kubectl.ok(['create', 'clusterrolebinding', 'made-crb', '--clusterrole=made-clusterrole', '--group=devs']);
    await kubectl.ok(['create', 'cronjob', 'made-cj', '--image=busybox:1.36', '--schedule=*/5 * * * *', ...ns, '--', 'echo', 'hi']);
    await kubectl.ok(['create', 'pdb', 'made-pdb', '--selector=app=web', '--max-unavailable=1', ...ns]);
    await kubectl.ok(['create', 'quota', 'made-quota', '--hard=pods=10,requests.cpu=2', '--scopes=BestEffort', ...ns]);
    await kubectl.ok(['create', 'ingress', 'made-ing', '--class=nginx', '--rule=foo.com/bar=svc1:8080,tls=my-cert', '--rule=bar.com/*=svc2:http', '--default-backend=defsvc:80', ...ns]);
    const get = async (what: string, namespaced = true): Promise<Record<string, unknown>> =>
      JSON.parse(await kubectl.ok(['get', what, '-o', 'json', ...(namespaced ? ns : [])])) as Record<string, unknown>;
    expect((await get('role/made-role'))['rules']).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    expect((await get('clusterrole/made-clusterrole', false))['rules']).toEqual([{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['web'], verbs: ['get'] }]);
    const rb = await get('rolebinding/made-rb');
    expect(rb['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'made-role' });
    expect(rb['subjects']).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }, { kind: 'ServiceAccount', name: 'sa', namespace: NS }]);
    expect((await get('clusterrolebinding/made-crb', false))['subjects']).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' }]);
    const cj = (await get('cronjob/made-cj'))['spec'] as Record<string, unknown>;
    expect(cj).toMatchObject({ schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj['jobTemplate']).toMatchObject({ spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'made-cj', image: 'busybox:1.36', command: ['echo', 'hi'] }] } } } });
    expect((await get('pdb/made-pdb'))['spec']).toEqual({ maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } });
    expect((await get('quota/made-quota'))['spec']).toEqual({ hard: { pods: '10', 'requests.cpu': '2' }, scopes: ['BestEffort'] });
    expect((await get('ingress/made-ing'))['spec']).toEqual({
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'defsvc', port: { number: 80 } } },
      rules: [
        { host: 'foo.com', http: { paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } }] } },
        { host: 'bar.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc2', port: { name: 'http' } } } }] } },
      ],
      tls: [{ hosts: ['foo.com'], secretName: 'my-cert' }],
    });
  });

  it.skipIf(!hasKubectl)('strict validation rejects an unknown field with kube\'s message', { timeout: 60_000 }, async () => {
    const bad = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'typo' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'x' }, subject: [] };
    const r = await kubectl.run(['apply', '--validate=strict', '-f', kubectl.writeFile('bad.yaml', YAML.stringify(bad))], { timeoutMs: 45_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "subject"');
    const nested = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'typo', namespace: NS }, spec: { minAvailable: 1, maxUnavailabel: 1 } };
    const r2 = await kubectl.run(['apply', '--validate=strict', '-f', kubectl.writeFile('bad2.yaml', YAML.stringify(nested))], { timeoutMs: 45_000 });
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toContain('unknown field "spec.maxUnavailabel"');
  });

  it('kube\'s defaults are filled in: StorageClass policies, LimitRange defaults from max, webhook policies, HPA metrics, RBAC subject groups', async () => {
    const post = async (path: string, body: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const r = await raw(access, 'POST', path, { body: JSON.stringify(body) });
      expect(r.status, r.body).toBe(201);
      return r.json!;
    };
    const sc = await post('/apis/storage.k8s.io/v1/storageclasses', { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'plain' }, provisioner: 'x' });
    expect([sc['reclaimPolicy'], sc['volumeBindingMode']]).toEqual(['Delete', 'Immediate']);
    const lr = await post(`/api/v1/namespaces/${NS}/limitranges`, {
      apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'from-max' }, spec: { limits: [{ type: 'Container', max: { memory: '1Gi' }, min: { memory: '64Mi' } }] },
    });
    expect((lr['spec'] as { limits: unknown[] }).limits[0]).toEqual({ type: 'Container', max: { memory: '1Gi' }, min: { memory: '64Mi' }, default: { memory: '1Gi' }, defaultRequest: { memory: '64Mi' } });
    const hook = await post('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name: 'defaults' },
      webhooks: [{ name: 'd.tidepool.dev', clientConfig: { service: { namespace: 'x', name: 'y' } }, sideEffects: 'None', admissionReviewVersions: ['v1'], rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }] }],
    });
    expect((hook['webhooks'] as unknown[])[0]).toMatchObject({
      failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 10, reinvocationPolicy: 'Never',
      clientConfig: { service: { port: 443 } }, rules: [{ scope: '*' }],
    });
    // The sim calls stored webhooks: this one (a defaults check, pointing nowhere) must not stay.
    expect((await raw(access, 'DELETE', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/defaults')).status).toBe(200);
    const hpa = await post(`/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`, {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bare' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'w' }, maxReplicas: 3 },
    });
    expect(hpa['spec']).toMatchObject({ minReplicas: 1, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] });
    const rb = await post(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'groups' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 'sa', namespace: NS }],
    });
    expect(rb['subjects']).toEqual([{ kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }, { kind: 'ServiceAccount', name: 'sa', namespace: NS }]);
  });

  it("Priority admission copies the PriorityClass's preemptionPolicy onto the pod, and refuses a pod that states another", async () => {
    const post = (path: string, body: Record<string, unknown>) => raw(access, 'POST', path, { body: JSON.stringify(body) });
    expect((await post('/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'never-preempts' }, value: -100, preemptionPolicy: 'Never' })).status).toBe(201);
    const podWith = (name: string, extra: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'x:1' }], ...extra } });
    const quiet = await post(`/api/v1/namespaces/${NS}/pods`, podWith('quiet', { priorityClassName: 'never-preempts' }));
    expect(quiet.status).toBe(201);
    expect((quiet.json!['spec'] as Record<string, unknown>)['preemptionPolicy']).toBe('Never');
    const plain = await post(`/api/v1/namespaces/${NS}/pods`, podWith('plain', {}));
    expect((plain.json!['spec'] as Record<string, unknown>)['preemptionPolicy']).toBe('PreemptLowerPriority');
    const clash = await post(`/api/v1/namespaces/${NS}/pods`, podWith('clash', { priorityClassName: 'never-preempts', preemptionPolicy: 'PreemptLowerPriority' }));
    expect(clash.status).toBe(403);
    expect(String(clash.json!['message'])).toContain('priority admission controller computed Never from the given PriorityClass name');
  });

  it('kube\'s rules for these kinds: roleRef cannot change, CronJob names fit their Jobs, PDB limits are exclusive, StorageClass provisioner is fixed', async () => {
    const send = (method: string, path: string, body: Record<string, unknown>, contentType?: string) =>
      raw(access, method, path, { body: JSON.stringify(body), ...(contentType ? { contentType } : {}) });
    const crb = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
    expect((await send('POST', crb, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'fixed' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'a' } })).status).toBe(201);
    const changed = await send('PATCH', `${crb}/fixed`, { roleRef: { name: 'b' } }, 'application/merge-patch+json');
    expect(changed.status).toBe(422);
    expect(changed.json?.['message']).toBe(
      'ClusterRoleBinding.rbac.authorization.k8s.io "fixed" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"ClusterRole", Name:"b"}: cannot change roleRef',
    );
    const toRole = await send('POST', crb, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'to-role' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'a' } });
    expect(toRole.status).toBe(422);
    expect(toRole.body).toContain('roleRef.kind: Unsupported value: \\"Role\\": supported values: \\"ClusterRole\\"');

    const longName = 'c'.repeat(53);
    const cj = await send('POST', `/apis/batch/v1/namespaces/${NS}/cronjobs`, {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: longName }, spec: { schedule: '@daily', jobTemplate: { spec: { template: podTemplate } } },
    });
    expect(cj.status).toBe(422);
    expect(cj.body).toContain('metadata.name: Invalid value: \\"' + longName + '\\": must be no more than 52 characters');

    const pdb = await send('POST', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'both' }, spec: { minAvailable: 1, maxUnavailable: 1 },
    });
    expect(pdb.status).toBe(422);
    expect(pdb.body).toContain('minAvailable and maxUnavailable cannot be both set');

    const sc = await send('PATCH', '/apis/storage.k8s.io/v1/storageclasses/plain', { provisioner: 'other' }, 'application/merge-patch+json');
    expect(sc.status).toBe(422);
    expect(sc.body).toContain('provisioner: Forbidden: updates to provisioner are forbidden.');
  });

  it('names follow kube\'s rule per kind: RBAC allows ":" but not "/" or "%"; others must be DNS subdomains', async () => {
    const role = await raw(access, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      body: JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'a%b' } }),
    });
    expect(role.status).toBe(422);
    expect(role.body).toContain("may not contain '%'");
    const sc = await raw(access, 'POST', '/apis/storage.k8s.io/v1/storageclasses', {
      body: JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'Fast:SSD' }, provisioner: 'x' }),
    });
    expect(sc.status).toBe(422);
    expect(sc.body).toContain('RFC 1123 subdomain');
  });
});

// kube-apiserver decodes every write into Go structs and encodes them again: a zero
// non-pointer metav1.Time (PodCondition.lastProbeTime, ...) comes back as `null`, never
// omitted. Pruning nulls on update made the dry-run of `kubectl diff` differ from the
// live object.
describe('condition times kube serves as null', () => {
  const conditionsOf = (o: Record<string, unknown> | undefined): Array<Record<string, unknown>> =>
    ((o?.['status'] as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ?? []);

  it.skipIf(!hasKubectl)('a running pod keeps lastProbeTime: null through updates, and kubectl diff of its manifest is empty', { timeout: 60_000 }, async () => {
    const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nulls', namespace: NS }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } };
    const file = kubectl.writeFile('nulls.yaml', YAML.stringify(manifest));
    await kubectl.ok(['apply', '--validate=strict', '-f', file], { timeoutMs: 45_000 });
    const path = `/api/v1/namespaces/${NS}/pods/nulls`;
    await waitFor('Running with conditions', async () => {
      const r = await raw(access, 'GET', path);
      return (r.json?.['status'] as { phase?: string } | undefined)?.phase === 'Running' && conditionsOf(r.json).length > 0;
    }, 20_000);
    await kubectl.ok(['label', 'pod', 'nulls', '-n', NS, 'touched=yes'], { timeoutMs: 45_000 });
    const live = await raw(access, 'GET', path);
    const conditions = conditionsOf(live.json);
    expect(conditions.length).toBeGreaterThan(0);
    for (const c of conditions) expect(c).toHaveProperty('lastProbeTime', null);
    const diff = await kubectl.run(['diff', '-f', file], { timeoutMs: 45_000 });
    expect({ code: diff.code, stdout: diff.stdout, stderr: diff.stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await kubectl.ok(['apply', '--validate=strict', '-f', file], { timeoutMs: 45_000 })).toMatch(/ unchanged\n$/);
  });

  it('a condition written over HTTP without its times is served with them as null; explicit nulls are kept', async () => {
    const created = await raw(access, 'POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }),
    });
    expect(created.status).toBe(201);
    const patched = await raw(access, 'PATCH', `/api/v1/namespaces/${NS}/persistentvolumeclaims/claim/status`, {
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ status: { phase: 'Pending', conditions: [{ type: 'Resizing', status: 'True' }, { type: 'FileSystemResizePending', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' }] } }),
    });
    expect(patched.status).toBe(200);
    expect(conditionsOf(patched.json)).toEqual([
      { type: 'Resizing', status: 'True', lastProbeTime: null, lastTransitionTime: null },
      { type: 'FileSystemResizePending', status: 'False', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
    const got = await raw(access, 'GET', `/api/v1/namespaces/${NS}/persistentvolumeclaims/claim`);
    expect(conditionsOf(got.json)).toEqual(conditionsOf(patched.json));
  });
});
