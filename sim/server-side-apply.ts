// Server-side apply as a verb of one simulated cluster: PATCH with
// `application/apply-patch+yaml`. Decodes and checks the configuration the way kube does
// (PatchOptions validation, YAML decoding, apiVersion/kind/name, unknown and duplicate
// fields per fieldValidation), then either creates the object (201, as kube answers a
// create-by-apply) or merges into the stored one through ClusterApi, so defaulting,
// validation and the other admission rules apply as for any write. The merge and field
// ownership are sim/patch/apply.ts and sim/patch/managed-fields.ts.
//
// Simplifications:
// - For the simulator's write rate, ordinary create/update/patch do not record
//   managedFields. Only objects that already carry them (created or touched by an apply)
//   get an `Update` entry on a client's non-apply write (sim/api.ts calls trackUpdate;
//   the writer is the `fieldManager` query, else the user agent's program), and the
//   simulator's own writes (kubelets, scheduler) are never recorded. An object with no
//   managedFields that is applied to is owned by "before-first-apply", as kube does, so a
//   POSTed object conflicts on a changed field where kube would name its creator.
// - As kube does for the manager "kubectl", conflicts on fields of the client-side apply
//   annotation (kubectl.kubernetes.io/last-applied-configuration) are forced: moving from
//   `kubectl apply` to `kubectl apply --server-side` does not conflict.
// - Associative lists are keyed by their strategic-merge key alone (container ports by
//   containerPort, not containerPort+protocol).
// - Unknown fields follow fieldValidation like other writes (Strict: 400 strict decoding
//   error; Warn: dropped with a warning), where kube fails the typed conversion whatever
//   fieldValidation says. Values are compared before defaulting and normalization, so
//   "0.5" against a stored "500m" counts as a change.
// - events.k8s.io/v1 Events take no apply patch (415); multi-version custom resources are
//   applied in the version asked for without conversion.
import YAML from 'yaml';
import type { FieldValidation } from './admission.js';
import { cannotHandle, schemaFor } from './admission.js';
import type { ClusterApi, WriteResult } from './api.js';
import { ApiError, badRequest, notFound } from './errors.js';
import { isRecord, type KubeObject } from './object.js';
import { applyConfiguration, ApplyConflictError, ApplyInputError, type ApplyOptions } from './patch/apply.js';
import { fieldsOf, stripManaged } from './patch/managed-fields.js';
import type { JsonObject } from './patch/json.js';
import type { ResourceType } from './resources.js';
import type { Node } from './schema/types.js';
import { checkFields } from './validation/index.js';

export const APPLY_PATCH = 'application/apply-patch+yaml';

export interface ApplyRequest {
  /** The request body as sent (YAML or JSON). */
  body: string;
  fieldManager: string | undefined;
  force: boolean;
  dryRun: boolean;
  fieldValidation?: FieldValidation;
  /** 'status' for PATCH …/status. */
  subresource?: string;
}

export interface ApplyOutcome extends WriteResult {
  /** True when the apply created the object (kube answers 201). */
  created: boolean;
}

const MAX_MANAGER_LENGTH = 128;

/** kube's 422 for bad PatchOptions (`PatchOptions.meta.k8s.io "" is invalid: ...`). */
export function invalidPatchOptions(field: string, detail: string): ApiError {
  return new ApiError(422, 'Invalid', `PatchOptions.meta.k8s.io "" is invalid: ${field}: ${detail}`, {
    group: 'meta.k8s.io',
    kind: 'PatchOptions',
    causes: [{ reason: detail.startsWith('Required') ? 'FieldValueRequired' : detail.startsWith('Forbidden') ? 'FieldValueForbidden' : 'FieldValueInvalid', message: detail, field }],
  });
}

/** kube's ValidatePatchOptions for an apply patch. */
function checkManager(manager: string | undefined): string {
  if (manager === undefined || manager === '') throw invalidPatchOptions('fieldManager', 'Required value: is required for apply patch');
  if (manager.length > MAX_MANAGER_LENGTH) throw invalidPatchOptions('fieldManager', `Too long: may not be more than ${MAX_MANAGER_LENGTH} bytes`);
  if (/[\u0000-\u001f\u007f]/.test(manager)) {
    throw invalidPatchOptions('fieldManager', `Invalid value: ${JSON.stringify(manager)}: must only contain printable characters`);
  }
  return manager;
}

/** Decodes the body; duplicate keys in YAML are reported per fieldValidation (JSON bodies: admission finds them). */
function decode(body: string, fv: FieldValidation | undefined, warnings: string[]): JsonObject {
  let value: unknown;
  try {
    value = YAML.parse(body, { uniqueKeys: false });
  } catch (e) {
    throw badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
  if (!isRecord(value)) throw badRequest(`error decoding YAML: the apply patch must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`);
  if ((fv === 'Strict' || fv === 'Warn') && !body.trimStart().startsWith('{')) {
    try {
      YAML.parse(body);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0] ?? '';
      if (fv === 'Strict') throw badRequest(`error strict decoding YAML: ${msg}`);
      warnings.push(msg);
    }
  }
  return value;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The fields of the client-side apply annotation (empty when there is none or it does not parse). */
function lastAppliedFields(live: JsonObject & { metadata: JsonObject }, root: Node | undefined, statusSubresource: boolean): Set<string> {
  const annotations = live.metadata['annotations'];
  const text = isRecord(annotations) ? annotations[LAST_APPLIED] : undefined;
  if (typeof text !== 'string') return new Set();
  try {
    const last: unknown = JSON.parse(text);
    return isRecord(last) ? stripManaged(fieldsOf(last, root, '', new Set()), statusSubresource) : new Set();
  } catch {
    return new Set();
  }
}

/**
 * Applies `body` for `req.fieldManager` to the object `name`. Throws ApiError: 422 for bad
 * PatchOptions, 400 for a body kube cannot decode, 409 Conflict with FieldManagerConflict
 * causes, and whatever admission answers for the merged object.
 */
export function serverSideApply(api: ClusterApi, rt: ResourceType, namespace: string, name: string, req: ApplyRequest): ApplyOutcome {
  const manager = checkManager(req.fieldManager);
  if (rt.group === 'events.k8s.io') {
    throw new ApiError(415, 'UnsupportedMediaType', `the simulated apiserver does not take apply patches for events.k8s.io Events; apply core/v1 Events instead`);
  }
  const warnings: string[] = [];
  let config = decode(req.body, req.fieldValidation, warnings);
  const want = rt.group ? `${rt.group}/${rt.version}` : rt.version;
  if (config['apiVersion'] !== want) {
    throw badRequest(`Incorrect version specified in apply patch. Specified patch version: ${String(config['apiVersion'] ?? '')}, expected: ${want}`);
  }
  if (config['kind'] === undefined || config['kind'] === '') throw badRequest(`Object 'Kind' is missing in '${req.body.trim().slice(0, 200)}'`);
  if (config['kind'] !== rt.kind) throw badRequest(`the kind in the data (${String(config['kind'])}) does not match the expected kind (${rt.kind})`);
  if (config['metadata'] !== undefined && !isRecord(config['metadata'])) throw cannotHandle(rt, 'metadata must be an object');
  const meta = { ...((config['metadata'] as JsonObject | undefined) ?? {}) };
  if (meta['managedFields'] !== undefined && meta['managedFields'] !== null) throw badRequest('metadata.managedFields must be nil');
  if (meta['name'] === undefined || meta['name'] === '') meta['name'] = name;
  if (meta['name'] !== name) throw badRequest(`the name of the object (${String(meta['name'])}) does not match the name on the URL (${name})`);
  if (rt.namespaced && meta['namespace'] !== undefined && meta['namespace'] !== namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  config = { ...config, metadata: meta };

  // Unknown fields: checked (and pruned) on the configuration itself, so they are neither merged nor owned.
  const root = schemaFor(rt);
  if (root) {
    const report = checkFields(root, config, { builtin: rt.custom === undefined, prune: true });
    const mode = req.fieldValidation ?? 'Warn';
    if (report.unknown.length > 0 && mode !== 'Ignore') {
      const problems = report.unknown.map((p) => `unknown field "${p}"`);
      if (mode === 'Strict') throw cannotHandle(rt, `strict decoding error: ${problems.join(', ')}`);
      warnings.push(...problems);
    }
  }

  const current = api.tryGet(rt, namespace, name);
  if (!current && req.subresource !== undefined) throw notFound(rt.resource, rt.group, name);
  const live = current ? (api.parse(current) as JsonObject & { metadata: JsonObject }) : undefined;
  const applyOpts: ApplyOptions = {
    root,
    manager,
    force: req.force,
    now: api.now(),
    apiVersion: want,
    ...(req.subresource !== undefined ? { subresource: req.subresource } : {}),
    statusSubresource: rt.statusSubresource === true,
  };
  let result;
  try {
    try {
      result = applyConfiguration(live, config, applyOpts);
    } catch (e) {
      if (!(e instanceof ApplyConflictError) || manager !== 'kubectl' || !live) throw e;
      const allowed = lastAppliedFields(live, root, rt.statusSubresource === true);
      const left = e.conflicts.filter((c) => !allowed.has(c.path));
      if (left.length > 0) throw left.length === e.conflicts.length ? e : new ApplyConflictError(left);
      result = applyConfiguration(live, config, { ...applyOpts, force: true });
    }
  } catch (e) {
    if (e instanceof ApplyConflictError) {
      throw new ApiError(409, 'Conflict', e.message, { causes: e.causes() });
    }
    if (e instanceof ApplyInputError) {
      throw new ApiError(500, 'InternalError', `failed to create typed patch object (${rt.namespaced ? `${namespace}/` : ''}${name}; ${want}, Kind=${rt.kind}): ${e.message}`);
    }
    throw e;
  }
  // rawBody marks the write as a client's: admission runs its decode checks (types, duplicate fields).
  const opts = { dryRun: req.dryRun, rawBody: req.body, ...(req.fieldValidation ? { fieldValidation: req.fieldValidation } : {}) };
  if (!current) {
    const res = api.create(rt, namespace, result.object as KubeObject, opts);
    return { ...res, warnings: [...warnings, ...res.warnings], created: true };
  }
  if (!result.changed) return { object: current, warnings, created: false };
  const res = api.derive(rt, namespace, name, () => result.object as KubeObject, {
    ...opts,
    applied: true,
    ...(req.subresource !== undefined ? { subresource: req.subresource } : {}),
  });
  return { ...res, warnings: [...warnings, ...res.warnings], created: false };
}
