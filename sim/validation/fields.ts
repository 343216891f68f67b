// Checks a decoded object against its schema the way kube-apiserver's decoder does:
// unknown fields are collected (for fieldValidation) and pruned, values of the wrong JSON
// type are reported, quantities are parsed and written back in canonical form, nulls are
// dropped, and (for custom resources) schema defaults, enums and required fields apply.
// The walk mutates the object in place, so one pass does all of it.
import { formatQuantity, tryParseQuantity } from '../../kube/index.js';
import { definition, goTypeName } from '../schema/dsl.js';
import type { ListNode, MapNode, Node, ObjectNode, RefNode, StringNode, ValueLimits } from '../schema/types.js';

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

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? 'null';
}


// Paths are only needed when something is reported, which is rare, so the walk keeps the
// segments leading to the current value on a stack and builds the strings on demand.
// Fields and map keys print as ".key", list indices as "[i]"; the Go path (as the decoder
// prints it) has the struct field names only.
const FIELD = 0;
const KEY = 1;
const INDEX = 2;

interface Walk extends FieldCheckOptions {
  report: FieldReport;
  segs: (string | number)[];
  kinds: number[];
  depth: number;
}

/** The path of the current value: spec.containers[0].ports[0].containerPort. */
function pathOf(w: Walk): string {
  let p = '';
  for (let i = 0; i < w.depth; i++) {
    const seg = w.segs[i]!;
    if (w.kinds[i] === INDEX) p = `${p}[${seg}]`;
    else p = p ? `${p}.${seg}` : String(seg);
  }
  return p;
}

/** The struct field names leading to the current value: spec.containers.ports.containerPort. */
function goPathOf(w: Walk): string {
  let p = '';
  for (let i = 0; i < w.depth; i++) {
    if (w.kinds[i] !== FIELD) continue;
    const seg = String(w.segs[i]!);
    p = p ? `${p}.${seg}` : seg;
  }
  return p;
}

/** The path of field `key` of the current object. */
function fieldPath(w: Walk, key: string): string {
  const path = pathOf(w);
  return path ? `${path}.${key}` : key;
}

/**
 * Walks `value` against `root` (a definition's node or a custom resource root), pruning
 * and fixing it in place. Returns what it found; never throws.
 */
export function checkFields(root: Node, value: Record<string, unknown>, opts: FieldCheckOptions): FieldReport {
  const w: Walk = { builtin: opts.builtin, prune: opts.prune, report: { unknown: [], typeErrors: [] }, segs: [], kinds: [], depth: 0 };
  // The root is often a fresh reference (schemaFor builds one per call): resolve it by name
  // rather than caching on it.
  if (root.type !== 'ref') {
    if (root.type === 'object') walkObject(root, value, w, '');
    else visit(root, value, w, '');
    return w.report;
  }
  const struct = structName(root.name);
  const r = resolveName(root.name, struct);
  if (r.node.type === 'object') walkObject(r.node, value, w, r.struct);
  else visit(root, value, w, struct);
  return w.report;
}

const structNames = new Map<string, string>();

/** "io.k8s.api.core.v1.Pod" -> "Pod", the struct name the Go decoder prints. */
function structName(defName: string): string {
  let s = structNames.get(defName);
  if (s === undefined) {
    s = goTypeName(defName).split('.').pop() ?? defName;
    structNames.set(defName, s);
  }
  return s;
}

function typeError(w: Walk, node: Node, value: unknown, struct: string, decodeMessage?: string): void {
  const path = pathOf(w);
  const got = jsonKind(value);
  const goValue = got === 'number' && typeof value === 'number' && !Number.isInteger(value) ? `number ${value}` : got;
  w.report.typeErrors.push({
    path,
    decodeMessage:
      decodeMessage ?? `json: cannot unmarshal ${goValue} into Go struct field ${struct}.${goPathOf(w)} of type ${goType(node)}`,
    cause: {
      field: path,
      reason: 'FieldValueTypeInvalid',
      message: `Invalid value: "${schemaKind(value)}": ${path} in body must be of type ${schemaTypeName(node)}: "${schemaKind(value)}"`,
    },
  });
}

function unsupported(w: Walk, values: readonly unknown[], value: unknown): void {
  const path = pathOf(w);
  w.report.typeErrors.push({
    path,
    decodeMessage: `${path}: Unsupported value: ${fmtValue(value)}`,
    cause: {
      field: path,
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${fmtValue(value)}: supported values: ${values.map(fmtValue).join(', ')}`,
    },
  });
}

interface Resolved {
  node: Node;
  struct: string;
}

// Per-node caches live on the schema nodes under symbols, defined non-enumerable so that
// spreading or cloning a node does not carry them along. Definitions never change once
// registered, and nodes are not edited once a walk has seen them.
const RESOLVED = Symbol('fields.resolved');
const ZERO_NULL = Symbol('fields.zeroNull');
const DEFAULTS = Symbol('fields.defaults');

type CachedRef = RefNode & { [RESOLVED]?: Resolved };
type CachedObject = ObjectNode & { [ZERO_NULL]?: readonly string[]; [DEFAULTS]?: readonly (readonly [string, unknown])[] };

function cache<T>(node: object, key: symbol, value: T): T {
  Object.defineProperty(node, key, { value, enumerable: false, writable: true, configurable: true });
  return value;
}

const resolved = new Map<string, Resolved>();

/** Resolves a reference by name, following chains; the struct name changes to the referenced type. */
function resolveName(defName: string, struct: string): Resolved {
  const hit = resolved.get(defName);
  if (hit) return hit;
  let name = struct;
  let cur: Node | undefined;
  let next = defName;
  for (let hops = 0; hops < 32; hops++) {
    const target = definition(next);
    if (!target) {
      cur = { type: 'any' };
      break;
    }
    name = structName(next);
    cur = target.node;
    if (cur.type !== 'ref') break;
    next = cur.name;
  }
  const out = { node: cur!, struct: name };
  if (definition(defName)) resolved.set(defName, out);
  return out;
}

/** Resolves a reference met inside a schema, caching the answer on the node. */
function deref(node: RefNode, struct: string): Resolved {
  const hit = (node as CachedRef)[RESOLVED];
  if (hit) return hit;
  const r = resolveName(node.name, struct);
  return definition(node.name) ? cache(node, RESOLVED, r) : r;
}

function walkObject(node: ObjectNode, value: Record<string, unknown>, w: Walk, struct: string): void {
  const props = node.properties;
  const d = w.depth;
  w.depth = d + 1;
  w.kinds[d] = FIELD;
  // for-in rather than Object.keys: no array per object, and V8 reads value[key] through the
  // enumeration cache. Decoded JSON has only own, plain properties, so both see the same keys.
  for (const key in value) {
    // Own properties only: "constructor" or "__proto__" must not find Object.prototype's.
    const child = Object.hasOwn(props, key) ? props[key] : undefined;
    w.segs[d] = key;
    if (!child) {
      if (node.preserveUnknown) continue;
      w.report.unknown.push(pathOf(w));
      if (w.prune) delete value[key];
      continue;
    }
    const v = value[key];
    // Straight to visitValue when there are no limits to check: one call less per value.
    const out = child.limits === undefined || w.builtin ? visitValue(child, v, w, struct) : visit(child, v, w, struct);
    if (out === DROP) delete value[key];
    else if (out !== v) value[key] = out;
  }
  w.depth = d;
  if (w.builtin) {
    // Decoding into a Go struct and encoding it again writes zero non-pointer times as null.
    const zeroNull = zeroNullKeys(node);
    for (let i = 0; i < zeroNull.length; i++) {
      const key = zeroNull[i]!;
      if (value[key] === undefined) value[key] = null;
    }
    return;
  }
  // Custom resources: defaults for absent fields, then required fields.
  for (const [key, def] of defaults(node)) {
    if (value[key] === undefined) value[key] = structuredClone(def);
  }
  for (const key of node.required ?? []) {
    if (value[key] === undefined) {
      const field = fieldPath(w, key);
      w.report.typeErrors.push({
        path: field,
        decodeMessage: `${field}: Required value`,
        cause: { field, reason: 'FieldValueRequired', message: 'Required value' },
      });
    }
  }
}

/** The fields of a struct that kube serves as null when unset (see Node.zeroIsNull). */
function zeroNullKeys(node: ObjectNode): readonly string[] {
  const keys = (node as CachedObject)[ZERO_NULL];
  if (keys) return keys;
  return cache(
    node,
    ZERO_NULL,
    Object.entries(node.properties)
      .filter(([, child]) => child.zeroIsNull === true)
      .map(([k]) => k),
  );
}

/** The fields of a custom resource object that have a schema default. */
function defaults(node: ObjectNode): readonly (readonly [string, unknown])[] {
  const list = (node as CachedObject)[DEFAULTS];
  if (list) return list;
  return cache(
    node,
    DEFAULTS,
    Object.entries(node.properties)
      .filter(([, child]) => child.default !== undefined)
      .map(([k, child]) => [k, child.default] as const),
  );
}

/** Checks one value, then (custom resources) the schema's value limits. */
function visit(node: Node, value: unknown, w: Walk, struct: string): unknown {
  if (node.limits === undefined || w.builtin) return visitValue(node, value, w, struct);
  const out = visitValue(node, value, w, struct);
  if (out !== DROP) checkLimits(node.limits, out, w);
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
function checkLimits(l: ValueLimits, v: unknown, w: Walk): void {
  const fail = (reason: string, message: (path: string) => string): void => {
    const path = pathOf(w);
    const text = message(path);
    w.report.typeErrors.push({ path, decodeMessage: `${path}: ${text}`, cause: { field: path, reason, message: text } });
  };
  if (typeof v === 'number') {
    if (l.minimum !== undefined && (l.exclusiveMinimum ? v <= l.minimum : v < l.minimum)) {
      fail('FieldValueInvalid', (path) => `Invalid value: ${v}: ${path} in body should be greater than ${l.exclusiveMinimum ? '' : 'or equal to '}${l.minimum}`);
    }
    if (l.maximum !== undefined && (l.exclusiveMaximum ? v >= l.maximum : v > l.maximum)) {
      fail('FieldValueInvalid', (path) => `Invalid value: ${v}: ${path} in body should be less than ${l.exclusiveMaximum ? '' : 'or equal to '}${l.maximum}`);
    }
  } else if (typeof v === 'string') {
    const len = [...v].length;
    if (l.maxLength !== undefined && len > l.maxLength) fail('FieldValueTooLong', () => `Too long: may not be more than ${l.maxLength} bytes`);
    if (l.minLength !== undefined && len < l.minLength) {
      fail('FieldValueInvalid', (path) => `Invalid value: ${JSON.stringify(v)}: ${path} in body should be at least ${l.minLength} chars long`);
    }
    if (l.pattern !== undefined) {
      const re = compiled(l.pattern);
      if (re && !re.test(v)) fail('FieldValueInvalid', (path) => `Invalid value: ${JSON.stringify(v)}: ${path} in body should match '${l.pattern}'`);
    }
  } else if (Array.isArray(v)) {
    if (l.maxItems !== undefined && v.length > l.maxItems) fail('FieldValueTooMany', () => `Too many: ${v.length}: must have at most ${l.maxItems} items`);
    if (l.minItems !== undefined && v.length < l.minItems) {
      fail('FieldValueInvalid', (path) => `Invalid value: ${v.length}: ${path} in body should have at least ${l.minItems} items`);
    }
  }
}

/** Checks one value; returns the value to keep (possibly rewritten) or DROP. */
function visitValue(node: Node, value: unknown, w: Walk, struct: string): unknown {
  if (value === null) return node.nullable || node.type === 'any' || (w.builtin && node.zeroIsNull) ? null : DROP;
  if (value === undefined) return DROP;
  switch (node.type) {
    case 'string':
      if (typeof value !== 'string') {
        typeError(w, node, value, struct);
        return value;
      }
      if (w.builtin) {
        if (node.format !== undefined) checkStringFormat(node, value, w, struct);
      } else if (node.enum && !node.enum.includes(value)) unsupported(w, node.enum, value);
      return value;
    case 'ref': {
      const r = deref(node, struct);
      return visit(r.node, value, w, r.struct);
    }
    case 'any':
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || (node.format === 'int32' && w.builtin && (value < INT32_MIN || value > INT32_MAX))) {
        typeError(w, node, value, struct);
      } else if (node.enum && !w.builtin && !node.enum.includes(value)) unsupported(w, node.enum, value);
      return value;
    case 'number':
      if (typeof value !== 'number') typeError(w, node, value, struct);
      else if (node.enum && !w.builtin && !node.enum.includes(value)) unsupported(w, node.enum, value);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') typeError(w, node, value, struct);
      return value;
    case 'int-or-string':
      if (typeof value === 'string') return value;
      if (typeof value !== 'number' || !Number.isInteger(value)) typeError(w, node, value, struct);
      return value;
    case 'quantity': {
      if (typeof value !== 'string' && typeof value !== 'number') {
        typeError(w, node, value, struct);
        return value;
      }
      if (!w.builtin) return value;
      const canonical = canonicalQuantity(value);
      if (canonical === undefined) typeError(w, node, value, struct, QUANTITY_ERROR);
      // kube stores and serves quantities in canonical form ("0.5" -> "500m").
      return canonical ?? value;
    }
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) {
        typeError(w, node, value, struct);
        return value;
      }
      walkObject(node, value as Record<string, unknown>, w, struct);
      return value;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) {
        typeError(w, node, value, struct);
        return value;
      }
      walkMap(node, value as Record<string, unknown>, w, struct);
      return value;
    case 'list':
      if (!Array.isArray(value)) {
        typeError(w, node, value, struct);
        return value;
      }
      walkList(node, value, w, struct);
      return value;
  }
}

let lastTime: string | undefined;

/** Built-ins: times must be RFC 3339 and []byte fields base64, as Go's decoder insists. */
function checkStringFormat(node: StringNode, value: string, w: Walk, struct: string): void {
  if (node.format === 'date-time') {
    // An object repeats its timestamps (conditions, container states): remember the last good one.
    if (value === lastTime) return;
    if (RFC3339.test(value)) lastTime = value;
    else {
      typeError(w, node, value, struct, `parsing time ${JSON.stringify(value)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(value)} as "2006"`);
    }
  } else if (node.format === 'byte') {
    const clean = value.replace(/[\r\n]/g, '');
    if (!BASE64.test(clean) || clean.length % 4 !== 0) {
      const at = clean.search(/[^A-Za-z0-9+/=]/);
      typeError(w, node, value, struct, `illegal base64 data at input byte ${at >= 0 ? at : clean.length - (clean.length % 4)}`);
    }
  }
}

function walkMap(node: MapNode, m: Record<string, unknown>, w: Walk, struct: string): void {
  const values = node.values;
  const d = w.depth;
  w.depth = d + 1;
  w.kinds[d] = KEY;
  for (const key of Object.keys(m)) {
    w.segs[d] = key;
    const v = m[key];
    const out = values.limits === undefined || w.builtin ? visitValue(values, v, w, struct) : visit(values, v, w, struct);
    if (out === DROP) {
      // A null map value decodes to the zero value in Go ("" for labels).
      if (w.builtin && v === null && values.type === 'string') m[key] = '';
      else delete m[key];
    } else if (out !== v) m[key] = out;
  }
  w.depth = d;
}

function walkList(node: ListNode, value: unknown[], w: Walk, struct: string): void {
  const items = node.items;
  const d = w.depth;
  w.depth = d + 1;
  w.kinds[d] = INDEX;
  for (let i = 0; i < value.length; i++) {
    w.segs[d] = i;
    const v = value[i];
    const out = items.limits === undefined || w.builtin ? visitValue(items, v, w, struct) : visit(items, v, w, struct);
    // Go decodes a null list item to the zero value; keep the slot so indices stay put.
    if (out === DROP) value[i] = w.builtin ? zeroValue(items) : v;
    else if (out !== v) value[i] = out;
  }
  w.depth = d;
  if (!w.builtin && (node.listType === 'set' || node.listType === 'map')) checkListUniqueness(node, value, w);
}

/** Custom resources: items of a set, and keys of a map list, must be unique. */
function checkListUniqueness(node: ListNode, items: unknown[], w: Walk): void {
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
      const field = `${pathOf(w)}[${i}]`;
      w.report.typeErrors.push({
        path: field,
        decodeMessage: `${field}: Duplicate value: ${shown}`,
        cause: { field, reason: 'FieldValueDuplicate', message: `Duplicate value: ${shown}` },
      });
    }
    seen.add(key);
  });
}

function zeroValue(node: Node): unknown {
  const r = node.type === 'ref' ? deref(node, '').node : node;
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
