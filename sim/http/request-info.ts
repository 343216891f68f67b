// Turns a Kubernetes API path into what it addresses, the way kube-apiserver's
// RequestInfoFactory does: group, version, namespace, resource, name, subresource,
// and whether it is a watch (`?watch=true` or the legacy /watch/ prefix).

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
