// The write verbs with the mutating webhook stage in kube-apiserver's place: after the
// body is decoded (strict field checks, pruning) and defaulted, before the kind's own
// admission (priority, validation) and storage. So a webhook sees what it would see in a
// real cluster (the namespace filled in, defaults set, no uid yet on a create), and
// validation judges the object the webhooks made.
//
// The HTTP handler calls these only when AdmissionWebhooks.mayCall says a stored webhook has
// a rule for the request; everything else keeps the synchronous fast path. The decode step
// runs once: the write after the webhooks passes fieldValidation Ignore, which still prunes
// what a webhook added that the schema does not know (kube drops it when it decodes the
// patched object) but does not repeat the client's warnings or errors.
//
// An update re-reads the object after the webhooks answer and retries (at most
// MAX_ATTEMPTS) when it changed meanwhile, as kube's GuaranteedUpdate re-runs admission.
// Writes not sent to webhooks: server-side apply, deletecollection, binding, eviction,
// scale, and everything in-process controllers write (kubelets, scheduler), which the sim
// trusts like kube's own components.
import { admitDecode } from '../admission.js';
import type { ClusterApi, DeleteOptions, DeleteResult, WriteOptions, WriteResult } from '../api.js';
import { conflict, STALE_OBJECT_MESSAGE } from '../errors.js';
import { deepClone, type KubeObject } from '../object.js';
import type { ResourceType } from '../resources.js';
import { applyDefaults, carryOver } from '../validation/index.js';
import { ADMIN_USER } from '../auth/user.js';
import type { AdmissionAttributes, AdmissionWebhooks, UserInfo } from './dispatcher.js';

export const MAX_ATTEMPTS = 5;

type UpdateOptions = WriteOptions & { subresource?: string };

/** The write after the webhooks: the client's decode step is done (see the module comment). */
function afterDecode<T extends WriteOptions>(opts: T): T {
  return { ...opts, fieldValidation: 'Ignore', duplicates: [] };
}

function operationOptions(kind: string, opts: { dryRun?: boolean; fieldManager?: string; fieldValidation?: string }): Record<string, unknown> {
  return {
    kind,
    apiVersion: 'meta.k8s.io/v1',
    ...(opts.dryRun ? { dryRun: ['All'] } : {}),
    ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}),
    ...(opts.fieldValidation ? { fieldValidation: opts.fieldValidation } : {}),
  };
}

/** kube's NamespaceLifecycle answers before any webhook for a missing or terminating namespace. */
function namespaceOpen(api: ClusterApi, namespace: string): boolean {
  const ns = api.store.get('/namespaces', namespace);
  return ns !== undefined && !(ns.json.includes('"deletionTimestamp"') && api.parse(ns).metadata.deletionTimestamp);
}

class StaleRead extends Error {}

export async function createWithWebhooks(
  hooks: AdmissionWebhooks,
  api: ClusterApi,
  rt: ResourceType,
  namespace: string,
  obj: KubeObject,
  opts: WriteOptions,
  userInfo: UserInfo = ADMIN_USER,
): Promise<WriteResult> {
  if (rt.namespaced) {
    // A mismatched namespace and a closed namespace are api.create's errors to give.
    if ((obj.metadata.namespace && obj.metadata.namespace !== namespace) || !namespaceOpen(api, namespace)) return api.create(rt, namespace, obj, opts);
    obj.metadata.namespace = namespace;
  }
  const attrs: AdmissionAttributes = {
    operation: 'CREATE',
    rt,
    subresource: '',
    namespace: rt.namespaced ? namespace : '',
    name: obj.metadata.name ?? '',
    object: obj,
    oldObject: undefined,
    dryRun: opts.dryRun === true,
    options: operationOptions('CreateOptions', opts),
    userInfo,
  };
  if (!hooks.anyMatch(attrs)) return api.create(rt, namespace, obj, opts);
  const decodeWarnings = admitDecode(rt, obj, opts);
  if (!rt.custom) applyDefaults(rt.group, rt.kind, obj, true);
  const out = await hooks.admit(attrs);
  const res = api.create(rt, namespace, out.object ?? obj, afterDecode(opts));
  return { object: res.object, warnings: [...decodeWarnings, ...out.warnings, ...res.warnings] };
}

/**
 * An update through the webhooks. `next(old)` makes the object to write from the stored one
 * (a PUT body, or a patch applied); the webhooks see it with `old` as oldObject.
 */
async function updateThrough(
  hooks: AdmissionWebhooks,
  api: ClusterApi,
  rt: ResourceType,
  namespace: string,
  name: string,
  next: (old: KubeObject) => KubeObject,
  opts: UpdateOptions,
  userInfo: UserInfo,
  plain: () => WriteResult,
): Promise<WriteResult> {
  for (let attempt = 1; ; attempt++) {
    const current = api.tryGet(rt, namespace, name);
    if (!current) return plain(); // its 404
    const old = api.parse(current);
    const candidate = next(old);
    const attrs: AdmissionAttributes = {
      operation: 'UPDATE',
      rt,
      subresource: opts.subresource ?? '',
      namespace: rt.namespaced ? namespace : '',
      name,
      object: candidate,
      oldObject: old,
      dryRun: opts.dryRun === true,
      options: operationOptions('UpdateOptions', opts),
      userInfo,
    };
    if (!hooks.anyMatch(attrs)) return plain();
    const decodeWarnings = admitDecode(rt, candidate, opts);
    if (!rt.custom) {
      carryOver(rt.group, rt.kind, candidate, old);
      applyDefaults(rt.group, rt.kind, candidate, false);
    }
    const out = await hooks.admit(attrs);
    const written = out.object ?? candidate;
    try {
      const res = api.derive(
        rt,
        namespace,
        name,
        (now) => {
          if (now.metadata.resourceVersion !== String(current.rv)) throw new StaleRead();
          return written;
        },
        afterDecode(opts),
      );
      return { object: res.object, warnings: [...decodeWarnings, ...out.warnings, ...res.warnings] };
    } catch (e) {
      if (!(e instanceof StaleRead)) throw e;
      if (attempt >= MAX_ATTEMPTS) throw conflict(rt.resource, rt.group, name, STALE_OBJECT_MESSAGE);
    }
  }
}

/** PUT: replaces the object with `body`. A resourceVersion in the body is the client's precondition. */
export function updateWithWebhooks(
  hooks: AdmissionWebhooks,
  api: ClusterApi,
  rt: ResourceType,
  namespace: string,
  name: string,
  body: KubeObject,
  opts: UpdateOptions,
  userInfo: UserInfo = ADMIN_USER,
): Promise<WriteResult> {
  const plain = (): WriteResult => api.update(rt, namespace, name, body, opts);
  // api.update's own checks (name and namespace match, the client's resourceVersion) come first.
  if (body.metadata.name !== undefined && body.metadata.name !== name) return Promise.resolve().then(plain);
  if (rt.namespaced && body.metadata.namespace !== undefined && body.metadata.namespace !== namespace) return Promise.resolve().then(plain);
  const wantRv = body.metadata.resourceVersion;
  return updateThrough(
    hooks,
    api,
    rt,
    namespace,
    name,
    (old) => {
      if (wantRv !== undefined && wantRv !== '' && wantRv !== old.metadata.resourceVersion) throw conflict(rt.resource, rt.group, name, STALE_OBJECT_MESSAGE);
      return deepClone(body);
    },
    opts,
    userInfo,
    plain,
  );
}

/** PATCH: `derive` applies the patch to a stored object and returns a new one (it must not change its argument). */
export function patchWithWebhooks(
  hooks: AdmissionWebhooks,
  api: ClusterApi,
  rt: ResourceType,
  namespace: string,
  name: string,
  derive: (old: Readonly<KubeObject>) => KubeObject,
  opts: UpdateOptions,
  userInfo: UserInfo = ADMIN_USER,
): Promise<WriteResult> {
  return updateThrough(hooks, api, rt, namespace, name, derive, opts, userInfo, () => api.derive(rt, namespace, name, derive, opts));
}

/** DELETE of one object: the webhooks see it as oldObject and may refuse (a patch is an error). */
export async function deleteWithWebhooks(
  hooks: AdmissionWebhooks,
  api: ClusterApi,
  rt: ResourceType,
  namespace: string,
  name: string,
  opts: DeleteOptions,
  userInfo: UserInfo = ADMIN_USER,
): Promise<DeleteResult & { warnings: string[] }> {
  const current = api.tryGet(rt, namespace, name);
  if (!current) return { ...api.delete(rt, namespace, name, opts), warnings: [] };
  const attrs: AdmissionAttributes = {
    operation: 'DELETE',
    rt,
    subresource: '',
    namespace: rt.namespaced ? namespace : '',
    name,
    object: undefined,
    oldObject: api.parse(current),
    dryRun: opts.dryRun === true,
    options: {
      ...operationOptions('DeleteOptions', { ...(opts.dryRun ? { dryRun: true } : {}) }),
      ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
      ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
    },
    userInfo,
  };
  const warnings = hooks.anyMatch(attrs) ? (await hooks.admit(attrs)).warnings : [];
  return { ...api.delete(rt, namespace, name, opts), warnings };
}

