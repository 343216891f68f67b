// A small builder language for writing Kubernetes schemas by hand, e.g.
//   def('io.k8s.api.core.v1.ContainerPort', obj({ name: str, containerPort: int32 }, ['containerPort']))
// Definitions register themselves in one table; `ref` points at them by name, so order of
// declaration does not matter and recursive types work.
import type {
  AnyNode,
  BooleanNode,
  Definition,
  GroupVersionKind,
  IntegerNode,
  IntOrStringNode,
  ListNode,
  MapNode,
  Node,
  NumberNode,
  ObjectNode,
  PatchMeta,
  QuantityNode,
  RefNode,
  StringNode,
} from './types.js';

const definitions = new Map<string, Definition>();

export const str: StringNode = { type: 'string' };
export const int32: IntegerNode = { type: 'integer', format: 'int32' };
export const int64: IntegerNode = { type: 'integer', format: 'int64' };
export const num: NumberNode = { type: 'number' };
export const bool: BooleanNode = { type: 'boolean' };
export const quantity: QuantityNode = { type: 'quantity' };
export const intOrString: IntOrStringNode = { type: 'int-or-string' };
export const any: AnyNode = { type: 'any' };
/** metav1.Time / MicroTime: an RFC 3339 timestamp string. */
export const time: StringNode = { type: 'string', format: 'date-time' };
/**
 * A non-pointer metav1.Time (e.g. PodCondition.lastProbeTime): served as `null` when unset,
 * because Go's encoder writes a zero Time as null and omitempty does not omit structs.
 */
export const valueTime: StringNode = { type: 'string', format: 'date-time', zeroIsNull: true };
/** []byte: base64 text in JSON. */
export const bytes: StringNode = { type: 'string', format: 'byte' };

export function enumOf(...values: string[]): StringNode {
  return { type: 'string', enum: values };
}

/** A struct. `required` lists fields the API marks required (documentation and OpenAPI only). */
export function obj(properties: Record<string, Node>, required?: readonly string[]): ObjectNode {
  return required && required.length > 0 ? { type: 'object', properties, required } : { type: 'object', properties };
}

/** A struct whose unknown fields are kept (x-kubernetes-preserve-unknown-fields). */
export function openObj(properties: Record<string, Node> = {}): ObjectNode {
  return { type: 'object', properties, preserveUnknown: true };
}

export function map(values: Node = str, mapType?: MapNode['mapType']): MapNode {
  return mapType ? { type: 'map', values, mapType } : { type: 'map', values };
}

/** map[string]string, the shape of labels, annotations and selectors. */
export const strMap: MapNode = map(str);
/** ResourceList: resource name -> quantity. */
export const resourceList: MapNode = map(quantity);

export interface ListOptions {
  /** Strategic merge key (x-kubernetes-patch-merge-key); implies patch strategy "merge". */
  mergeKey?: string;
  strategy?: PatchMeta['patchStrategy'];
  listType?: ListNode['listType'];
  mapKeys?: readonly string[];
}

export function list(items: Node, opts: ListOptions = {}): ListNode {
  const node: ListNode = { type: 'list', items };
  if (opts.mergeKey) {
    node.patchMergeKey = opts.mergeKey;
    node.patchStrategy = opts.strategy ?? 'merge';
  } else if (opts.strategy) {
    node.patchStrategy = opts.strategy;
  }
  const listType = opts.listType ?? (opts.mapKeys ? 'map' : undefined);
  if (listType) node.listType = listType;
  if (opts.mapKeys) node.listMapKeys = opts.mapKeys;
  return node;
}

export const strList: ListNode = list(str, { listType: 'atomic' });

/** A reference to a named definition. */
export function ref(name: string, patch?: PatchMeta): RefNode {
  return patch ? { type: 'ref', name, ...patch } : { type: 'ref', name };
}

/** Registers a named definition and returns a reference to it. */
export function def(name: string, node: Node, gvks: GroupVersionKind[] = []): RefNode {
  const existing = definitions.get(name);
  if (existing) throw new Error(`schema definition ${name} is declared twice`);
  definitions.set(name, { name, node, gvks });
  return ref(name);
}

export function definition(name: string): Definition | undefined {
  return definitions.get(name);
}

export function allDefinitions(): IterableIterator<Definition> {
  return definitions.values();
}

/** Follows references until a concrete node; an unknown name resolves to `any`. */
export function resolve(node: Node): Node {
  let current: Node = node;
  for (let hops = 0; current.type === 'ref' && hops < 32; hops++) {
    const target = definitions.get(current.name);
    if (!target) return any;
    current = target.node;
  }
  return current;
}

/** The Go type name of a definition as kube's decoder prints it: "v1.Container". */
export function goTypeName(defName: string): string {
  const parts = defName.split('.');
  const type = parts[parts.length - 1] ?? defName;
  const pkg = parts[parts.length - 2] ?? '';
  return pkg ? `${pkg}.${type}` : type;
}
