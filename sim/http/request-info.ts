// Turns a Kubernetes API path into what it addresses, the way kube-apiserver's
// RequestInfoFactory does: group, version, namespace, resource, name, subresource,
// and whether it is a watch (`?watch=true` or the legacy /watch/ prefix). For
// authorization, `requestAttributes` adds the verb a method and query amount to.

import { q1, qBool, type Query } from './query.js';

export interface RequestInfo {
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
  /** Path parts after the subresource (pods/x/proxy/a/b). */
  rest: string[];
  legacyWatch: boolean;
}

/** Subresources of namespaces, so /namespaces/foo/status is not read as resource "status" in namespace foo. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseResourcePath(pathname: string): RequestInfo | undefined {
  // decodeURIComponent leaves text without '%' as it is: most parts skip the call.
  const parts = pathname.split('/').filter((p) => p !== '').map((p) => (p.includes('%') ? decodeURIComponent(p) : p));
  let group: string;
  let version: string;
  let i: number;
  if (parts[0] === 'api') {
    if (parts.length < 3) return undefined;
    group = '';
    version = parts[1]!;
    i = 2;
  } else if (parts[0] === 'apis') {
    if (parts.length < 4) return undefined;
    group = parts[1]!;
    version = parts[2]!;
    i = 3;
  } else {
    return undefined;
  }
  let legacyWatch = false;
  if (parts[i] === 'watch') {
    legacyWatch = true;
    i++;
  }
  const rest = parts.slice(i);
  const info: RequestInfo = {
    group,
    version,
    namespace: undefined,
    resource: '',
    name: undefined,
    subresource: undefined,
    rest: [],
    legacyWatch,
  };
  if (rest[0] === 'namespaces' && rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) {
    info.namespace = rest[1];
    info.resource = rest[2]!;
    info.name = rest[3];
    info.subresource = rest[4];
    info.rest = rest.slice(5);
  } else {
    if (rest.length === 0) return undefined;
    info.resource = rest[0]!;
    info.name = rest[1];
    info.subresource = rest[2];
    info.rest = rest.slice(3);
  }
  return info;
}

/** What a request asks for, as an authorizer reads it (kube's authorizer.Attributes without the user). */
export interface RequestAttributes {
  /** get, list, watch, create, update, patch, delete, deletecollection; the lower-case method for non-resource paths. */
  verb: string;
  /** False for paths that are not API resources (discovery, /version, /openapi, /healthz). */
  resourceRequest: boolean;
  path: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

const METHOD_VERBS: Readonly<Record<string, string>> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** A name kube accepts as one path segment (path.IsValidPathSegmentName). */
function isPathSegmentName(s: string): boolean {
  return s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('%');
}

/** The value `metadata.name` must equal under a field selector, if it pins one (RequiresExactMatch). */
function exactName(fieldSelector: string | undefined): string | undefined {
  if (!fieldSelector) return undefined;
  for (const term of fieldSelector.split(/(?<!\\),/)) {
    const m = /^\s*metadata\.name\s*(==|=)(.*)$/.exec(term);
    if (m) return m[2]!.replace(/\\(.)/g, '$1');
  }
  return undefined;
}

/**
 * The verb, resource and scope of a request, as kube's RequestInfoFactory derives them:
 * a GET without a name is a list (a watch with `watch=true` or the /watch/ prefix, and
 * named when a field selector pins metadata.name), a DELETE without one a
 * deletecollection; /namespaces/{name} is in its own namespace.
 */
export function requestAttributes(method: string, path: string, query: Query): RequestAttributes {
  const info = parseResourcePath(path);
  if (!info) {
    return { verb: method.toLowerCase(), resourceRequest: false, path, apiGroup: '', apiVersion: '', namespace: '', resource: '', subresource: '', name: '' };
  }
  let verb = info.legacyWatch ? 'watch' : (METHOD_VERBS[method] ?? '');
  let name = info.name ?? '';
  // The namespaces resource addresses a namespace by its name: that is also its scope.
  const namespace = info.namespace ?? (info.group === '' && info.resource === 'namespaces' ? name : '');
  if (!name && verb === 'get') {
    verb = qBool(query, 'watch') ? 'watch' : 'list';
    const pinned = exactName(q1(query, 'fieldSelector'));
    if (pinned !== undefined && isPathSegmentName(pinned)) name = pinned;
  }
  if (!name && verb === 'delete') verb = 'deletecollection';
  return {
    verb,
    resourceRequest: true,
    path,
    apiGroup: info.group,
    apiVersion: info.version,
    namespace,
    resource: info.resource,
    subresource: info.subresource ?? '',
    name,
  };
}
