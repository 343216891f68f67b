// Custom resources: turn a CRD version's openAPIV3Schema (structural JSON schema) into the
// same node shapes the built-in kinds use, so unknown-field checks, pruning and type
// checks treat both alike.
import { any, bool, num, ref, str } from './dsl.js';
import type { JSONSchemaProps, ListNode, Node, ObjectNode, ValueLimits } from './types.js';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Carries the per-field keywords the walker enforces: nullable, default, enum. */
function withNullable<T extends Node>(node: T, s: JSONSchemaProps): T {
  let out = node;
  if (s['nullable'] === true) out = { ...out, nullable: true };
  if (s['default'] !== undefined) out = { ...out, default: s['default'] };
  if (Array.isArray(s['enum']) && (out.type === 'string' || out.type === 'integer' || out.type === 'number')) {
    out = { ...out, enum: s['enum'] as readonly string[] };
  }
  const limits: ValueLimits = {};
  for (const k of ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const) {
    if (typeof s[k] === 'number') limits[k] = s[k];
  }
  if (s['exclusiveMinimum'] === true) limits.exclusiveMinimum = true;
  if (s['exclusiveMaximum'] === true) limits.exclusiveMaximum = true;
  if (typeof s['pattern'] === 'string') limits.pattern = s['pattern'];
  if (Object.keys(limits).length > 0) out = { ...out, limits };
  return out;
}

/** Converts one structural schema node. */
export function nodeFromJSONSchema(s: JSONSchemaProps): Node {
  if (s['x-kubernetes-int-or-string'] === true) return withNullable({ type: 'int-or-string' }, s);
  const type = typeof s['type'] === 'string' ? s['type'] : undefined;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const props = isRecord(s['properties']) ? s['properties'] : undefined;
  const additional = s['additionalProperties'];

  if (type === 'object' || (type === undefined && (props || isRecord(additional) || embedded))) {
    if (!props && !embedded && (isRecord(additional) || additional === true)) {
      return withNullable({ type: 'map', values: isRecord(additional) ? nodeFromJSONSchema(additional) : any }, s);
    }
    const properties: Record<string, Node> = {};
    for (const [name, child] of Object.entries(props ?? {})) {
      properties[name] = isRecord(child) ? nodeFromJSONSchema(child) : any;
    }
    if (embedded) {
      properties['apiVersion'] ??= str;
      properties['kind'] ??= str;
      properties['metadata'] = ref(OBJECT_META);
    }
    const node: ObjectNode = { type: 'object', properties };
    if (preserve) node.preserveUnknown = true;
    if (embedded) node.embeddedResource = true;
    if (Array.isArray(s['required'])) node.required = s['required'].filter((r): r is string => typeof r === 'string');
    return withNullable(node, s);
  }
  switch (type) {
    case 'array': {
      const items = s['items'];
      const node: ListNode = { type: 'list', items: isRecord(items) ? nodeFromJSONSchema(items) : any };
      const listType = s['x-kubernetes-list-type'];
      if (listType === 'atomic' || listType === 'set' || listType === 'map') node.listType = listType;
      const keys = s['x-kubernetes-list-map-keys'];
      if (Array.isArray(keys)) node.listMapKeys = keys.filter((k): k is string => typeof k === 'string');
      return withNullable(node, s);
    }
    case 'string':
      return withNullable(typeof s['format'] === 'string' ? { ...str, format: s['format'] } : str, s);
    case 'integer':
      return withNullable({ type: 'integer', format: s['format'] === 'int32' ? 'int32' : 'int64' }, s);
    case 'number':
      return withNullable(num, s);
    case 'boolean':
      return withNullable(bool, s);
    default:
      // No type: only x-kubernetes-preserve-unknown-fields makes sense here; anything goes.
      return withNullable(any, s);
  }
}

/**
 * The root node of a custom resource: the schema's fields plus apiVersion, kind and a
 * full ObjectMeta (kube always treats metadata as ObjectMeta, whatever the schema says).
 * Without a schema every field is kept.
 */
export function customResourceRoot(schema?: JSONSchemaProps): ObjectNode {
  const base = schema ? nodeFromJSONSchema({ type: 'object', ...schema }) : undefined;
  const root: ObjectNode =
    base && base.type === 'object'
      ? { ...base, properties: { ...base.properties } }
      : { type: 'object', properties: {}, preserveUnknown: true };
  root.properties['apiVersion'] = str;
  root.properties['kind'] = str;
  root.properties['metadata'] = ref(OBJECT_META);
  return root;
}
