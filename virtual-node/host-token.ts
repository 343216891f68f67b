/**
 * Host API access for a mirror: a Spark driver on the virtual node creates its executors in the
 * *host* cluster, so its mirror must carry a host identity. A TokenRequest for the pod's host
 * ServiceAccount (bound to the host pod, so it dies with it) is stored as a Secret beside the
 * mirror with the host CA and namespace; the mirror mounts it at the standard path and points
 * KUBERNETES_SERVICE_HOST/PORT at the host API (mirror.ts). Refreshed before it expires.
 */
import { KubeApiError, type KubeClient } from '../kube/index.js';
import { MANAGED_BY_LABEL, ORIGIN_CLUSTER_ANNOTATION, ORIGIN_CLUSTER_LABEL, ORIGIN_NAME_ANNOTATION, ORIGIN_NAMESPACE_ANNOTATION, ORIGIN_UID_ANNOTATION } from '../api/index.js';
import type { PodJson } from './mirror.js';

export interface HostApiAccess {
  /** Address and port mirrors use to reach the host API. */
  host: string;
  port: number;
  /** The host API's CA (PEM), mounted as ca.crt. */
  caPem: string;
}

/** Token lifetime asked for (the API's minimum is 600 s). */
export const TOKEN_SECONDS = 3600;

export function tokenSecretName(mirrorName: string): string {
  return `${mirrorName}-host-token`;
}

export interface IssuedToken {
  secretName: string;
  /** Clock ms when it should be refreshed (80 % of its life). */
  refreshAt: number;
}

/** Requests a host token for the pod's ServiceAccount and writes (or rewrites) the member Secret. */
export async function issueHostToken(opts: {
  host: KubeClient;
  member: KubeClient;
  hostCluster: string;
  owner: string;
  pod: PodJson;
  mirrorName: string;
  access: HostApiAccess;
  now?: () => number;
}): Promise<IssuedToken> {
  const { pod } = opts;
  const ns = pod.metadata?.namespace ?? 'default';
  const sa = typeof pod.spec?.['serviceAccountName'] === 'string' && pod.spec['serviceAccountName'] !== '' ? (pod.spec['serviceAccountName'] as string) : 'default';
  const now = (opts.now ?? Date.now)();
  const review = await opts.host.requestJson<{ status?: { token?: string; expirationTimestamp?: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`,
    body: {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: TOKEN_SECONDS, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } },
    },
  });
  const token = review.status?.token;
  if (!token) throw new Error(`TokenRequest for ServiceAccount ${ns}/${sa} answered no token`);
  const expires = Date.parse(review.status?.expirationTimestamp ?? '') || now + TOKEN_SECONDS * 1000;
  const secretName = tokenSecretName(opts.mirrorName);
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const body = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretName,
      namespace: ns,
      labels: { [MANAGED_BY_LABEL]: opts.owner, [ORIGIN_CLUSTER_LABEL]: opts.hostCluster },
      annotations: {
        [ORIGIN_CLUSTER_ANNOTATION]: opts.hostCluster,
        [ORIGIN_NAMESPACE_ANNOTATION]: ns,
        [ORIGIN_NAME_ANNOTATION]: pod.metadata?.name ?? '',
        [ORIGIN_UID_ANNOTATION]: pod.metadata?.uid ?? '',
      },
    },
    data: { token: b64(token), 'ca.crt': b64(opts.access.caPem), namespace: b64(ns) },
  };
  const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/secrets`;
  try {
    await opts.member.request({ method: 'POST', path, body });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.code === 409)) throw err;
    const cur = await opts.member.requestJson<{ metadata?: { resourceVersion?: string; labels?: Record<string, string> } }>({ path: `${path}/${encodeURIComponent(secretName)}` });
    if (cur.metadata?.labels?.[ORIGIN_CLUSTER_LABEL] !== opts.hostCluster) throw new Error(`Secret ${ns}/${secretName} in the member cluster is not Tidepool's; not overwriting it`);
    await opts.member.request({ method: 'PUT', path: `${path}/${encodeURIComponent(secretName)}`, body: { ...body, metadata: { ...body.metadata, resourceVersion: cur.metadata.resourceVersion } } });
  }
  return { secretName, refreshAt: now + Math.floor((expires - now) * 0.8) };
}
