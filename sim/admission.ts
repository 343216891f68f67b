// Admission for the simulated apiserver, in kube's order: decode checks against the
// schema (type errors, unknown and duplicate fields per fieldValidation Strict/Warn/Ignore,
// pruning), defaulting, then validation (422 Invalid with field causes).
// The schema lives in sim/schema, the rules in sim/validation.
//
// Writes from in-process controllers (kubelets, the scheduler's binding, cluster setup)
// carry neither a request body nor a fieldValidation choice: they are trusted like kube's
// own system components, so they skip the decode checks and the update-only rules (a
// binding sets spec.nodeName, which a client update may not).
import { ApiError } from './errors.js';
import { deepClone, type KubeObject } from './object.js';
import type { ResourceType } from './resources.js';
import { customResourceRoot } from './schema/crd.js';
import { definition } from './schema/dsl.js';
import { builtinKind } from './schema/kinds.js';
import type { Node } from './schema/types.js';
import { applyDefaults, carryOver, checkFields, duplicateFields, invalidError, validateCreate, validateUpdate } from './validation/index.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface AdmissionOptions {
  fieldValidation?: FieldValidation;
  /** The request body as sent (object for POST/PUT, the patch for PATCH): duplicate-field detection. */
  rawBody?: string;
  /** Keys the body repeats, when the caller found them while decoding it (else found from rawBody). */
  duplicates?: readonly string[];
  /** 'status' for status subresource writes (ClusterApi passes its write options through). */
  subresource?: string;
}

const customRoots = new WeakMap<object, Node>();
const SCHEMALESS: Node = customResourceRoot();

/** The schema node a kind's objects are checked against, or undefined when none applies. */
export function schemaFor(rt: ResourceType): Node | undefined {
  if (rt.custom) {
    const schema = rt.custom.schema;
    if (typeof schema !== 'object' || schema === null) return SCHEMALESS;
    let root = customRoots.get(schema);
    if (!root) {
      root = customResourceRoot(schema as Record<string, unknown>);
      customRoots.set(schema, root);
    }
    return root;
  }
  // events.k8s.io Events are stored (and admitted) in their core/v1 form.
  if (rt.readOnly || rt.group === 'events.k8s.io') return undefined;
  const bk = builtinKind({ group: rt.group, version: rt.version, kind: rt.kind });
  return bk && definition(bk.definition) ? { type: 'ref', name: bk.definition } : undefined;
}

function trusted(opts: AdmissionOptions): boolean {
  return opts.fieldValidation === undefined && opts.rawBody === undefined;
}

/** kube's decode error for a body that does not fit the kind (400). */
export function cannotHandle(rt: ResourceType, detail: string): ApiError {
  return new ApiError(400, 'BadRequest', `${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: ${detail}`);
}

/**
 * What a write's decode checks walk. A status write keeps everything but `.status` from
 * the stored object (ClusterApi resets the rest before admission), so only the status
 * subtree and the identity fields can carry anything new: the walk skips the spec, which
 * is most of a pod. The view shares the object's subtrees, so pruning still applies.
 */
function decodeView(obj: KubeObject, opts: AdmissionOptions): Record<string, unknown> {
  if (opts.subresource !== 'status') return obj;
  const view: Record<string, unknown> = {};
  for (const k of ['apiVersion', 'kind', 'metadata', 'status'] as const) if (obj[k] !== undefined) view[k] = obj[k];
  return view;
}

/** The decode step: type errors, unknown/duplicate fields, pruning. Returns warnings. */
function decodeChecks(rt: ResourceType, obj: KubeObject, opts: AdmissionOptions): string[] {
  if (trusted(opts)) return [];
  const root = schemaFor(rt);
  if (!root) return [];
  const builtin = rt.custom === undefined;
  const report = checkFields(root, decodeView(obj, opts), { builtin, prune: true });
  // Built-ins: a Go decode error wins over everything (400).
  if (builtin && report.typeErrors.length > 0) throw cannotHandle(rt, report.typeErrors[0]!.decodeMessage);
  const mode = opts.fieldValidation ?? 'Warn';
  let problems: string[] = [];
  if (mode !== 'Ignore') {
    const dups = opts.duplicates ?? (opts.rawBody && opts.rawBody.trimStart().startsWith('{') ? duplicateFields(opts.rawBody) : []);
    problems = [...dups.map((p) => `duplicate field "${p}"`), ...report.unknown.map((p) => `unknown field "${p}"`)];
    if (problems.length > 0 && mode === 'Strict') throw cannotHandle(rt, `strict decoding error: ${problems.join(', ')}`);
  }
  // Custom resources: schema violations are validation errors (422), after strict decoding.
  if (report.typeErrors.length > 0) {
    throw invalidError(rt.kind, rt.group, obj.metadata.name ?? '', report.typeErrors.map((t) => t.cause));
  }
  return problems;
}

/**
 * The decode step alone, for a caller that must run it before admission webhooks see the
 * object (kube decodes a body before it admits it; see sim/webhooks/writes.ts). Returns warnings.
 */
export function admitDecode(rt: ResourceType, obj: KubeObject, opts: AdmissionOptions): string[] {
  return decodeChecks(rt, obj, opts);
}

/** Defaults, validates and returns warnings for a new object; throws 400/422 on bad input. */
export function admitCreate(rt: ResourceType, obj: KubeObject, opts: AdmissionOptions): string[] {
  const warnings = decodeChecks(rt, obj, opts);
  if (!rt.custom) applyDefaults(rt.group, rt.kind, obj, true);
  const causes = validateCreate(rt.group, rt.custom ? '' : rt.kind, obj);
  if (causes.length) throw invalidError(rt.kind, rt.group, obj.metadata.name ?? obj.metadata.generateName ?? '', causes);
  return warnings;
}

/**
 * The stored object as the decoder would have produced it: an object written in-process
 * skipped decoding, so its quantities may not be canonical yet ("0.5" vs "500m"), which
 * would make an unchanged pod spec look changed to the immutability rules.
 */
function comparableOld(rt: ResourceType, obj: KubeObject, old: KubeObject, opts: AdmissionOptions): KubeObject {
  if (trusted(opts) || rt.custom || rt.storageKey !== '/pods' || opts.subresource === 'status') return old;
  // The common case (labels, annotations, status): the spec is untouched.
  if (JSON.stringify(obj['spec']) === JSON.stringify(old['spec'])) return old;
  const root = schemaFor(rt);
  if (!root) return old;
  const copy = deepClone(old);
  checkFields(root, copy, { builtin: true, prune: false });
  return copy;
}

export function admitUpdate(rt: ResourceType, obj: KubeObject, old: KubeObject, opts: AdmissionOptions): string[] {
  const warnings = decodeChecks(rt, obj, opts);
  if (!rt.custom) {
    carryOver(rt.group, rt.kind, obj, old);
    applyDefaults(rt.group, rt.kind, obj, false);
  }
  const causes = validateUpdate(rt.group, rt.custom ? '' : rt.kind, obj, comparableOld(rt, obj, old, opts), {
    trusted: trusted(opts),
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  });
  if (causes.length) throw invalidError(rt.kind, rt.group, obj.metadata.name ?? '', causes);
  return warnings;
}
