// Admission and OpenAPI over the wire: raw HTTPS requests and the real kubectl against a
// sim, asserting what a user sees (messages, Warning headers, defaults, applied manifests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { accessFor, expectStatus, raw, startTestSim, type ClusterAccess, type TestSim } from '../e2e/helpers.js';

let t: TestSim;
let host: ClusterAccess;
let kubectl: Kubectl | undefined;

beforeAll(async () => {
  t = await startTestSim({ clusters: ['host'], nodes: 1, scheduler: false });
  host = accessFor(t.sim.kubeconfig, 'host');
  if (hasKubectl) kubectl = new Kubectl(t.sim.kubeconfig);
});

afterAll(async () => {
  kubectl?.cleanup();
  await t?.stop();
});

const PODS = '/api/v1/namespaces/default/pods';

function podBody(name: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', ...container }], ...spec },
  });
}

describe('fieldValidation over HTTP', () => {
  it('Strict: 400 with the unknown fields', async () => {
    const r = await raw(host, 'POST', `${PODS}?fieldValidation=Strict`, { body: podBody('strict', { foo: 1 }) });
    expect(expectStatus(r, 400, 'BadRequest')['message']).toBe(
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.foo"',
    );
  });

  it('default (Warn): created, unknown field pruned, Warning header 299', async () => {
    const r = await raw(host, 'POST', PODS, { body: podBody('warned', { foo: 1 }) });
    expect(r.status).toBe(201);
    expect(r.headers['warning']).toBe('299 - "unknown field \\"spec.foo\\""');
    const spec = r.json?.['spec'] as Record<string, unknown>;
    expect(spec['foo']).toBeUndefined();
    const got = await raw(host, 'GET', `${PODS}/warned`);
    expect((got.json?.['spec'] as Record<string, unknown>)['foo']).toBeUndefined();
  });

  it('PATCH with an unknown field under Strict is rejected, and the object is unchanged', async () => {
    const r = await raw(host, 'PATCH', `${PODS}/warned?fieldValidation=Strict`, {
      body: JSON.stringify({ metadata: { labels: { a: 'b' } }, spec: { bogus: true } }),
      contentType: 'application/merge-patch+json',
    });
    expect(expectStatus(r, 400, 'BadRequest')['message']).toContain('unknown field "spec.bogus"');
    const got = await raw(host, 'GET', `${PODS}/warned`);
    expect((got.json?.['metadata'] as Record<string, unknown>)['labels']).toBeUndefined();
  });

  it('a pod spec change other than the image is 422 Forbidden', async () => {
    const r = await raw(host, 'PATCH', `${PODS}/warned`, {
      body: JSON.stringify({ spec: { restartPolicy: 'Never' } }),
      contentType: 'application/merge-patch+json',
    });
    const s = expectStatus(r, 422, 'Invalid');
    expect(s['message']).toMatch(/^Pod "warned" is invalid: spec: Forbidden: pod updates may not change fields other than/);
    const ok = await raw(host, 'PATCH', `${PODS}/warned`, {
      body: JSON.stringify({ spec: { containers: [{ name: 'app', image: 'nginx:1.28' }] } }),
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(ok.status).toBe(200);
  });

  it('type errors: 400 for built-ins', async () => {
    const r = await raw(host, 'POST', PODS, { body: podBody('typed', {}, { ports: [{ containerPort: 'http' }] }) });
    expect(expectStatus(r, 400, 'BadRequest')['message']).toContain(
      'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
    );
  });

  it('422 Invalid with causes for bad names and containers', async () => {
    const r = await raw(host, 'POST', PODS, { body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ok' }, spec: { containers: [{ name: 'Bad_Name' }] } }) });
    const s = expectStatus(r, 422, 'Invalid');
    const causes = (s['details'] as { causes: Array<{ field: string }> }).causes.map((c) => c.field);
    expect(causes).toEqual(['spec.containers[0].name', 'spec.containers[0].image']);
  });
});

describe('OpenAPI v3', () => {
  it('publishes schemas with GVKs, patch metadata and a stable hash', async () => {
    const idx1 = await raw(host, 'GET', '/openapi/v3');
    const idx2 = await raw(host, 'GET', '/openapi/v3');
    expect(idx1.body).toBe(idx2.body);
    const paths = idx1.json?.['paths'] as Record<string, { serverRelativeURL: string }>;
    const doc = await raw(host, 'GET', paths['api/v1']!.serverRelativeURL);
    const schemas = (doc.json?.['components'] as { schemas: Record<string, Record<string, unknown>> }).schemas;
    expect(schemas['io.k8s.api.core.v1.Pod']?.['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
    const containers = (schemas['io.k8s.api.core.v1.PodSpec']?.['properties'] as Record<string, Record<string, unknown>>)['containers']!;
    expect(containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map' });
    expect(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] });
  });

  it('adds a custom resource\'s schema when its CRD is created, and changes that group\'s hash', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    const before = (await raw(host, 'GET', '/openapi/v3')).json?.['paths'] as Record<string, unknown>;
    expect(before['apis/example.com/v1']).toBeUndefined();
    const r = await raw(host, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: JSON.stringify(crd) });
    expect(r.status).toBe(201);
    const after = (await raw(host, 'GET', '/openapi/v3')).json?.['paths'] as Record<string, { serverRelativeURL: string }>;
    const doc = await raw(host, 'GET', after['apis/example.com/v1']!.serverRelativeURL);
    const schemas = (doc.json?.['components'] as { schemas: Record<string, Record<string, unknown>> }).schemas;
    expect(schemas['com.example.v1.Gadget']?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'example.com', version: 'v1', kind: 'Gadget' }]);
    expect((schemas['com.example.v1.Gadget']?.['properties'] as Record<string, unknown>)['metadata']).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
      default: {},
    });
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();

    const bad = await raw(host, 'POST', '/apis/example.com/v1/namespaces/default/gadgets', {
      body: JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { size: 'big' } }),
    });
    expect(expectStatus(bad, 422, 'Invalid')['message']).toBe(
      'Gadget.example.com "g" is invalid: spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
    );
  });
});

describe.skipIf(!hasKubectl)('kubectl', () => {
  it('apply --validate=strict prints the server\'s unknown-field error', async () => {
    const file = kubectl!.writeFile(
      'bad-pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: strict-pod\nspec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    imagePullPolic: Always\n',
    );
    const r = await kubectl!.run(['apply', '--validate=strict', '-f', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('strict decoding error: unknown field "spec.containers[0].imagePullPolic"');
  });

  it('create -f then get -o json shows kube\'s defaults', async () => {
    const file = kubectl!.writeFile(
      'pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: defaulted\nspec:\n  containers:\n  - name: app\n    image: nginx\n    ports:\n    - containerPort: 80\n    resources:\n      limits:\n        cpu: 500m\n        memory: 128Mi\n',
    );
    await kubectl!.ok(['create', '-f', file]);
    const pod = JSON.parse(await kubectl!.ok(['get', 'pod', 'defaulted', '-o', 'json'])) as Record<string, Record<string, unknown>>;
    expect(pod['spec']).toMatchObject({
      schedulerName: 'default-scheduler',
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      enableServiceLinks: true,
      securityContext: {},
      containers: [
        {
          imagePullPolicy: 'Always',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } },
        },
      ],
    });
    expect(pod['status']).toMatchObject({ phase: 'Pending', qosClass: 'Guaranteed' });
  });

  it('applies a Deployment + Service manifest, then re-applies a change', async () => {
    const manifest = (replicas: number, image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 8080
          name: http
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: http
`;
    const file = kubectl!.writeFile('web.yaml', manifest(2, 'nginx:1.27'));
    const out = await kubectl!.ok(['apply', '--validate=strict', '-f', file]);
    expect(out).toContain('deployment.apps/web created');
    expect(out).toContain('service/web created');
    // -v=6 logs requests: kubectl computes the strategic merge patch from our OpenAPI v3
    // schema (patch strategies, merge keys), so it never falls back to /openapi/v2.
    const again = await kubectl!.run(['apply', '-v=6', '-f', kubectl!.writeFile('web2.yaml', manifest(3, 'nginx:1.28'))]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('deployment.apps/web configured');
    expect(again.stdout).toContain('service/web unchanged');
    expect(again.stderr).toContain('/openapi/v3/apis/apps/v1?hash=');
    expect(again.stderr).not.toContain('/openapi/v2');
    expect(again.stderr.toLowerCase()).not.toContain('warning');
    const d = JSON.parse(await kubectl!.ok(['get', 'deployment', 'web', '-o', 'json'])) as { spec: Record<string, unknown> };
    expect(d.spec).toMatchObject({
      replicas: 3,
      revisionHistoryLimit: 10,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28', ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }] }] } },
    });
    const svc = JSON.parse(await kubectl!.ok(['get', 'service', 'web', '-o', 'json'])) as { spec: Record<string, unknown> };
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 'http' }] });
    expect(typeof svc.spec['clusterIP']).toBe('string');
  });

  it('applies, re-applies and strictly validates a custom resource (merge patch, not strategic)', async () => {
    const crd = kubectl!.writeFile(
      'crd.yaml',
      `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, default: 3}
              color: {type: string}
`,
    );
    await kubectl!.ok(['apply', '-f', crd]);
    const cr = (color: string, extra = ''): string => `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  color: ${color}\n${extra}`;
    const bad = await kubectl!.run(['apply', '-f', kubectl!.writeFile('w0.yaml', cr('red', '  shape: round\n'))]);
    expect(bad.stderr).toContain('Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.shape"');
    await kubectl!.ok(['apply', '-f', kubectl!.writeFile('w1.yaml', cr('red'))]);
    const out = await kubectl!.ok(['apply', '-f', kubectl!.writeFile('w2.yaml', cr('blue'))]);
    expect(out).toContain('widget.example.com/w1 configured');
    const w = JSON.parse(await kubectl!.ok(['get', 'widgets', 'w1', '-o', 'json'])) as { spec: unknown };
    expect(w.spec).toEqual({ color: 'blue', size: 3 });
  });

  it('explain reads the published schema', async () => {
    const out = await kubectl!.ok(['explain', 'pod.spec.containers.imagePullPolicy']);
    expect(out).toContain('imagePullPolicy');
    expect(out).toContain('<string>');
  });
});
