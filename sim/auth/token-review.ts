// authentication.k8s.io/v1 TokenReview (is this token someone, for these audiences?) and
// SelfSubjectReview (who am I?: `kubectl auth whoami`), answered as kube's REST storage
// for them does: the spec is echoed, the verdict is in status.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import { isRecord } from '../object.js';
import { decodeRequest, metadataOf, sendCreated, stringList, stringOf } from './request-body.js';
import { requestUser, type RequestAuth } from './request-auth.js';
import type { UserInfo } from './user.js';

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;

/** authentication.k8s.io/v1 UserInfo as JSON: uid and extra only when set (omitempty). */
export function userInfoJson(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: u.username };
  if (u.uid) out['uid'] = u.uid;
  out['groups'] = [...u.groups];
  if (Object.keys(u.extra).length > 0) out['extra'] = Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, [...v]]));
  return out;
}

export function handleTokenReview(auth: RequestAuth, req: FastifyRequest, reply: FastifyReply): void {
  const { obj, warnings } = decodeRequest(req, { group: GROUP, version: 'v1', kind: 'TokenReview', definition: 'io.k8s.api.authentication.v1.TokenReview' });
  const spec = isRecord(obj['spec']) ? obj['spec'] : {};
  const token = stringOf(spec['token']);
  if (!token) throw badRequest('token is required for TokenReview in authentication');
  const asked = stringList(spec['audiences']);
  const audiences = asked.length > 0 ? asked : [...auth.tokens.apiAudiences];
  const r = auth.reviewToken(token, audiences);
  const status: Record<string, unknown> = r.authenticated
    ? { authenticated: true, user: userInfoJson(r.user), audiences: r.audiences }
    : { user: {}, error: r.error };
  sendCreated(
    reply,
    {
      kind: 'TokenReview',
      apiVersion: API_VERSION,
      metadata: { ...metadataOf(obj), creationTimestamp: null },
      spec: { token, ...(asked.length > 0 ? { audiences: asked } : {}) },
      status,
    },
    warnings,
  );
}

export function handleSelfSubjectReview(req: FastifyRequest, reply: FastifyReply): void {
  const { obj, warnings } = decodeRequest(req, { group: GROUP, version: 'v1', kind: 'SelfSubjectReview', definition: 'io.k8s.api.authentication.v1.SelfSubjectReview' });
  sendCreated(
    reply,
    {
      kind: 'SelfSubjectReview',
      apiVersion: API_VERSION,
      metadata: { ...metadataOf(obj), creationTimestamp: null },
      status: { userInfo: userInfoJson(requestUser(req.raw)) },
    },
    warnings,
  );
}
