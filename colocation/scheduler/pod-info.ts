/**
 * Pod JSON -> SchedPod, the one place the scheduler reads raw pods (informer events and the
 * extender's ExtenderArgs.Pod alike).
 *
 * A pod the scheduler cannot read (a malformed quantity, an affinity of the wrong shape) is not
 * dropped: it comes out with `invalid` set, so the scheduler can say so in an Event and park it
 * instead of the informer skipping it silently or one bad pod stopping the loop.
 */
import { gangOf, qosClassOf, workloadRoleOf } from '../../api/index.js';
import { POD_ANNOTATION_FIELDS, pickPodAnnotations, podFields, podRequests, type FieldSchema, type PodLike, type RawObject, type ResourceAmounts } from '../../kube/index.js';
import type { LabelSelector, NodeSelectorTerm, Toleration } from '../../kube/index.js';
import type { PodAffinityTerm, SchedPod } from './types.js';

/** Every field projectSchedPod reads: give it to the informer so the rest is skipped unbuilt. */
export const SCHED_POD_FIELDS: FieldSchema = podFields({
  metadata: { labels: true, annotations: POD_ANNOTATION_FIELDS, creationTimestamp: true, deletionTimestamp: true },
  spec: { nodeName: true, schedulerName: true, priority: true, priorityClassName: true, nodeSelector: true, affinity: true, tolerations: true },
  status: { phase: true },
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** Projects a Pod. Never throws for a pod with a name: problems end up in `invalid`. */
export function projectSchedPod(raw: RawObject): SchedPod {
  const meta = (isObj(raw.metadata) ? raw.metadata : {}) as Obj;
  const spec = (isObj(raw['spec']) ? raw['spec'] : {}) as Obj;
  const status = (isObj(raw['status']) ? raw['status'] : {}) as Obj;
  const namespace = str(meta['namespace']) || 'default';
  const name = str(meta['name']);
  const labels = stringMap(meta['labels']) ?? EMPTY;
  const annotations = pickPodAnnotations(meta['annotations']);
  const problems: string[] = [];

  let requests: ResourceAmounts = {};
  try {
    requests = compact(podRequests(raw as unknown as PodLike));
  } catch (err) {
    problems.push((err as Error).message);
  }
  let qos: SchedPod['qos'] = 'online';
  try {
    qos = qosClassOf({ ...(raw as unknown as PodLike), metadata: { namespace, name, labels, annotations } }, problems.length === 0 ? { requests } : {});
  } catch (err) {
    if (problems.length === 0) problems.push((err as Error).message);
  }

  const nodeSelector = spec['nodeSelector'] === undefined ? undefined : stringMap(spec['nodeSelector']);
  if (spec['nodeSelector'] !== undefined && nodeSelector === undefined) problems.push('spec.nodeSelector must map label keys to string values');
  const affinity = isObj(spec['affinity']) ? spec['affinity'] : {};
  const nodeAffinity = readNodeAffinity(affinity['nodeAffinity'], problems);
  const antiAffinity = readAntiAffinity(affinity['podAntiAffinity'], problems);
  const tolerations = readTolerations(spec['tolerations'], problems);
  const created = Date.parse(str(meta['creationTimestamp']));

  return {
    key: `${namespace}/${name}`,
    uid: str(meta['uid']),
    namespace,
    name,
    labels,
    annotations,
    node: str(spec['nodeName']),
    phase: str(status['phase']) || 'Pending',
    terminating: str(meta['deletionTimestamp']) !== '',
    schedulerName: str(spec['schedulerName']) || 'default-scheduler',
    priority: typeof spec['priority'] === 'number' ? spec['priority'] : 0,
    qos,
    requests,
    nodeSelector,
    nodeAffinity,
    tolerations,
    antiAffinity,
    createdAt: Number.isFinite(created) ? created : 0,
    gang: gangOf({ metadata: { namespace, labels, annotations } }),
    role: workloadRoleOf(labels),
    invalid: problems.length > 0 ? problems.join('; ') : undefined,
  };
}

function stringMap(v: unknown): Readonly<Record<string, string>> | undefined {
  if (!isObj(v)) return undefined;
  for (const k in v) if (typeof v[k] !== 'string') return undefined;
  return v as Record<string, string>;
}

function compact(amounts: ResourceAmounts): ResourceAmounts {
  const out: ResourceAmounts = {};
  for (const k in amounts) if (amounts[k]) out[k] = amounts[k]!;
  return out;
}

function readRequirements(v: unknown, where: string, problems: string[]): NodeSelectorTerm['matchExpressions'] {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((r) => isObj(r) && typeof r['key'] === 'string' && typeof r['operator'] === 'string' && (r['values'] === undefined || (Array.isArray(r['values']) && r['values'].every((x) => typeof x === 'string'))))) {
    problems.push(`${where} must be a list of {key, operator, values}`);
    return undefined;
  }
  return v as NodeSelectorTerm['matchExpressions'];
}

function readNodeAffinity(v: unknown, problems: string[]): readonly NodeSelectorTerm[] | undefined {
  if (!isObj(v)) return undefined;
  const required = v['requiredDuringSchedulingIgnoredDuringExecution'];
  if (required === undefined) return undefined;
  const where = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution';
  if (!isObj(required) || !Array.isArray(required['nodeSelectorTerms'])) {
    problems.push(`${where}.nodeSelectorTerms must be a list`);
    return undefined;
  }
  return (required['nodeSelectorTerms'] as unknown[]).map((t, i) => {
    const term = isObj(t) ? t : {};
    const matchExpressions = readRequirements(term['matchExpressions'], `${where}.nodeSelectorTerms[${i}].matchExpressions`, problems);
    const matchFields = readRequirements(term['matchFields'], `${where}.nodeSelectorTerms[${i}].matchFields`, problems);
    return { ...(matchExpressions ? { matchExpressions } : {}), ...(matchFields ? { matchFields } : {}) };
  });
}

function readSelector(v: unknown, where: string, problems: string[]): LabelSelector | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) {
    problems.push(`${where} must be an object`);
    return undefined;
  }
  const matchLabels = v['matchLabels'] === undefined ? undefined : stringMap(v['matchLabels']);
  if (v['matchLabels'] !== undefined && matchLabels === undefined) problems.push(`${where}.matchLabels must map keys to string values`);
  const matchExpressions = readRequirements(v['matchExpressions'], `${where}.matchExpressions`, problems);
  return { ...(matchLabels ? { matchLabels } : {}), ...(matchExpressions ? { matchExpressions } : {}) };
}

function readAntiAffinity(v: unknown, problems: string[]): readonly PodAffinityTerm[] {
  if (!isObj(v)) return [];
  const required = v['requiredDuringSchedulingIgnoredDuringExecution'];
  if (required === undefined) return [];
  const where = 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution';
  if (!Array.isArray(required)) {
    problems.push(`${where} must be a list`);
    return [];
  }
  const out: PodAffinityTerm[] = [];
  required.forEach((t, i) => {
    const at = `${where}[${i}]`;
    if (!isObj(t) || typeof t['topologyKey'] !== 'string' || t['topologyKey'] === '') {
      problems.push(`${at}.topologyKey is required`);
      return;
    }
    // A term without a labelSelector matches no pod (as in kube-scheduler).
    const selector = readSelector(t['labelSelector'], `${at}.labelSelector`, problems);
    if (selector === undefined) return;
    const ns = t['namespaces'];
    if (ns !== undefined && !(Array.isArray(ns) && ns.every((x) => typeof x === 'string'))) problems.push(`${at}.namespaces must be a list of names`);
    out.push({ selector, namespaces: Array.isArray(ns) ? (ns as string[]) : [], topologyKey: t['topologyKey'] });
  });
  return out;
}

function readTolerations(v: unknown, problems: string[]): readonly Toleration[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isObj)) {
    problems.push('spec.tolerations must be a list of objects');
    return [];
  }
  return v as Toleration[];
}
