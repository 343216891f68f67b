// authorization.k8s.io/v1 reviews, answered by the same authorizers that guard every
// request: SubjectAccessReview (may this user/groups do X?), LocalSubjectAccessReview
// (the same, within one namespace), SelfSubjectAccessReview (may I? `kubectl auth
// can-i`) and SelfSubjectRulesReview (what may I do here? `kubectl auth can-i --list`).
// Validation and messages follow kube's authorization validation and REST storage.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, type StatusCause } from '../errors.js';
import { isRecord } from '../object.js';
import { fe, invalidError, type Causes } from '../validation/errors.js';
import type { Authorizer } from './authorizer.js';
import type { Attributes, PolicyRule } from './rbac-rules.js';
import { decodeRequest, metadataOf, sendCreated, stringList, stringOf, type KindOf } from './request-body.js';
import { requestUser } from './request-auth.js';
import type { UserInfo } from './user.js';

const GROUP = 'authorization.k8s.io';
const API_VERSION = `${GROUP}/v1`;
const kindOf = (kind: string): KindOf => ({ group: GROUP, version: 'v1', kind, definition: `io.k8s.api.authorization.v1.${kind}` });

type Obj = Record<string, unknown>;

interface ReviewSpec {
  resource: Obj | undefined;
  nonResource: Obj | undefined;
}

function specOf(obj: Obj): { spec: Obj } & ReviewSpec {
  const spec = isRecord(obj['spec']) ? obj['spec'] : {};
  return {
    spec,
    resource: isRecord(spec['resourceAttributes']) ? spec['resourceAttributes'] : undefined,
    nonResource: isRecord(spec['nonResourceAttributes']) ? spec['nonResourceAttributes'] : undefined,
  };
}

/**
 * field.Invalid for a NonResourceAttributes value: kube prints the internal struct with
 * Go's %#v, which fe.invalid (JSON) cannot.
 */
function invalidNonResource(n: Obj, detail: string): StatusCause {
  const printed = `authorization.NonResourceAttributes{Path:${JSON.stringify(stringOf(n['path']))}, Verb:${JSON.stringify(stringOf(n['verb']))}}`;
  return { reason: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', message: `Invalid value: ${printed}: ${detail}` };
}

/** Exactly one of resourceAttributes / nonResourceAttributes (kube's wording for both mistakes). */
function validateAttributes(s: ReviewSpec, out: Causes): void {
  if (s.resource && s.nonResource) {
    out.push(invalidNonResource(s.nonResource, 'cannot be specified in combination with resourceAttributes'));
  }
  if (!s.resource && !s.nonResource) {
    // A nil pointer is printed as the string "null".
    out.push(fe.invalid('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
}

function attributesOf(user: UserInfo, s: ReviewSpec): Attributes {
  if (s.resource) {
    const r = s.resource;
    return {
      user,
      verb: stringOf(r['verb']),
      resourceRequest: true,
      path: '',
      apiGroup: stringOf(r['group']),
      apiVersion: stringOf(r['version']),
      namespace: stringOf(r['namespace']),
      resource: stringOf(r['resource']),
      subresource: stringOf(r['subresource']),
      name: stringOf(r['name']),
    };
  }
  const n = s.nonResource ?? {};
  return {
    user,
    verb: stringOf(n['verb']),
    resourceRequest: false,
    path: stringOf(n['path']),
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
}

/** The user a SubjectAccessReview asks about, from its spec. */
function specUser(spec: Obj): UserInfo {
  const extra: Record<string, string[]> = {};
  if (isRecord(spec['extra'])) for (const [k, v] of Object.entries(spec['extra'])) extra[k] = stringList(v);
  return { username: stringOf(spec['user']), uid: stringOf(spec['uid']), groups: stringList(spec['groups']), extra };
}

function answer(reply: FastifyReply, kind: string, obj: Obj, spec: Obj, allowed: boolean, reason: string, warnings: string[], namespace?: string): void {
  const metadata: Obj = { ...metadataOf(obj), creationTimestamp: null };
  if (namespace !== undefined) metadata['namespace'] = namespace;
  sendCreated(reply, { kind, apiVersion: API_VERSION, metadata, spec, status: { allowed, ...(reason ? { reason } : {}) } }, warnings);
}

export function handleSubjectAccessReview(authorizer: Authorizer, req: FastifyRequest, reply: FastifyReply): void {
  const { obj, warnings } = decodeRequest(req, kindOf('SubjectAccessReview'));
  const s = specOf(obj);
  const causes: Causes = [];
  validateAttributes(s, causes);
  if (!stringOf(s.spec['user']) && stringList(s.spec['groups']).length === 0) {
    causes.push(fe.invalid('spec.user', stringOf(s.spec['user']), 'at least one of user or group must be specified'));
  }
  if (causes.length) throw invalidError('SubjectAccessReview', GROUP, '', causes);
  const d = authorizer.authorize(attributesOf(specUser(s.spec), s));
  answer(reply, 'SubjectAccessReview', obj, s.spec, d.allowed, d.reason, warnings);
}

export function handleLocalSubjectAccessReview(authorizer: Authorizer, req: FastifyRequest, reply: FastifyReply, namespace: string): void {
  const { obj, warnings } = decodeRequest(req, kindOf('LocalSubjectAccessReview'));
  const metaNs = metadataOf(obj)['namespace'];
  if (metaNs !== undefined && metaNs !== '' && metaNs !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const s = specOf(obj);
  const causes: Causes = [];
  validateAttributes(s, causes);
  if (!stringOf(s.spec['user']) && stringList(s.spec['groups']).length === 0) {
    causes.push(fe.invalid('spec.user', stringOf(s.spec['user']), 'at least one of user or group must be specified'));
  }
  if (s.nonResource) causes.push(invalidNonResource(s.nonResource, 'disallowed on this kind of request'));
  if (causes.length) throw invalidError('LocalSubjectAccessReview', GROUP, '', causes);
  if (stringOf(s.resource?.['namespace']) !== namespace) throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
  const d = authorizer.authorize(attributesOf(specUser(s.spec), s));
  answer(reply, 'LocalSubjectAccessReview', obj, s.spec, d.allowed, d.reason, warnings, namespace);
}

export function handleSelfSubjectAccessReview(authorizer: Authorizer, req: FastifyRequest, reply: FastifyReply): void {
  const { obj, warnings } = decodeRequest(req, kindOf('SelfSubjectAccessReview'));
  const s = specOf(obj);
  const causes: Causes = [];
  validateAttributes(s, causes);
  if (causes.length) throw invalidError('SelfSubjectAccessReview', GROUP, '', causes);
  const d = authorizer.authorize(attributesOf(requestUser(req.raw), s));
  answer(reply, 'SelfSubjectAccessReview', obj, s.spec, d.allowed, d.reason, warnings);
}

/** authorization/v1 ResourceRule / NonResourceRule JSON (empty lists omitted, verbs always there). */
function splitRules(rules: readonly PolicyRule[]): { resourceRules: Obj[]; nonResourceRules: Obj[] } {
  const resourceRules: Obj[] = [];
  const nonResourceRules: Obj[] = [];
  for (const r of rules) {
    if (r.resources.length > 0) {
      resourceRules.push({
        verbs: r.verbs,
        ...(r.apiGroups.length ? { apiGroups: r.apiGroups } : {}),
        resources: r.resources,
        ...(r.resourceNames.length ? { resourceNames: r.resourceNames } : {}),
      });
    }
    if (r.nonResourceURLs.length > 0) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
  }
  return { resourceRules, nonResourceRules };
}

export function handleSelfSubjectRulesReview(authorizer: Authorizer, req: FastifyRequest, reply: FastifyReply): void {
  const { obj, warnings } = decodeRequest(req, kindOf('SelfSubjectRulesReview'));
  const spec = isRecord(obj['spec']) ? obj['spec'] : {};
  const namespace = stringOf(spec['namespace']);
  if (!namespace) throw badRequest('no namespace on request');
  const { rules, errors } = authorizer.rbac.rulesFor(requestUser(req.raw), namespace);
  const status: Obj = { ...splitRules(rules), incomplete: errors.length > 0 };
  if (errors.length) status['evaluationError'] = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  sendCreated(
    reply,
    { kind: 'SelfSubjectRulesReview', apiVersion: API_VERSION, metadata: { ...metadataOf(obj), creationTimestamp: null }, spec, status },
    warnings,
  );
}
