// The shapes of a hand-written Kubernetes schema. A node describes what JSON a field
// holds; named definitions (io.k8s.api.core.v1.Container, ...) are referenced by name so
// the OpenAPI document can emit them once and recursive types stay finite.

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** How `kubectl apply` and strategic merge patch treat a field (x-kubernetes-patch-*). */
export interface PatchMeta {
  patchStrategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  patchMergeKey?: string;
}

interface NodeBase extends PatchMeta {
  description?: string;
  /** Custom resources only: null is kept (not pruned) for this field. */
  nullable?: boolean;
  /**
   * Built-ins: a non-pointer metav1.Time field (condition and container-state times). Go
   * encodes its zero value as `null`, so kube-apiserver serves `lastProbeTime: null` instead
   * of dropping it; the decoder keeps such nulls and fills them in when the field is absent.
   */
  zeroIsNull?: boolean;
  /** Custom resources only: the schema's `default`, applied when the field is absent. */
  default?: unknown;
  /** Custom resources only: value constraints from the schema (minimum, pattern, maxItems...). */
  limits?: ValueLimits;
}

/** The JSON schema value keywords kube enforces on custom resources. */
export interface ValueLimits {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
}

export interface StringNode extends NodeBase {
  type: 'string';
  /** 'byte' means base64 text ([]byte in Go); 'date-time' an RFC 3339 time. */
  format?: string;
  enum?: readonly string[];
}

export interface IntegerNode extends NodeBase {
  type: 'integer';
  format: 'int32' | 'int64';
  /** Custom resources only: allowed values. */
  enum?: readonly unknown[];
}

export interface NumberNode extends NodeBase {
  type: 'number';
  enum?: readonly unknown[];
}

export interface BooleanNode extends NodeBase {
  type: 'boolean';
}

export interface ObjectNode extends NodeBase {
  type: 'object';
  properties: Record<string, Node>;
  required?: readonly string[];
  /** x-kubernetes-preserve-unknown-fields: fields not listed are kept, not reported. */
  preserveUnknown?: boolean;
  /** x-kubernetes-embedded-resource (custom resources). */
  embeddedResource?: boolean;
}

/** A JSON object used as a map (additionalProperties): labels, resource lists, data. */
export interface MapNode extends NodeBase {
  type: 'map';
  values: Node;
  mapType?: 'atomic' | 'granular';
}

export interface ListNode extends NodeBase {
  type: 'list';
  items: Node;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: readonly string[];
}

export interface RefNode extends NodeBase {
  type: 'ref';
  name: string;
}

/** intstr.IntOrString: an int32 or a string (ports, percentages). */
export interface IntOrStringNode extends NodeBase {
  type: 'int-or-string';
}

/** resource.Quantity: a string such as "500m" or "1Gi" (JSON numbers are accepted too). */
export interface QuantityNode extends NodeBase {
  type: 'quantity';
}

/** Anything at all: RawExtension, FieldsV1, schema-less custom resource data. */
export interface AnyNode extends NodeBase {
  type: 'any';
}

export type Node =
  | StringNode
  | IntegerNode
  | NumberNode
  | BooleanNode
  | ObjectNode
  | MapNode
  | ListNode
  | RefNode
  | IntOrStringNode
  | QuantityNode
  | AnyNode;

/** A named definition, as it appears in components.schemas. */
export interface Definition {
  name: string;
  node: Node;
  /** Top-level kinds carry x-kubernetes-group-version-kind. */
  gvks: GroupVersionKind[];
}

/** The OpenAPI v3 / JSON schema of a custom resource version (spec.versions[].schema.openAPIV3Schema). */
export type JSONSchemaProps = Record<string, unknown>;
