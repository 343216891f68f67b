// The OpenAPI v3 documents kubectl reads: complete (every $ref resolves inside its own
// document), with a GVK on every kind and its List, kube's extensions, custom resources
// from their CRDs, and hashes that change only when a group-version's types change.
import { describe, expect, it } from 'vitest';
import { openApiDocument, openApiIndex } from '../../../sim/http/openapi.js';
import { crdResourceTypes } from '../../../sim/kinds.js';
import type { KubeObject } from '../../../sim/object.js';
import { ResourceRegistry } from '../../../sim/resources.js';
import { customResourceDefinitionName } from '../../../sim/schema/openapi.js';

type Schemas = Record<string, Record<string, unknown>>;

function schemasOf(reg: ResourceRegistry, path: string): Schemas {
  const doc = openApiDocument(reg, path) as { components: { schemas: Schemas } } | undefined;
  if (!doc) throw new Error(`no document for ${path}`);
  return doc.components.schemas;
}

function refsIn(v: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(v)) for (const x of v) refsIn(x, out);
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.add(x.replace('#/components/schemas/', ''));
      else refsIn(x, out);
    }
  }
  return out;
}

const crd: KubeObject = {
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
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { port: { 'x-kubernetes-int-or-string': true } } } } } },
      },
    ],
  },
};

describe('OpenAPI v3 documents', () => {
  it('resolve every $ref within each group-version document', () => {
    const reg = new ResourceRegistry();
    const idx = openApiIndex(reg) as { paths: Record<string, unknown> };
    expect(Object.keys(idx.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/coordination.k8s.io/v1']));
    for (const path of Object.keys(idx.paths)) {
      const doc = openApiDocument(reg, path)!;
      const schemas = (doc['components'] as { schemas: Schemas }).schemas;
      const missing = [...refsIn(doc)].filter((r) => schemas[r] === undefined);
      expect(missing, path).toEqual([]);
    }
  });

  it('give every served kind and its List a GVK, and every operation one too', () => {
    const reg = new ResourceRegistry();
    const schemas = schemasOf(reg, 'apis/apps/v1');
    expect(schemas['io.k8s.api.apps.v1.Deployment']?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    expect(schemas['io.k8s.api.apps.v1.Deployment']?.['description']).toBe('Deployment enables declarative updates for Pods and ReplicaSets.');
    expect(schemas['io.k8s.api.apps.v1.DeploymentList']?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'DeploymentList' }]);
    const doc = openApiDocument(reg, 'apis/apps/v1') as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!['patch']!;
    expect(patch['x-kubernetes-action']).toBe('patch');
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect((patch['parameters'] as Array<{ name: string }>).map((p) => p.name)).toContain('fieldValidation');
    expect(Object.keys((patch['requestBody'] as { content: Record<string, unknown> }).content)).toContain('application/strategic-merge-patch+json');
  });

  it('carry kube\'s extensions: patch strategy, map keys, int-or-string, retainKeys', () => {
    const reg = new ResourceRegistry();
    const core = schemasOf(reg, 'api/v1');
    const tolerations = (core['io.k8s.api.core.v1.PodSpec']!['properties'] as Schemas)['tolerations'];
    expect(tolerations?.['type']).toBe('array');
    const env = (core['io.k8s.api.core.v1.Container']!['properties'] as Schemas)['env'];
    expect(env).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-map-keys': ['name'] });
    const strategy = (schemasOf(reg, 'apis/apps/v1')['io.k8s.api.apps.v1.DeploymentSpec']!['properties'] as Schemas)['strategy'];
    expect(strategy?.['x-kubernetes-patch-strategy']).toBe('retainKeys');
    const limits = (core['io.k8s.api.core.v1.ResourceRequirements']!['properties'] as Schemas)['limits'];
    expect(limits).toEqual({ type: 'object', additionalProperties: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' } });
  });

  it('publish a custom resource from its CRD and re-hash only that group-version', () => {
    const reg = new ResourceRegistry();
    const before = openApiIndex(reg) as { paths: Record<string, { serverRelativeURL: string }> };
    for (const rt of crdResourceTypes(crd)) reg.add(rt);
    const after = openApiIndex(reg) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(after.paths['api/v1']).toEqual(before.paths['api/v1']);
    expect(after.paths['apis/example.com/v1']?.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/example\.com\/v1\?hash=[0-9A-F]{128}$/);
    const name = customResourceDefinitionName('example.com', 'v1', 'Widget');
    expect(name).toBe('com.example.v1.Widget');
    const w = schemasOf(reg, 'apis/example.com/v1')[name]!;
    expect(w['x-kubernetes-group-version-kind']).toEqual([{ group: 'example.com', version: 'v1', kind: 'Widget' }]);
    expect(((w['properties'] as Schemas)['spec']!['properties'] as Schemas)['port']).toEqual({ 'x-kubernetes-int-or-string': true });
    // A changed CRD (new resource type objects) changes the hash.
    reg.removeCrd('widgets.example.com');
    const changed = structuredClone(crd);
    ((changed['spec'] as { versions: Array<Record<string, unknown>> }).versions[0]!)['schema'] = { openAPIV3Schema: { type: 'object' } };
    for (const rt of crdResourceTypes(changed)) reg.add(rt);
    const again = openApiIndex(reg) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(again.paths['apis/example.com/v1']).not.toEqual(after.paths['apis/example.com/v1']);
  });
});
