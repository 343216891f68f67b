// Response bodies: objects, lists, Tables and metadata-only forms, chosen from the
// Accept header the way kube-apiserver negotiates them. Lists of stored objects are
// written by concatenating their serialized JSON.

import type { KubeObject } from '../object.js';
import type { ResourceType } from '../resources.js';
import type { StoredObject } from '../store.js';
import { toTable } from '../tables.js';

export type Rendering =
  | { as: 'object' }
  | { as: 'Table'; includeObject: 'None' | 'Metadata' | 'Object' }
  | { as: 'PartialObjectMetadata' };

/**
 * Reads `Accept: application/json;as=Table;v=v1;g=meta.k8s.io, application/json`: the
 * first media type we can produce wins.
 */
export function negotiate(accept: string | undefined, includeObject: string | undefined): Rendering {
  if (!accept) return { as: 'object' };
  for (const clause of accept.split(',')) {
    const [type, ...params] = clause.split(';').map((s) => s.trim());
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const p = new Map<string, string>();
    for (const kv of params) {
      const eq = kv.indexOf('=');
      if (eq > 0) p.set(kv.slice(0, eq).trim(), kv.slice(eq + 1).trim());
    }
    const as = p.get('as');
    if (as === undefined) return { as: 'object' };
    if (p.get('g') !== 'meta.k8s.io' || (p.get('v') !== 'v1' && p.get('v') !== 'v1beta1')) continue;
    if (as === 'Table') {
      const inc = includeObject === 'None' || includeObject === 'Object' ? includeObject : 'Metadata';
      return { as: 'Table', includeObject: inc };
    }
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { as: 'PartialObjectMetadata' };
  }
  return { as: 'object' };
}

export function apiVersionOf(rt: ResourceType): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/** The JSON text of one stored object as this resource version presents it. */
export function objectJson(rt: ResourceType, o: StoredObject, convert?: (obj: KubeObject) => KubeObject): string {
  if (!convert) return o.json;
  return JSON.stringify(convert(JSON.parse(o.json) as KubeObject));
}

export interface ListMeta {
  resourceVersion: number;
  continueToken?: string | undefined;
  remainingItemCount?: number | undefined;
}

function listMeta(m: ListMeta): Record<string, unknown> {
  const meta: Record<string, unknown> = { resourceVersion: String(m.resourceVersion) };
  if (m.continueToken) meta['continue'] = m.continueToken;
  if (m.remainingItemCount !== undefined) meta['remainingItemCount'] = m.remainingItemCount;
  return meta;
}

function listMetaJson(m: ListMeta): string {
  return JSON.stringify(listMeta(m));
}

export function partialMetadata(obj: KubeObject): KubeObject {
  return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: obj.metadata };
}

/** Renders a list response body; yields chunks so a 100k-item list never becomes one giant string. */
export function* renderList(
  rt: ResourceType,
  items: StoredObject[],
  meta: ListMeta,
  r: Rendering,
  now: Date,
  convert?: (obj: KubeObject) => KubeObject,
): Generator<string> {
  if (r.as === 'Table') {
    const objects = items.map((o) => {
      const obj = JSON.parse(o.json) as KubeObject;
      return convert ? convert(obj) : obj;
    });
    const table = toTable(rt.resource, objects, {
      includeObject: r.includeObject,
      now,
      ...(rt.custom ? { crd: { additionalPrinterColumns: rt.custom.printerColumns } } : {}),
    }) as unknown as Record<string, unknown>;
    table['metadata'] = listMeta(meta);
    yield JSON.stringify(table);
    return;
  }
  if (r.as === 'PartialObjectMetadata') {
    yield `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":${listMetaJson(meta)},"items":[`;
    yield items.map((o) => JSON.stringify(partialMetadata(JSON.parse(o.json) as KubeObject))).join(',');
    yield ']}';
    return;
  }
  yield `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(rt))},"metadata":${listMetaJson(meta)},"items":[`;
  const BATCH = 1000;
  for (let i = 0; i < items.length; i += BATCH) {
    const part = items.slice(i, i + BATCH).map((o) => objectJson(rt, o, convert));
    yield (i === 0 ? '' : ',') + part.join(',');
  }
  yield ']}';
}

export function renderOne(rt: ResourceType, o: StoredObject, r: Rendering, now: Date, convert?: (obj: KubeObject) => KubeObject): string {
  if (r.as === 'object') return objectJson(rt, o, convert);
  if (r.as === 'PartialObjectMetadata') return JSON.stringify(partialMetadata(JSON.parse(o.json) as KubeObject));
  return [...renderList(rt, [o], { resourceVersion: o.rv }, r, now, convert)].join('');
}
