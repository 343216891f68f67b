/**
 * What the colocation webhook does to a pod, as a pure function: `mutatePod(pod, nsLabels)`
 * returns the JSON patch that makes an offline pod run on reclaimed capacity, and warnings
 * for the user.
 *
 * Which pods are offline is api/'s rule (qosDecisionOf: the tidepool.dev/qos label,
 * Koordinator's and Volcano's BE, Spark executors, Flink taskmanagers, ...); a namespace
 * labelled tidepool.dev/colocation=enabled makes every pod in it offline except Spark
 * drivers and Flink jobmanagers, which stay online because losing one loses the job.
 *
 * An offline pod gets what the mutators in OFFLINE_MUTATORS plan, each one concern:
 * its cpu/memory requests and limits moved to kubernetes.io/batch-cpu (integer millicores)
 * and kubernetes.io/batch-memory (bytes), priority class tidepool-offline (spec.priority and
 * spec.preemptionPolicy dropped so the API server resolves them from the new class), the
 * scheduler tidepool-scheduler and the label tidepool.dev/qos=offline. Each mutator plans
 * only what differs, so a pod already mutated gets an empty patch.
 *
 * The webhook must never block a pod by its own mistake: a pod it cannot read, or whose
 * quantities do not parse, is admitted unchanged with a warning saying why.
 */
import {
  BATCH_EQUIVALENTS,
  COLOCATION_ENABLED,
  COLOCATION_NAMESPACE_LABEL,
  isColocationNamespace,
  OFFLINE_PRIORITY_CLASS,
  QOS_LABEL,
  qosDecisionOf,
  SCHEDULER_NAME,
  workloadRoleOf,
  type QosPod,
} from '../../api/index.js';
import { QuantityError, parseQuantity, toMilliBigInt, toUnitsBigInt } from '../../kube/index.js';
import { pointer, type JsonPatchOperation } from './patch.js';

export type Labels = Readonly<Record<string, string>>;

/** What happened to a pod, for metrics and logs. */
export type MutationOutcome =
  /** Offline, and the patch makes it so. */
  | 'mutated'
  /** Offline and already mutated: empty patch. */
  | 'already-offline'
  /** Not offline: left alone. */
  | 'online'
  /** Offline by its labels, but left unchanged for a reason the warnings give. */
  | 'unchanged';

export interface PodMutation {
  patch: JsonPatchOperation[];
  warnings: string[];
  outcome: MutationOutcome;
  /** Why the pod is, or is not, offline: in words a user can check against the pod. */
  reason: string;
}

/** The parts of a pod the mutators read, checked to be JSON objects of the right shape. */
export interface PodView {
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly spec: Readonly<Record<string, unknown>>;
  readonly labels: Labels;
  /** "namespace/name" (or generateName) for messages. */
  readonly name: string;
}

/** What the mutators build together. */
export interface MutationPlan {
  ops: JsonPatchOperation[];
  warnings: string[];
}

/** One concern of making a pod offline (a plugin: the list decides what the webhook does). */
export interface PodMutator {
  readonly name: string;
  /** Adds the operations (and warnings) its concern needs; nothing when the pod already has it. */
  plan(pod: PodView, out: MutationPlan): void;
}

/** A mutator's verdict that the pod cannot be made offline as it is: admitted unchanged, with this message. */
export class CannotMutate extends Error {
  override readonly name = 'CannotMutate';
}

/** Every warning starts so, for the user to tell who said it (kubectl prints "Warning: ..."). */
export const WARNING_PREFIX = 'tidepool: ';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const CONTAINER_LISTS = ['containers', 'initContainers'] as const;
const RESOURCE_LISTS = ['requests', 'limits'] as const;

// ------------------------------------------------------------------ mutators

/** An amount for a batch resource: cpu in integer millicores, memory in bytes (rounded up, as kube does). */
function batchAmount(value: unknown, resource: 'cpu' | 'memory', where: string): string {
  const bad = (why: string): CannotMutate => new CannotMutate(`${where}.${resource} ${JSON.stringify(value)} ${why}; pod admitted unchanged`);
  if (typeof value !== 'string' && typeof value !== 'number') throw bad('is not a quantity');
  let q;
  try {
    q = parseQuantity(value);
  } catch (e) {
    if (e instanceof QuantityError) throw bad(`is not a valid quantity (${e.reason})`);
    throw e;
  }
  if (q.nanos < 0n) throw bad('is negative');
  return String(resource === 'cpu' ? toMilliBigInt(q) : toUnitsBigInt(q));
}

/** The resource list with cpu and memory moved to the batch resources; undefined when there is nothing to move. */
function movedToBatch(list: Record<string, unknown>, where: string, warnings: string[]): Record<string, unknown> | undefined {
  if (list['cpu'] === undefined && list['memory'] === undefined) return undefined;
  const next: Record<string, unknown> = { ...list };
  for (const [resource, batch] of BATCH_EQUIVALENTS) {
    if (list[resource] === undefined) continue;
    const amount = batchAmount(list[resource], resource, where);
    delete next[resource];
    if (list[batch] !== undefined) {
      warnings.push(`${WARNING_PREFIX}${where} has both ${resource} and ${batch}; kept ${batch}=${String(list[batch])} and dropped ${resource}`);
    } else {
      next[batch] = amount;
    }
  }
  return next;
}

/** cpu and memory requests and limits of every container and init container, moved to the batch resources. */
export const batchResourcesMutator: PodMutator = {
  name: 'batch-resources',
  plan(pod, out) {
    const podLevel = pod.spec['resources'];
    if (isRecord(podLevel) && RESOURCE_LISTS.some((k) => isRecord(podLevel[k]) && (podLevel[k]['cpu'] !== undefined || podLevel[k]['memory'] !== undefined))) {
      throw new CannotMutate('pod-level resources (spec.resources) have no batch equivalent; pod admitted unchanged');
    }
    for (const list of CONTAINER_LISTS) {
      const containers = pod.spec[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((c: Record<string, unknown>, i) => {
        const resources = c['resources'];
        if (!isRecord(resources)) return;
        for (const kind of RESOURCE_LISTS) {
          const current = resources[kind];
          if (!isRecord(current)) continue;
          const where = `${list === 'containers' ? 'container' : 'init container'} "${String(c['name'] ?? i)}" ${kind}`;
          const next = movedToBatch(current, where, out.warnings);
          if (next) out.ops.push({ op: 'replace', path: pointer('spec', list, i, 'resources', kind), value: next });
        }
      });
    }
  },
};

/** Priority class tidepool-offline; the priority value and preemption policy of the old class go. */
export const priorityClassMutator: PodMutator = {
  name: 'priority-class',
  plan(pod, out) {
    const current = pod.spec['priorityClassName'];
    if (current === OFFLINE_PRIORITY_CLASS) return;
    if (typeof current === 'string' && current !== '') out.warnings.push(`${WARNING_PREFIX}priority class ${current} replaced by ${OFFLINE_PRIORITY_CLASS}`);
    out.ops.push({ op: 'add', path: '/spec/priorityClassName', value: OFFLINE_PRIORITY_CLASS });
    // The API server resolved these from the old class; it refuses a pod whose values differ from the new one's.
    if (pod.spec['priority'] !== undefined) out.ops.push({ op: 'remove', path: '/spec/priority' });
    if (pod.spec['preemptionPolicy'] !== undefined) out.ops.push({ op: 'remove', path: '/spec/preemptionPolicy' });
  },
};

/** The colocation scheduler places the pod: it fits batch resources and measured load. */
export const schedulerNameMutator: PodMutator = {
  name: 'scheduler-name',
  plan(pod, out) {
    const current = pod.spec['schedulerName'];
    if (current === SCHEDULER_NAME) return;
    if (typeof current === 'string' && current !== '' && current !== 'default-scheduler') {
      out.warnings.push(`${WARNING_PREFIX}scheduler ${current} replaced by ${SCHEDULER_NAME}`);
    }
    out.ops.push({ op: 'add', path: '/spec/schedulerName', value: SCHEDULER_NAME });
  },
};

/** tidepool.dev/qos=offline: every component reads the class from the label from now on. */
export const qosLabelMutator: PodMutator = {
  name: 'qos-label',
  plan(pod, out) {
    if (pod.labels[QOS_LABEL] === 'offline') return;
    if (!isRecord(pod.metadata['labels'])) {
      out.ops.push({ op: 'add', path: '/metadata/labels', value: { [QOS_LABEL]: 'offline' } });
      return;
    }
    const current = pod.labels[QOS_LABEL];
    if (current !== undefined) out.warnings.push(`${WARNING_PREFIX}label ${QOS_LABEL}=${current} replaced by ${QOS_LABEL}=offline`);
    out.ops.push({ op: 'add', path: pointer('metadata', 'labels', QOS_LABEL), value: 'offline' });
  },
};

export const OFFLINE_MUTATORS: readonly PodMutator[] = [batchResourcesMutator, priorityClassMutator, schedulerNameMutator, qosLabelMutator];

// ------------------------------------------------------------------ the decision

/** The pod's shape checked; a string says what is wrong with it. */
function viewOf(pod: unknown): PodView | string {
  if (!isRecord(pod)) return 'the object is not a JSON object';
  const metadata = pod['metadata'];
  const spec = pod['spec'];
  if (!isRecord(metadata)) return 'the pod has no metadata';
  if (!isRecord(spec)) return 'the pod has no spec';
  const labels = metadata['labels'] ?? {};
  if (!isRecord(labels) || Object.values(labels).some((v) => typeof v !== 'string')) return 'metadata.labels is not a map of strings';
  for (const list of CONTAINER_LISTS) {
    const containers = spec[list];
    if (containers === undefined) continue;
    if (!Array.isArray(containers) || !containers.every(isRecord)) return `spec.${list} is not a list of containers`;
    for (const c of containers) {
      const r = c['resources'];
      if (r === undefined) continue;
      if (!isRecord(r) || RESOURCE_LISTS.some((k) => r[k] !== undefined && !isRecord(r[k]))) return `container ${JSON.stringify(c['name'] ?? '')} has malformed resources`;
    }
  }
  const ns = typeof metadata['namespace'] === 'string' ? `${metadata['namespace']}/` : '';
  const name = typeof metadata['name'] === 'string' && metadata['name'] !== '' ? metadata['name'] : `${String(metadata['generateName'] ?? '')}<generated>`;
  return { metadata, spec, labels: labels as Labels, name: `${ns}${name}` };
}

function unchanged(reason: string, warning: string, outcome: MutationOutcome = 'unchanged'): PodMutation {
  return { patch: [], warnings: [`${WARNING_PREFIX}${warning}`], outcome, reason };
}

/**
 * The patch that makes `pod` (a Pod as JSON, as the API server sends it in an AdmissionReview)
 * offline, with warnings; empty for pods that are online or already offline. `nsLabels` are
 * the labels of the pod's namespace, when known (namespace opt-in). Never throws for bad input.
 */
export function mutatePod(pod: unknown, nsLabels?: Labels, mutators: readonly PodMutator[] = OFFLINE_MUTATORS): PodMutation {
  const view = viewOf(pod);
  if (typeof view === 'string') return unchanged(view, `cannot read the pod: ${view}; admitted unchanged`);

  let decision;
  try {
    decision = qosDecisionOf(pod as QosPod);
  } catch (e) {
    if (e instanceof QuantityError) return unchanged(e.message, `cannot read the pod's resources: ${e.message}; admitted unchanged`);
    throw e;
  }
  let reason = decision.why;
  if (decision.qos !== 'offline') {
    if (!isColocationNamespace(nsLabels) || workloadRoleOf(view.labels) === 'leader') return { patch: [], warnings: [], outcome: 'online', reason };
    reason = `its namespace is labelled ${COLOCATION_NAMESPACE_LABEL}=${COLOCATION_ENABLED}`;
  }

  const nodeName = view.spec['nodeName'];
  if (typeof nodeName === 'string' && nodeName !== '') {
    return unchanged(reason, `pod is offline (${reason}) but already bound to node ${nodeName}; admitted unchanged`);
  }
  const plan: MutationPlan = { ops: [], warnings: [] };
  try {
    for (const m of mutators) m.plan(view, plan);
  } catch (e) {
    if (e instanceof CannotMutate) return unchanged(reason, e.message);
    throw e;
  }
  return { patch: plan.ops, warnings: plan.warnings, outcome: plan.ops.length > 0 ? 'mutated' : 'already-offline', reason };
}
