// OpenAPI v3 discovery for kubectl: an index of group-versions and one document per
// group-version. The schemas come from sim/schema; operations carry the
// x-kubernetes-* extensions and the fieldValidation parameter so kubectl validates on
// the server (API-FACTS.md).
import { createHash } from 'node:crypto';
import type { ResourceRegistry } from '../resources.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiIndex(reg: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [group, versions] of reg.groups()) {
    for (const v of versions) {
      const p = gvPath(group, v);
      const doc = openApiDocument(reg, p);
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hash}` };
    }
  }
  return { paths };
}

export function openApiDocument(reg: ResourceRegistry, path: string): Record<string, unknown> | undefined {
  const parts = path.split('/').filter(Boolean);
  let group: string;
  let version: string;
  if (parts[0] === 'api' && parts.length === 2) {
    group = '';
    version = parts[1]!;
  } else if (parts[0] === 'apis' && parts.length === 3) {
    group = parts[1]!;
    version = parts[2]!;
  } else return undefined;
  const rs = reg.inGroupVersion(group, version);
  if (rs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const fv = { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } };
  for (const r of rs) {
    const gvk = { group, version, kind: r.kind };
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.resource}`;
    const op = (action: string): Record<string, unknown> => ({
      'x-kubernetes-group-version-kind': gvk,
      'x-kubernetes-action': action,
      parameters: action === 'get' || action === 'list' || action === 'delete' ? [] : [fv],
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { get: op('list'), post: op('post') };
    paths[`${base}/{name}`] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}
