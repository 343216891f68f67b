// How the apiserver addresses a pod's container and reaches its node's kubelet; shared
// by the pods/log proxy and the exec/attach/port-forward upgrade proxy.

import type { ClusterApi } from '../api.js';
import { ApiError, badRequest } from '../errors.js';
import { isRecord, type KubeObject } from '../object.js';
import { q1, type Query } from './query.js';

type Obj = Record<string, unknown>;

/** The apiserver's kubelet-client certificate and key, presented to every kubelet. */
export interface KubeletClientCredentials {
  key: string;
  cert: string;
}

/**
 * The container a pod subresource addresses: `container` from the query, or the only
 * container; kube-apiserver's wording for the errors.
 */
export function pickContainer(pod: KubeObject, query: Query): string {
  const spec = (isRecord(pod['spec']) ? pod['spec'] : {}) as Obj;
  const names = (key: string): string[] => ((Array.isArray(spec[key]) ? spec[key] : []) as Obj[]).map((c) => String(c['name']));
  const containers = names('containers');
  const others = [...names('initContainers'), ...names('ephemeralContainers')];
  const wanted = q1(query, 'container');
  const podName = pod.metadata.name ?? '';
  if (wanted) {
    if (!containers.includes(wanted) && !others.includes(wanted)) {
      throw badRequest(`container ${wanted} is not valid for pod ${podName}`);
    }
    return wanted;
  }
  if (containers.length === 1) return containers[0]!;
  throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`);
}

/**
 * Where the apiserver reaches a node's kubelet: the node's InternalIP (or first address)
 * and `status.daemonEndpoints.kubeletEndpoint.Port`. `what` ends the error message.
 */
export function kubeletAddress(api: ClusterApi, nodeName: string, what: string): { host: string; port: number } {
  const node = api.tryGet(api.registry.lookup('', 'v1', 'nodes')!, '', nodeName);
  if (!node) throw new ApiError(404, 'NotFound', `nodes "${nodeName}" not found`);
  const n = api.parse(node);
  const status = (isRecord(n['status']) ? n['status'] : {}) as Obj;
  const port = Number(((status['daemonEndpoints'] as Obj | undefined)?.['kubeletEndpoint'] as Obj | undefined)?.['Port'] ?? 0);
  const addrs = (Array.isArray(status['addresses']) ? status['addresses'] : []) as Obj[];
  const addr = (addrs.find((a) => a['type'] === 'InternalIP') ?? addrs[0])?.['address'];
  if (!port || typeof addr !== 'string') {
    throw new ApiError(400, 'BadRequest', `node ${nodeName} has no kubelet endpoint to ${what}`);
  }
  // The sim only ever dials loopback: it is a test fixture, not a network client.
  if (!addr.startsWith('127.') && addr !== 'localhost' && addr !== '::1') {
    throw new ApiError(502, 'ServiceUnavailable', `refusing to proxy to non-loopback kubelet address ${addr}`);
  }
  return { host: addr, port };
}
