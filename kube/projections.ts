/**
 * Projections: the few fields of a Pod or Node that federation and the schedulers need, so an
 * informer over 100k pods holds ~1 KB per pod instead of the full object (~5–10 KB parsed).
 *
 * Values repeated across many objects (namespaces, node names, phases, label keys and values)
 * are interned: JSON.parse makes a fresh string for every occurrence, and 100k copies of
 * "Running" add up.
 */
import type { RawObject } from './informer.js';
import type { FieldSchema } from './json-skim.js';
import { podRequests, qosClass, type KubeQosClass, type PodLike, type ResourceAmounts, parseResourceList } from './resources.js';
// The one place kube/ reads api/: a pod's Tidepool class is decided there, and the projection
// computes it once while it still has the containers (the summary keeps only their sums).
import { GANG_INPUT_ANNOTATIONS, GANG_INPUT_LABELS } from '../api/gang.js';
import { QOS_INPUT_ANNOTATIONS, QOS_INPUT_LABELS, qosClassOf, type TidepoolQos } from '../api/qos.js';

/** What federation and the schedulers know about a pod. */
export interface PodSummary {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  /** spec.nodeName; '' while unscheduled. */
  readonly node: string;
  /** status.phase: Pending, Running, Succeeded, Failed, Unknown. */
  readonly phase: string;
  /** Effective requests (init containers, sidecars, overhead): cpu in millicores, others in units. */
  readonly requests: Readonly<ResourceAmounts>;
  readonly qos: TidepoolQos;
  readonly kubeQos: KubeQosClass;
  readonly priority: number;
  readonly schedulerName: string;
  /** metadata.deletionTimestamp is set: the pod is going away. */
  readonly terminating: boolean;
  /** The labels that were asked for (see PodProjectionOptions.labels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Only the annotations Tidepool's rules read (Volcano's QoS level and group name); usually empty. */
  readonly annotations: Readonly<Record<string, string>>;
  /** Kind/name of the controller owner (e.g. "ReplicaSet/web-7d4b"), '' when none. */
  readonly owner: string;
}

/** What federation and the schedulers know about a node. */
export interface NodeSummary {
  readonly uid: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly NodeTaint[];
  readonly unschedulable: boolean;
  /** The Ready condition is True. */
  readonly ready: boolean;
  readonly allocatable: Readonly<ResourceAmounts>;
  readonly capacity: Readonly<ResourceAmounts>;
  readonly zone: string;
  readonly region: string;
  /** InternalIP, else the first address. */
  readonly address: string;
  /** Only the annotations a component asked for (nodeProjection's `annotations`); empty otherwise. */
  readonly annotations: Readonly<Record<string, string>>;
}

export interface NodeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: string;
}

/** Labels pods keep by default: what placement, QoS and grouping read. */
export const DEFAULT_POD_LABELS: readonly string[] = [
  ...new Set(['app', 'app.kubernetes.io/name', 'app.kubernetes.io/instance', ...QOS_INPUT_LABELS, ...GANG_INPUT_LABELS]),
];

/** Annotations kept: the few other systems' conventions put in annotations (Volcano's QoS level and group). */
const POD_ANNOTATIONS: readonly string[] = [...new Set([...QOS_INPUT_ANNOTATIONS, ...GANG_INPUT_ANNOTATIONS])];

export interface PodProjectionOptions {
  /** Label keys to keep (exact), or a predicate. Default DEFAULT_POD_LABELS. */
  labels?: readonly string[] | ((key: string) => boolean);
}

const CONTAINER_FIELDS: FieldSchema = [{ name: true, resources: true, restartPolicy: true }];

type SectionFields = { readonly [key: string]: FieldSchema };

/**
 * A pod field schema for an informer: what every pod informer reads (name, namespace, uid,
 * resourceVersion), what podRequests and qosClass read (containers' and init containers'
 * resources, overhead, pod-level resources, status.qosClass), and `own`, the fields a
 * projection reads besides. Make it once per projection: schemas are compiled per object.
 */
export function podFields(own: { metadata?: SectionFields; spec?: SectionFields; status?: SectionFields }): FieldSchema {
  return {
    metadata: { name: true, namespace: true, uid: true, resourceVersion: true, ...own.metadata },
    spec: { overhead: true, resources: true, containers: CONTAINER_FIELDS, initContainers: CONTAINER_FIELDS, ...own.spec },
    status: { qosClass: true, ...own.status },
  };
}

/** The annotations pods keep, as a schema: only these are decoded (last-applied-configuration alone can be kilobytes). */
export const POD_ANNOTATION_FIELDS: SectionFields = Object.fromEntries(POD_ANNOTATIONS.map((k) => [k, true] as const));

/**
 * Every field projectPod (and the resource math under it) reads. Give it to the informer as
 * `fields` so the rest of each pod is skipped while decoding, never built.
 */
export const POD_FIELDS: FieldSchema = podFields({
  metadata: { labels: true, annotations: POD_ANNOTATION_FIELDS, deletionTimestamp: true, ownerReferences: true },
  spec: { nodeName: true, priority: true, priorityClassName: true, schedulerName: true },
  status: { phase: true },
});

/** Every field projectNode reads (a node's status.images alone can be tens of KB). */
export const NODE_FIELDS: FieldSchema = {
  metadata: { name: true, namespace: true, uid: true, resourceVersion: true, labels: true, annotations: true },
  spec: { unschedulable: true, taints: true },
  status: { allocatable: true, capacity: true, conditions: [{ type: true, status: true }], addresses: true },
};

/** Shares equal strings between objects; bounded so a stream of unique values cannot grow it forever. */
export class Interner {
  private readonly map = new Map<string, string>();
  constructor(private readonly max = 100_000) {}

  intern(s: string): string {
    const hit = this.map.get(s);
    if (hit !== undefined) return hit;
    if (this.map.size >= this.max) this.map.clear();
    // Flatten a sliced/concatenated string so the cached copy holds no parent buffer.
    const own = (' ' + s).slice(1);
    this.map.set(own, own);
    return own;
  }
}

const shared = new Interner();

const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const isPodAnnotation = ((set: Set<string>) => (k: string) => set.has(k))(new Set(POD_ANNOTATIONS));

/**
 * The annotations Tidepool's rules read (api's QoS and gang inputs: Volcano's QoS level and
 * group name) of a pod's metadata.annotations, interned; usually none, and then one shared
 * empty object.
 */
export function pickPodAnnotations(annotations: unknown): Readonly<Record<string, string>> {
  return pickLabels(annotations as Record<string, string> | undefined, isPodAnnotation);
}

/** Returns a projection of raw Pod JSON to a PodSummary. Throws on a pod whose quantities are malformed. */
export function podProjection(options: PodProjectionOptions = {}): (obj: RawObject) => PodSummary {
  const keep = options.labels ?? DEFAULT_POD_LABELS;
  const wanted = typeof keep === 'function' ? keep : ((set: Set<string>) => (k: string) => set.has(k))(new Set(keep));
  return (raw) => projectPodWith(raw, wanted);
}

/** The default pod projection. */
export const projectPod: (obj: RawObject) => PodSummary = podProjection();

function projectPodWith(raw: RawObject, wanted: (key: string) => boolean): PodSummary {
  const pod = raw as unknown as PodLike & RawObject;
  const meta = (raw.metadata ?? {}) as {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: Array<{ kind?: string; name?: string; controller?: boolean }>;
  };
  const spec = (raw['spec'] ?? {}) as { nodeName?: string; priority?: number; schedulerName?: string };
  const status = (raw['status'] ?? {}) as { phase?: string };
  const owner = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
  const allRequests = podRequests(pod);
  const kubeQos = qosClass(pod); // once each: qosClassOf needs both
  const requests = compact(allRequests);
  return {
    uid: str(meta.uid),
    namespace: shared.intern(str(meta.namespace)),
    name: str(meta.name),
    node: shared.intern(str(spec.nodeName)),
    phase: shared.intern(str(status.phase) || 'Pending'),
    requests,
    qos: qosClassOf(pod, { kubeQos, requests: allRequests }),
    kubeQos,
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
    schedulerName: shared.intern(str(spec.schedulerName) || 'default-scheduler'),
    terminating: typeof meta.deletionTimestamp === 'string' && meta.deletionTimestamp !== '',
    labels: pickLabels(meta.labels, wanted),
    annotations: pickLabels(meta.annotations, isPodAnnotation),
    owner: owner?.kind && owner.name ? `${shared.intern(owner.kind)}/${owner.name}` : '',
  };
}

/** A node projection that also keeps the named annotations (e.g. a controller's marker on the node). */
export function nodeProjection(options: { annotations?: readonly string[] } = {}): (raw: RawObject) => NodeSummary {
  const keys = new Set(options.annotations ?? []);
  if (keys.size === 0) return projectNode;
  return (raw) => {
    const base = projectNode(raw);
    const annotations = pickLabels((raw.metadata as { annotations?: Record<string, string> } | undefined)?.annotations, (k) => keys.has(k));
    return annotations === EMPTY_LABELS ? base : { ...base, annotations };
  };
}

/** Projects raw Node JSON to a NodeSummary (all labels kept: node selectors may name any; no annotations). */
export function projectNode(raw: RawObject): NodeSummary {
  const meta = (raw.metadata ?? {}) as { name?: string; uid?: string; labels?: Record<string, string> };
  const spec = (raw['spec'] ?? {}) as { unschedulable?: boolean; taints?: Array<{ key?: string; value?: string; effect?: string }> };
  const status = (raw['status'] ?? {}) as {
    allocatable?: Record<string, string>;
    capacity?: Record<string, string>;
    conditions?: Array<{ type?: string; status?: string }>;
    addresses?: Array<{ type?: string; address?: string }>;
  };
  const name = str(meta.name);
  const labels = pickLabels(meta.labels, () => true);
  const addresses = Array.isArray(status.addresses) ? status.addresses : [];
  const address = addresses.find((a) => a.type === 'InternalIP')?.address ?? addresses[0]?.address ?? '';
  return {
    uid: str(meta.uid),
    name: shared.intern(name),
    labels,
    taints: (Array.isArray(spec.taints) ? spec.taints : []).map((t) => ({
      key: shared.intern(str(t.key)),
      value: shared.intern(str(t.value)),
      effect: shared.intern(str(t.effect)),
    })),
    unschedulable: spec.unschedulable === true,
    ready: (Array.isArray(status.conditions) ? status.conditions : []).some((c) => c.type === 'Ready' && c.status === 'True'),
    allocatable: parseResourceList(status.allocatable, `node ${name} status.allocatable`),
    capacity: parseResourceList(status.capacity, `node ${name} status.capacity`),
    zone: labels['topology.kubernetes.io/zone'] ?? '',
    region: labels['topology.kubernetes.io/region'] ?? '',
    address: str(address),
    annotations: EMPTY_LABELS,
  };
}

function pickLabels(labels: Record<string, string> | undefined, wanted: (key: string) => boolean): Readonly<Record<string, string>> {
  if (!labels || typeof labels !== 'object') return EMPTY_LABELS;
  let out: Record<string, string> | undefined;
  for (const k in labels) {
    const v = labels[k];
    if (typeof v !== 'string' || !wanted(k)) continue;
    (out ??= {})[shared.intern(k)] = shared.intern(v);
  }
  return out ?? EMPTY_LABELS;
}

/** Drops zero amounts: most pods request only cpu and memory, and small objects stay small. */
function compact(amounts: ResourceAmounts): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const k in amounts) if (amounts[k]) out[shared.intern(k)] = amounts[k]!;
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
