// OpenAPI v3 discovery for kubectl: an index of group-versions and one document per
// group-version. The schemas come from sim/schema (built-ins) and from CRDs (custom
// resources); operations carry the x-kubernetes-* extensions, the fieldValidation
// parameter (so kubectl validates on the server, API-FACTS.md) and request bodies that
// tell kubectl it may compute strategic merge patches from these schemas.
//
// Documents are built once per registry state: a group-version's document is rebuilt only
// when the resource types in it change (a CRD added, updated or removed), and the index
// hashes are those documents' hashes, so kubectl's disk cache stays valid between runs.
import { createHash } from 'node:crypto';
import type { ResourceRegistry, ResourceType } from '../resources.js';
import { builtinKind } from '../schema/kinds.js';
import {
  PATCH,
  customResourceDefinitionName,
  customResourceSchema,
  listSchema,
  refPath,
  schemaClosure,
  type OpenApiSchema,
} from '../schema/openapi.js';

const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';

interface CachedDoc {
  /** The resource types the document was built from; identity tells whether it is stale. */
  rts: ResourceType[];
  doc: Record<string, unknown>;
  hash: string;
}

const caches = new WeakMap<ResourceRegistry, Map<string, CachedDoc>>();

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function sameTypes(a: ResourceType[], b: ResourceType[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

function cachedDoc(reg: ResourceRegistry, group: string, version: string): CachedDoc | undefined {
  const rts = reg.inGroupVersion(group, version);
  if (rts.length === 0) return undefined;
  let cache = caches.get(reg);
  if (!cache) {
    cache = new Map();
    caches.set(reg, cache);
  }
  const key = gvPath(group, version);
  const hit = cache.get(key);
  if (hit && sameTypes(hit.rts, rts)) return hit;
  const doc = buildDocument(group, version, rts);
  const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
  const fresh: CachedDoc = { rts, doc, hash };
  cache.set(key, fresh);
  return fresh;
}

export function openApiIndex(reg: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [group, versions] of reg.groups()) {
    for (const v of versions) {
      const c = cachedDoc(reg, group, v);
      if (!c) continue;
      const p = gvPath(group, v);
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${c.hash}` };
    }
  }
  return { paths };
}

export function openApiDocument(reg: ResourceRegistry, path: string): Record<string, unknown> | undefined {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 2) return cachedDoc(reg, '', parts[1]!)?.doc;
  if (parts[0] === 'apis' && parts.length === 3) return cachedDoc(reg, parts[1]!, parts[2]!)?.doc;
  return undefined;
}

// ---------------------------------------------------------------- building

function camel(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** kube's operationId prefix: CoreV1, AppsV1, CoordinationV1, ExampleComV1 for CRs. */
function opGroup(group: string, version: string): string {
  const g = group === '' ? 'Core' : group.endsWith('.k8s.io') ? camel(group.split('.')[0]!) : group.split('.').map(camel).join('');
  return `${g}${camel(version)}`;
}

const param = (name: string, where: 'query' | 'path', description: string, type = 'string'): Record<string, unknown> => ({
  name,
  in: where,
  description,
  ...(where === 'path' ? { required: true } : {}),
  schema: { type, uniqueItems: true },
});

const P = {
  namespace: param('namespace', 'path', 'object name and auth scope, such as for teams and projects'),
  name: (kind: string) => param('name', 'path', `name of the ${kind}`),
  pretty: param('pretty', 'query', "If 'true', then the output is pretty printed."),
  dryRun: param('dryRun', 'query', 'When present, indicates that modifications should not be persisted.'),
  fieldManager: param('fieldManager', 'query', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: param(
    'fieldValidation',
    'query',
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default), Strict.',
  ),
  force: param('force', 'query', 'Force is going to "force" Apply requests.', 'boolean'),
  labelSelector: param('labelSelector', 'query', 'A selector to restrict the list of returned objects by their labels.'),
  fieldSelector: param('fieldSelector', 'query', 'A selector to restrict the list of returned objects by their fields.'),
  limit: param('limit', 'query', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  continue: param('continue', 'query', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: param('resourceVersion', 'query', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  resourceVersionMatch: param('resourceVersionMatch', 'query', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  watch: param('watch', 'query', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
  allowWatchBookmarks: param('allowWatchBookmarks', 'query', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  timeoutSeconds: param('timeoutSeconds', 'query', 'Timeout for the list/watch call.', 'integer'),
  gracePeriodSeconds: param('gracePeriodSeconds', 'query', 'The duration in seconds before the object should be deleted.', 'integer'),
  propagationPolicy: param('propagationPolicy', 'query', 'Whether and how garbage collection will be performed.'),
};

const JSON_TYPES = ['application/json', 'application/yaml'];
const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];
// Custom resources take no strategic merge patch; kubectl reads this list to decide
// whether to send one (and otherwise sends a JSON merge patch).
const CR_PATCH_TYPES = PATCH_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json');

function content(types: string[], ref: string): Record<string, unknown> {
  return Object.fromEntries(types.map((t) => [t, { schema: { $ref: refPath(ref) } }]));
}

function response(code: string, ref: string, description = 'OK'): Record<string, unknown> {
  return { [code]: { description, content: content(JSON_TYPES, ref) } };
}

interface KindInfo {
  rt: ResourceType;
  definition: string;
  list: string;
}

function operations(group: string, version: string, k: KindInfo): Record<string, unknown> {
  const { rt } = k;
  const gvk = { group, version, kind: rt.kind };
  const ns = rt.namespaced ? 'Namespaced' : '';
  const idKind = `${opGroup(group, version)}${ns}${rt.kind}`;
  const base = `/${gvPath(group, version)}${rt.namespaced ? '/namespaces/{namespace}' : ''}/${rt.resource}`;
  const verbs = new Set(rt.verbs);
  const op = (action: string, id: string, extra: Record<string, unknown>): Record<string, unknown> => ({
    description: `${action} ${rt.kind}`,
    operationId: id,
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation];
  const collection: Record<string, unknown> = {
    parameters: [...(rt.namespaced ? [P.namespace] : []), P.pretty],
  };
  if (verbs.has('list')) {
    collection['get'] = op('list', `list${idKind}`, {
      parameters: [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.resourceVersionMatch, P.timeoutSeconds, P.watch],
      responses: response('200', k.list),
    });
  }
  if (verbs.has('create')) {
    collection['post'] = op('post', `create${idKind}`, {
      parameters: writeParams,
      requestBody: { content: { '*/*': { schema: { $ref: refPath(k.definition) } } }, required: true },
      responses: { ...response('200', k.definition), ...response('201', k.definition, 'Created'), ...response('202', k.definition, 'Accepted') },
    });
  }
  if (verbs.has('deletecollection')) {
    collection['delete'] = op('deletecollection', `deleteCollection${idKind}`, {
      parameters: [P.continue, P.dryRun, P.fieldSelector, P.gracePeriodSeconds, P.labelSelector, P.limit, P.propagationPolicy, P.resourceVersion, P.timeoutSeconds],
      requestBody: { content: { '*/*': { schema: { $ref: refPath(DELETE_OPTIONS) } } } },
      responses: response('200', STATUS),
    });
  }
  const paths: Record<string, unknown> = { [base]: collection };
  const itemParams = [P.name(rt.kind), ...(rt.namespaced ? [P.namespace] : []), P.pretty];
  const item = (suffix: string, sub: string): Record<string, unknown> => {
    const o: Record<string, unknown> = { parameters: itemParams };
    const idSub = sub ? camel(sub) : '';
    if (verbs.has('get')) o['get'] = op('get', `read${idKind}${idSub}`, { responses: response('200', k.definition) });
    if (verbs.has('update')) {
      o['put'] = op('put', `replace${idKind}${idSub}`, {
        parameters: writeParams,
        requestBody: { content: { '*/*': { schema: { $ref: refPath(k.definition) } } }, required: true },
        responses: { ...response('200', k.definition), ...response('201', k.definition, 'Created') },
      });
    }
    if (verbs.has('patch')) {
      o['patch'] = op('patch', `patch${idKind}${idSub}`, {
        parameters: [...writeParams, P.force],
        requestBody: { content: content(rt.custom ? CR_PATCH_TYPES : PATCH_TYPES, PATCH), required: true },
        responses: { ...response('200', k.definition), ...response('201', k.definition, 'Created') },
      });
    }
    if (!sub && verbs.has('delete')) {
      o['delete'] = op('delete', `delete${idKind}`, {
        parameters: [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy],
        requestBody: { content: { '*/*': { schema: { $ref: refPath(DELETE_OPTIONS) } } } },
        responses: { ...response('200', STATUS), ...response('202', STATUS, 'Accepted') },
      });
    }
    paths[`${base}/{name}${suffix}`] = o;
    return o;
  };
  if (verbs.has('get') || verbs.has('update') || verbs.has('patch') || verbs.has('delete')) item('', '');
  if (rt.statusSubresource) item('/status', 'status');
  return paths;
}

function buildDocument(group: string, version: string, rts: ResourceType[]): Record<string, unknown> {
  const extra: Record<string, OpenApiSchema> = {};
  const roots = new Set<string>([STATUS, DELETE_OPTIONS, PATCH, LIST_META]);
  const kinds: KindInfo[] = [];
  const sorted = [...rts].sort((a, b) => a.resource.localeCompare(b.resource));
  for (const rt of sorted) {
    const gvk = { group, version, kind: rt.kind };
    let name: string;
    if (rt.custom) {
      name = customResourceDefinitionName(group, version, rt.kind);
      extra[name] = customResourceSchema(
        typeof rt.custom.schema === 'object' && rt.custom.schema !== null ? (rt.custom.schema as Record<string, unknown>) : undefined,
        gvk,
      );
      roots.add(OBJECT_META);
    } else {
      const bk = builtinKind(gvk);
      if (!bk) continue;
      name = bk.definition;
      roots.add(name);
    }
    const list = `${name}List`;
    extra[list] = listSchema(name, gvk);
    kinds.push({ rt, definition: name, list });
  }
  const paths: Record<string, unknown> = {};
  for (const k of kinds) Object.assign(paths, operations(group, version, k));
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: schemaClosure(roots, extra) },
  };
}
