// POST /api/v1/namespaces/{ns}/serviceaccounts/{name}/token: the TokenRequest
// subresource, as kube's TokenREST answers it. The body's name and namespace must match
// the URL; the ServiceAccount must exist (404); audiences default to the API server's;
// expirationSeconds defaults to 3600 and may not be under 600 or over 2^32 (422); a
// boundObjectRef names a Pod (which must run as this ServiceAccount), Secret or Node
// whose UID, when given, must match (409). A pod-bound token also names the pod's node.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClusterApi } from '../api.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { isRecord, type KubeObject } from '../object.js';
import { rfc3339 } from '../time.js';
import { fe, invalidError } from '../validation/errors.js';
import { decodeRequest, metadataOf, sendCreated, stringList, stringOf } from './request-body.js';
import {
  DEFAULT_EXPIRATION_SECONDS,
  MAX_EXPIRATION_SECONDS,
  MIN_EXPIRATION_SECONDS,
  type IssuedToken,
  type ObjectRef,
  type ServiceAccountTokens,
  type TokenBinding,
} from './sa-tokens.js';

const GROUP = 'authentication.k8s.io';
const KIND = { group: GROUP, version: 'v1', kind: 'TokenRequest', definition: 'io.k8s.api.authentication.v1.TokenRequest' };

/** The object a token is bound to, looked up; throws kube's errors. */
function resolveBinding(api: ClusterApi, namespace: string, saName: string, ref: Record<string, unknown>): TokenBinding {
  const kind = stringOf(ref['kind']);
  const apiVersion = stringOf(ref['apiVersion']);
  const name = stringOf(ref['name']);
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  const get = (resource: string, ns: string): KubeObject => {
    if (!name) throw badRequest('resource name may not be empty');
    const rt = api.registry.lookup('', 'v1', resource)!;
    return api.parse(api.get(rt, ns, name));
  };
  let binding: TokenBinding;
  let uid: string;
  if (group === '' && kind === 'Pod') {
    const pod = get('pods', namespace);
    const spec = isRecord(pod['spec']) ? pod['spec'] : {};
    if (stringOf(spec['serviceAccountName']) !== saName) {
      throw badRequest(`cannot bind token for serviceaccount ${JSON.stringify(saName)} to pod running with different serviceaccount name.`);
    }
    uid = pod.metadata.uid ?? '';
    binding = { pod: { name, uid } };
    const nodeName = stringOf(spec['nodeName']);
    if (nodeName) {
      // A node that is not registered is still named, without a UID (kube does the same).
      const node = api.tryGet(api.registry.lookup('', 'v1', 'nodes')!, '', nodeName);
      binding.node = { name: nodeName, uid: node?.uid ?? '' };
    }
  } else if (group === '' && kind === 'Secret') {
    uid = get('secrets', namespace).metadata.uid ?? '';
    binding = { secret: { name, uid } };
  } else if (group === '' && kind === 'Node') {
    uid = get('nodes', '').metadata.uid ?? '';
    binding = { node: { name, uid } };
  } else {
    throw badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
  }
  const wantUid = stringOf(ref['uid']);
  if (wantUid && wantUid !== uid) {
    throw conflict(kind, '', name, `the UID in the bound object reference (${wantUid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  return binding;
}

export interface TokenRequestSpec {
  audiences?: readonly string[];
  expirationSeconds?: number;
  /** {kind: Pod | Secret | Node, apiVersion, name, uid?} */
  boundObjectRef?: Record<string, unknown>;
}

export interface GrantedToken extends IssuedToken {
  audiences: string[];
  expirationSeconds: number;
}

/**
 * Issues a token for a ServiceAccount after kube's checks (404 for a missing
 * ServiceAccount or bound object, 422 for a bad expiration, 400/409 for a bad binding).
 * The HTTP subresource and SimCluster.issueToken both come here.
 */
export function grantToken(api: ClusterApi, tokens: ServiceAccountTokens, namespace: string, name: string, spec: TokenRequestSpec): GrantedToken {
  const saRt = api.registry.lookup('', 'v1', 'serviceaccounts')!;
  const sa = api.tryGet(saRt, namespace, name);
  if (!sa) throw notFound('serviceaccounts', '', name);
  const audiences = spec.audiences && spec.audiences.length > 0 ? [...spec.audiences] : [...tokens.apiAudiences];
  const exp = spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (!Number.isInteger(exp) || exp < MIN_EXPIRATION_SECONDS) {
    throw invalidError('TokenRequest', GROUP, '', [fe.invalid('spec.expirationSeconds', exp, 'may not specify a duration less than 10 minutes')]);
  }
  if (exp > MAX_EXPIRATION_SECONDS) {
    throw invalidError('TokenRequest', GROUP, '', [fe.invalid('spec.expirationSeconds', exp, 'may not specify a duration larger than 2^32 seconds')]);
  }
  const bound = spec.boundObjectRef ? resolveBinding(api, namespace, name, spec.boundObjectRef) : undefined;
  const serviceAccount: ObjectRef = { name, uid: sa.uid };
  const issued = tokens.issue({ namespace, serviceAccount, audiences, expirationSeconds: exp, ...(bound ? { bound } : {}) });
  return { ...issued, audiences, expirationSeconds: exp };
}

export function handleTokenRequest(
  api: ClusterApi,
  tokens: ServiceAccountTokens,
  req: FastifyRequest,
  reply: FastifyReply,
  namespace: string,
  name: string,
): void {
  const { obj, warnings } = decodeRequest(req, KIND);
  const meta = metadataOf(obj);
  if (meta['name'] !== undefined && meta['name'] !== '' && meta['name'] !== name) {
    throw invalidError('TokenRequest', GROUP, name, [fe.invalid('metadata.name', meta['name'], 'must match the service account name if specified')]);
  }
  if (meta['namespace'] !== undefined && meta['namespace'] !== '' && meta['namespace'] !== namespace) {
    throw invalidError('TokenRequest', GROUP, name, [fe.invalid('metadata.namespace', meta['namespace'], 'must match the service account namespace if specified')]);
  }
  const spec = isRecord(obj['spec']) ? obj['spec'] : {};
  const ref = isRecord(spec['boundObjectRef']) ? spec['boundObjectRef'] : undefined;
  const granted = grantToken(api, tokens, namespace, name, {
    audiences: stringList(spec['audiences']),
    ...(typeof spec['expirationSeconds'] === 'number' ? { expirationSeconds: spec['expirationSeconds'] } : {}),
    ...(ref ? { boundObjectRef: ref } : {}),
  });
  sendCreated(
    reply,
    {
      kind: 'TokenRequest',
      apiVersion: `${GROUP}/v1`,
      metadata: { ...meta, name, namespace, creationTimestamp: rfc3339(granted.issuedAt) },
      spec: { audiences: granted.audiences, expirationSeconds: granted.expirationSeconds, boundObjectRef: ref ?? null },
      status: { token: granted.token, expirationTimestamp: rfc3339(granted.expiresAt) },
    },
    warnings,
  );
}
