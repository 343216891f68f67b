// Schema nodes -> OpenAPI v3 schemas, shaped as kube-apiserver publishes them: named
// definitions under components.schemas, fields that hold a definition as
// `allOf: [{$ref}]` with their patch extensions beside it (where kubectl's strategic
// merge patch reads them), and the x-kubernetes-* extensions for list types, map keys,
// int-or-string and preserved unknown fields.
import { COMMON_FIELD_DESCRIPTIONS, TYPE_DESCRIPTIONS } from './descriptions.js';
import { allDefinitions, definition } from './dsl.js';
import type { Definition, JSONSchemaProps, Node } from './types.js';

export type OpenApiSchema = Record<string, unknown>;

export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
export const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
export const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
export const LIST_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta';

/** Scalar types kube publishes as their own definitions; fields reference them. */
const SYNTHETIC: Record<string, OpenApiSchema> = {
  [QUANTITY]: {
    description:
      'Quantity is a fixed-point representation of a number, e.g. "500m" (0.5) or "1Gi". Serialized as a string.',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
  [INT_OR_STRING]: {
    description: 'IntOrString is a type that can hold an int32 or a string.',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    format: 'int-or-string',
  },
  [TIME]: {
    description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON (RFC 3339).',
    type: 'string',
    format: 'date-time',
  },
  [PATCH]: { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' },
};

export const refPath = (name: string): string => `#/components/schemas/${name}`;

function withMeta(node: Node, s: OpenApiSchema): OpenApiSchema {
  if (node.description) s['description'] = node.description;
  if (node.patchStrategy) s['x-kubernetes-patch-strategy'] = node.patchStrategy;
  if (node.patchMergeKey) s['x-kubernetes-patch-merge-key'] = node.patchMergeKey;
  return s;
}

/** One field's schema; `refs` collects the definitions it names. */
export function nodeToOpenApi(node: Node, refs: Set<string>): OpenApiSchema {
  switch (node.type) {
    case 'ref': {
      refs.add(node.name);
      const target = definition(node.name);
      // Structs are wrapped like kube does (allOf + default {}); other named types are plain refs.
      const isStruct = target?.node.type === 'object';
      const s: OpenApiSchema = isStruct ? { allOf: [{ $ref: refPath(node.name) }], default: {} } : { allOf: [{ $ref: refPath(node.name) }] };
      return withMeta(node, s);
    }
    case 'string': {
      if (node.format === 'date-time') {
        refs.add(TIME);
        return withMeta(node, { allOf: [{ $ref: refPath(TIME) }] });
      }
      const s: OpenApiSchema = { type: 'string' };
      if (node.format) s['format'] = node.format;
      if (node.enum) s['enum'] = [...node.enum];
      return withMeta(node, s);
    }
    case 'integer':
      return withMeta(node, { type: 'integer', format: node.format });
    case 'number':
      return withMeta(node, { type: 'number', format: 'double' });
    case 'boolean':
      return withMeta(node, { type: 'boolean' });
    case 'quantity':
      refs.add(QUANTITY);
      return withMeta(node, { allOf: [{ $ref: refPath(QUANTITY) }] });
    case 'int-or-string':
      refs.add(INT_OR_STRING);
      return withMeta(node, { allOf: [{ $ref: refPath(INT_OR_STRING) }] });
    case 'any':
      return withMeta(node, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    case 'map': {
      // Map values name their type with a bare $ref, as kube publishes them.
      const values = nodeToOpenApi(node.values, refs);
      const inner = Array.isArray(values['allOf']) && Object.keys(values).every((k) => k === 'allOf' || k === 'default') ? (values['allOf'] as OpenApiSchema[])[0]! : values;
      const s: OpenApiSchema = { type: 'object', additionalProperties: inner };
      if (node.mapType) s['x-kubernetes-map-type'] = node.mapType;
      return withMeta(node, s);
    }
    case 'list': {
      const s: OpenApiSchema = { type: 'array', items: nodeToOpenApi(node.items, refs) };
      if (node.listType) s['x-kubernetes-list-type'] = node.listType;
      if (node.listMapKeys) s['x-kubernetes-list-map-keys'] = [...node.listMapKeys];
      return withMeta(node, s);
    }
    case 'object': {
      const properties: Record<string, OpenApiSchema> = {};
      for (const [k, v] of Object.entries(node.properties)) properties[k] = nodeToOpenApi(v, refs);
      const s: OpenApiSchema = { type: 'object', properties };
      if (node.required && node.required.length > 0) s['required'] = [...node.required];
      if (node.preserveUnknown) s['x-kubernetes-preserve-unknown-fields'] = true;
      if (node.embeddedResource) s['x-kubernetes-embedded-resource'] = true;
      return withMeta(node, s);
    }
  }
}

/** A named definition as published in components.schemas. */
export function definitionToOpenApi(def: Definition, refs: Set<string>): OpenApiSchema {
  const s = nodeToOpenApi(def.node, refs);
  const description = TYPE_DESCRIPTIONS[def.name];
  if (description && s['description'] === undefined) s['description'] = description;
  if (def.gvks.length > 0) {
    s['x-kubernetes-group-version-kind'] = def.gvks.map((g) => ({ ...g }));
    // Top-level kinds: describe the fields every object has.
    const props = s['properties'];
    if (props && typeof props === 'object') {
      for (const [name, text] of Object.entries(COMMON_FIELD_DESCRIPTIONS)) {
        const field = (props as Record<string, OpenApiSchema>)[name];
        if (field && field['description'] === undefined) field['description'] = text;
      }
    }
  }
  return s;
}

/**
 * components.schemas holding `roots` and everything they reference, transitively.
 * `extra` are schemas built elsewhere (lists, custom resources) whose refs were collected
 * into `pending`.
 */
export function schemaClosure(roots: Iterable<string>, extra: Record<string, OpenApiSchema> = {}, pending: Iterable<string> = []): Record<string, OpenApiSchema> {
  const out: Record<string, OpenApiSchema> = { ...extra };
  const queue = [...roots, ...pending];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (out[name] !== undefined) continue;
    const synthetic = SYNTHETIC[name];
    if (synthetic) {
      out[name] = synthetic;
      continue;
    }
    const def = definition(name);
    if (!def) continue;
    const refs = new Set<string>();
    out[name] = definitionToOpenApi(def, refs);
    for (const r of refs) if (out[r] === undefined) queue.push(r);
  }
  // Sorted keys keep the document (and its hash) stable.
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]!]));
}

/** The `List` definition kube publishes next to each kind (PodList, DeploymentList...). */
export function listSchema(itemDefinition: string, gvk: { group: string; version: string; kind: string }): OpenApiSchema {
  return {
    description: `${gvk.kind}List is a list of ${gvk.kind}.`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      items: { type: 'array', items: { allOf: [{ $ref: refPath(itemDefinition) }], default: {} } },
      kind: { type: 'string' },
      metadata: { allOf: [{ $ref: refPath(LIST_META) }], default: {} },
    },
    'x-kubernetes-group-version-kind': [{ group: gvk.group, version: gvk.version, kind: `${gvk.kind}List` }],
  };
}

/** The components.schemas name kube gives a custom resource: com.example.v1.Widget for example.com/v1. */
export function customResourceDefinitionName(group: string, version: string, kind: string): string {
  return [...group.split('.').reverse(), version, kind].join('.');
}

/**
 * A custom resource version's published schema: its openAPIV3Schema, with apiVersion,
 * kind and metadata (ObjectMeta, whatever the CRD says) filled in, and its GVK.
 */
export function customResourceSchema(
  schema: JSONSchemaProps | undefined,
  gvk: { group: string; version: string; kind: string },
): OpenApiSchema {
  const base: OpenApiSchema = schema ? structuredClone(schema) : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  base['type'] ??= 'object';
  const props = (typeof base['properties'] === 'object' && base['properties'] !== null ? base['properties'] : {}) as Record<string, unknown>;
  base['properties'] = {
    ...props,
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    metadata: { allOf: [{ $ref: refPath(OBJECT_META) }], default: {} },
  };
  base['x-kubernetes-group-version-kind'] = [{ ...gvk }];
  return base;
}

/** Every definition name, for tests and tools. */
export function allDefinitionNames(): string[] {
  return [...allDefinitions()].map((d) => d.name);
}
