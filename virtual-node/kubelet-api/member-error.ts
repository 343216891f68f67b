/**
 * A member cluster's refusal or silence as the kubelet API's Status: a Status answer keeps its
 * code and reason (a 400 "container is waiting to start" stays a 400) with the member named,
 * and a member that cannot be reached is a 503, so the user can tell "your request" from
 * "that cluster" at a glance.
 */
import { KubeApiError } from '../../kube/index.js';
import type { MirrorLocation } from '../kubelet-backend.js';
import { KubeletApiError } from './status.js';

export function memberError(err: unknown, mirror: MirrorLocation, what: string): KubeletApiError {
  const where = `member cluster "${mirror.cluster}" (mirror pod ${mirror.namespace}/${mirror.name})`;
  if (err instanceof KubeApiError) {
    const message = err.status?.message || err.body.slice(0, 500) || `HTTP ${err.code}`;
    return new KubeletApiError(err.code, err.reason || (err.code >= 500 ? 'InternalError' : 'BadRequest'), `${what}: ${where}: ${message}`);
  }
  return new KubeletApiError(503, 'ServiceUnavailable', `${what}: ${where} cannot be reached: ${err instanceof Error ? err.message : String(err)}`);
}
