// Checks a decoded object against its schema the way kube-apiserver's decoder does:
// unknown fields are collected (for fieldValidation) and pruned, values of the wrong JSON
// type are reported, quantities are parsed and written back in canonical form, nulls are
// dropped, and (for custom resources) schema defaults, enums and required fields apply.
// The walk mutates the object in place, so one pass does all of it.
import { formatQuantity, tryParseQuantity } from '../../kube/index.js';
import { definition, goTypeName } from '../schema/dsl.js';
import type { ListNode, Node, ObjectNode, ValueLimits } from '../schema/types.js';

/** The regular expression kube's resource.Quantity names in its parse error. */
export const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export interface TypeIssue {
  /** Field path with indices: spec.containers[0].ports[0].containerPort. */
  path: string;
  /** Built-ins: the Go decoder's error text (without the "Pod in version..." prefix). */
  decodeMessage: string;
  /** Custom resources: the schema validator's cause (field path + message). */
  cause: { field: string; reason: string; message: string };
}

export interface FieldReport {
  /** Paths of unknown fields, in document order: "spec.foo", "spec.containers[0].bar". */
  unknown: string[];
  typeErrors: TypeIssue[];
}

export interface FieldCheckOptions {
  /** Built-in kinds decode like Go structs; custom resources validate like JSON schema. */
  builtin: boolean;
  /** Remove unknown fields from the object (kube always does; in-process callers are trusted). */
  prune: boolean;
}

interface Ctx extends FieldCheckOptions {
  report: FieldReport;
}

const DROP = Symbol('drop');

// Quantities repeat across objects ("100m", "64Mi"); parsing them exactly (bigint) is the
// walk's main cost, so canonical spellings are memoised, in a bounded table.
const QUANTITY_CACHE_MAX = 4096;
const quantityCache = new Map<string | number, string | null>();

function canonicalQuantity(value: string | number): string | undefined {
  const hit = quantityCache.get(value);
  if (hit !== undefined) return hit ?? undefined;
  const q = tryParseQuantity(value);
  const out = q ? formatQuantity(q) : null;
  if (quantityCache.size >= QUANTITY_CACHE_MAX) quantityCache.clear();
  quantityCache.set(value, out);
  return out ?? undefined;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string, number, object
}

/** The JSON schema type name kube-openapi prints for a value ("must be of type integer: \"string\""). */
function schemaKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return typeof v;
}

/** Go's name for the type a node decodes into, as encoding/json prints it. */
function goType(node: Node): string {
  switch (node.type) {
    case 'string':
      return node.format === 'date-time' ? 'v1.Time' : node.format === 'byte' ? '[]uint8' : 'string';
    case 'integer':
      return node.format;
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'object':
      return 'struct';
    case 'map':
      return `map[string]${goType(node.values)}`;
    case 'list':
      return `[]${goType(node.items)}`;
    case 'ref':
      return goTypeName(node.name);
    case 'int-or-string':
      return 'intstr.IntOrString';
    case 'quantity':
      return 'resource.Quantity';
    case 'any':
      return 'interface {}';
  }
}

function schemaTypeName(node: Node): string {
  switch (node.type) {
    case 'map':
    case 'object':
    case 'ref':
      return 'object';
    case 'list':
      return 'array';
    case 'quantity':
    case 'int-or-string':
      return 'string';
    case 'any':
      return 'any';
    default:
      return node.type;
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? 'null';
}

/**
 * Walks `value` against `root` (a definition's node or a custom resource root), pruning
 * and fixing it in place. Returns what it found; never throws.
 */
export function checkFields(root: Node, value: Record<string, unknown>, opts: FieldCheckOptions): FieldReport {
  const ctx: Ctx = { ...opts, report: { unknown: [], typeErrors: [] } };
  visitObjectFields(root, value, ctx, '', '', structName(root));
  return ctx.report;
}

function structName(node: Node): string {
  return node.type === 'ref' ? (goTypeName(node.name).split('.').pop() ?? node.name) : '';
}

function typeError(ctx: Ctx, node: Node, value: unknown, path: string, goPath: string, struct: string, decodeMessage?: string): void {
  const got = jsonKind(value);
  const goValue = got === 'number' && typeof value === 'number' && !Number.isInteger(value) ? `number ${value}` : got;
  ctx.report.typeErrors.push({
    path,
    decodeMessage:
      decodeMessage ?? `json: cannot unmarshal ${goValue} into Go struct field ${struct}.${goPath} of type ${goType(node)}`,
    cause: {
      field: path,
      reason: 'FieldValueTypeInvalid',
      message: `Invalid value: "${schemaKind(value)}": ${path} in body must be of type ${schemaTypeName(node)}: "${schemaKind(value)}"`,
    },
  });
}

function unsupported(ctx: Ctx, values: readonly unknown[], value: unknown, path: string): void {
  ctx.report.typeErrors.push({
    path,
    decodeMessage: `${path}: Unsupported value: ${fmtValue(value)}`,
    cause: {
      field: path,
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${fmtValue(value)}: supported values: ${values.map(fmtValue).join(', ')}`,
    },
  });
}

const resolved = new Map<string, { node: Node; struct: string }>();

/** Resolves a reference, following chains; the struct name changes to the referenced type. */
function deref(node: Node, struct: string): { node: Node; struct: string } {
  if (node.type !== 'ref') return { node, struct };
  const hit = resolved.get(node.name);
  if (hit) return hit;
  let cur: Node = node;
  let name = struct;
  for (let hops = 0; cur.type === 'ref' && hops < 32; hops++) {
    const target = definition(cur.name);
    if (!target) {
      cur = { type: 'any' };
      break;
    }
    name = goTypeName(cur.name).split('.').pop() ?? cur.name;
    cur = target.node;
  }
  const out = { node: cur, struct: name };
  // Definitions never change once registered, so the resolution can be kept.
  if (definition(node.name)) resolved.set(node.name, out);
  return out;
}

function visitObjectFields(node: Node, value: Record<string, unknown>, ctx: Ctx, path: string, goPath: string, struct: string): void {
  const r = deref(node, struct);
  if (r.node.type !== 'object') {
    visit(node, value, ctx, path, goPath, struct);
    return;
  }
  walkObject(r.node, value, ctx, path, goPath, r.struct);
}

function walkObject(node: ObjectNode, value: Record<string, unknown>, ctx: Ctx, path: string, goPath: string, struct: string): void {
  for (const key of Object.keys(value)) {
    const child = node.properties[key];
    const childPath = join(path, key);
    if (!child) {
      if (node.preserveUnknown) continue;
      ctx.report.unknown.push(childPath);
      if (ctx.prune) delete value[key];
      continue;
    }
    const out = visit(child, value[key], ctx, childPath, join(goPath, key), struct);
    if (out === DROP) delete value[key];
    else if (out !== value[key]) value[key] = out;
  }
  if (ctx.builtin) {
    // Decoding into a Go struct and encoding it again writes zero non-pointer times as null.
    for (const key of zeroNullKeys(node)) if (value[key] === undefined) value[key] = null;
    return;
  }
  // Custom resources: defaults for absent fields, then required fields.
  for (const [key, child] of Object.entries(node.properties)) {
    if (value[key] === undefined && child.default !== undefined) value[key] = structuredClone(child.default);
  }
  for (const key of node.required ?? []) {
    if (value[key] === undefined) {
      const field = join(path, key);
      ctx.report.typeErrors.push({
        path: field,
        decodeMessage: `${field}: Required value`,
        cause: { field, reason: 'FieldValueRequired', message: 'Required value' },
      });
    }
  }
}

const zeroNullCache = new WeakMap<ObjectNode, readonly string[]>();

/** The fields of a struct that kube serves as null when unset (see Node.zeroIsNull). */
function zeroNullKeys(node: ObjectNode): readonly string[] {
  let keys = zeroNullCache.get(node);
  if (!keys) {
    keys = Object.entries(node.properties)
      .filter(([, child]) => child.zeroIsNull === true)
      .map(([k]) => k);
    zeroNullCache.set(node, keys);
  }
  return keys;
}

/** Checks one value, then (custom resources) the schema's value limits. */
function visit(node: Node, value: unknown, ctx: Ctx, path: string, goPath: string, struct: string): unknown {
  const out = visitValue(node, value, ctx, path, goPath, struct);
  if (node.limits && !ctx.builtin && out !== DROP) checkLimits(node.limits, out, ctx, path);
  return out;
}

const patterns = new Map<string, RegExp | null>();

function compiled(pattern: string): RegExp | null {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null; // kube rejects such CRDs; here the pattern is simply not enforced
    }
    patterns.set(pattern, re);
  }
  return re;
}

/** kube-openapi's wording for the value keywords of custom resource schemas. */
function checkLimits(l: ValueLimits, v: unknown, ctx: Ctx, path: string): void {
  const fail = (reason: string, message: string): void => {
    ctx.report.typeErrors.push({ path, decodeMessage: `${path}: ${message}`, cause: { field: path, reason, message } });
  };
  if (typeof v === 'number') {
    if (l.minimum !== undefined && (l.exclusiveMinimum ? v <= l.minimum : v < l.minimum)) {
      fail('FieldValueInvalid', `Invalid value: ${v}: ${path} in body should be greater than ${l.exclusiveMinimum ? '' : 'or equal to '}${l.minimum}`);
    }
    if (l.maximum !== undefined && (l.exclusiveMaximum ? v >= l.maximum : v > l.maximum)) {
      fail('FieldValueInvalid', `Invalid value: ${v}: ${path} in body should be less than ${l.exclusiveMaximum ? '' : 'or equal to '}${l.maximum}`);
    }
  } else if (typeof v === 'string') {
    const len = [...v].length;
    if (l.maxLength !== undefined && len > l.maxLength) fail('FieldValueTooLong', `Too long: may not be more than ${l.maxLength} bytes`);
    if (l.minLength !== undefined && len < l.minLength) {
      fail('FieldValueInvalid', `Invalid value: ${JSON.stringify(v)}: ${path} in body should be at least ${l.minLength} chars long`);
    }
    if (l.pattern !== undefined) {
      const re = compiled(l.pattern);
      if (re && !re.test(v)) fail('FieldValueInvalid', `Invalid value: ${JSON.stringify(v)}: ${path} in body should match '${l.pattern}'`);
    }
  } else if (Array.isArray(v)) {
    if (l.maxItems !== undefined && v.length > l.maxItems) fail('FieldValueTooMany', `Too many: ${v.length}: must have at most ${l.maxItems} items`);
    if (l.minItems !== undefined && v.length < l.minItems) {
      fail('FieldValueInvalid', `Invalid value: ${v.length}: ${path} in body should have at least ${l.minItems} items`);
    }
  }
}

/** Checks one value; returns the value to keep (possibly rewritten) or DROP. */
function visitValue(node: Node, value: unknown, ctx: Ctx, path: string, goPath: string, struct: string): unknown {
  if (value === null) return node.nullable || node.type === 'any' || (ctx.builtin && node.zeroIsNull) ? null : DROP;
  if (value === undefined) return DROP;
  switch (node.type) {
    case 'ref': {
      const r = deref(node, struct);
      return visit(r.node, value, ctx, path, goPath, r.struct);
    }
    case 'any':
      return value;
    case 'string':
      if (typeof value !== 'string') {
        typeError(ctx, node, value, path, goPath, struct);
        return value;
      }
      if (node.enum && !ctx.builtin && !node.enum.includes(value)) unsupported(ctx, node.enum, value, path);
      if (ctx.builtin && node.format === 'date-time' && !RFC3339.test(value)) {
        typeError(ctx, node, value, path, goPath, struct, `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(value)} as "2006"`);
      } else if (ctx.builtin && node.format === 'byte') {
        const clean = value.replace(/[\r\n]/g, '');
        if (!BASE64.test(clean) || clean.length % 4 !== 0) {
          const at = clean.search(/[^A-Za-z0-9+/=]/);
          typeError(ctx, node, value, path, goPath, struct, `illegal base64 data at input byte ${at >= 0 ? at : clean.length - (clean.length % 4)}`);
        }
      }
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || (node.format === 'int32' && ctx.builtin && (value < INT32_MIN || value > INT32_MAX))) {
        typeError(ctx, node, value, path, goPath, struct);
      } else if (node.enum && !ctx.builtin && !node.enum.includes(value)) unsupported(ctx, node.enum, value, path);
      return value;
    case 'number':
      if (typeof value !== 'number') typeError(ctx, node, value, path, goPath, struct);
      else if (node.enum && !ctx.builtin && !node.enum.includes(value)) unsupported(ctx, node.enum, value, path);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(ctx, node, value, path, goPath, struct);
      return value;
    case 'int-or-string':
      if (typeof value === 'string') return value;
      if (typeof value !== 'number' || !Number.isInteger(value)) typeError(ctx, node, value, path, goPath, struct);
      return value;
    case 'quantity': {
      if (typeof value !== 'string' && typeof value !== 'number') {
        typeError(ctx, node, value, path, goPath, struct);
        return value;
      }
      if (!ctx.builtin) return value;
      const canonical = canonicalQuantity(value);
      if (canonical === undefined) typeError(ctx, node, value, path, goPath, struct, QUANTITY_ERROR);
      // kube stores and serves quantities in canonical form ("0.5" -> "500m").
      return canonical ?? value;
    }
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) {
        typeError(ctx, node, value, path, goPath, struct);
        return value;
      }
      walkObject(node, value as Record<string, unknown>, ctx, path, goPath, struct);
      return value;
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        typeError(ctx, node, value, path, goPath, struct);
        return value;
      }
      const m = value as Record<string, unknown>;
      for (const key of Object.keys(m)) {
        const out = visit(node.values, m[key], ctx, join(path, key), goPath, struct);
        if (out === DROP) {
          // A null map value decodes to the zero value in Go ("" for labels).
          if (ctx.builtin && m[key] === null && node.values.type === 'string') m[key] = '';
          else delete m[key];
        } else if (out !== m[key]) m[key] = out;
      }
      return value;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        typeError(ctx, node, value, path, goPath, struct);
        return value;
      }
      for (let i = 0; i < value.length; i++) {
        const out = visit(node.items, value[i], ctx, `${path}[${i}]`, goPath, struct);
        // Go decodes a null list item to the zero value; keep the slot so indices stay put.
        if (out === DROP) value[i] = ctx.builtin ? zeroValue(node.items) : value[i];
        else if (out !== value[i]) value[i] = out;
      }
      if (!ctx.builtin && (node.listType === 'set' || node.listType === 'map')) checkListUniqueness(node, value, ctx, path);
      return value;
    }
  }
}

/** Custom resources: items of a set, and keys of a map list, must be unique. */
function checkListUniqueness(node: ListNode, items: unknown[], ctx: Ctx, path: string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    let key: string;
    let shown: string;
    if (node.listType === 'map' && node.listMapKeys && typeof item === 'object' && item !== null) {
      const rec = item as Record<string, unknown>;
      const keyObj = Object.fromEntries(node.listMapKeys.filter((k) => rec[k] !== undefined).map((k) => [k, rec[k]]));
      key = JSON.stringify(keyObj);
      shown = `map[string]interface {}{${Object.entries(keyObj).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
    } else {
      key = JSON.stringify(item);
      shown = fmtValue(item);
    }
    if (seen.has(key)) {
      const field = `${path}[${i}]`;
      ctx.report.typeErrors.push({
        path: field,
        decodeMessage: `${field}: Duplicate value: ${shown}`,
        cause: { field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${shown}` },
      });
    }
    seen.add(key);
  });
}

function zeroValue(node: Node): unknown {
  const r = deref(node, '').node;
  switch (r.type) {
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'object':
    case 'map':
      return {};
    default:
      return null;
  }
}
