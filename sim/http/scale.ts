// The `scale` subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets,
// StatefulSets and custom resources that declare one: what `kubectl scale` and HPAs
// read and write. A Scale is a view of the parent; writing it changes only the
// parent's replica count (kube's scale REST storage).

import { badRequest } from '../errors.js';
import { isRecord, type KubeObject } from '../object.js';

type Obj = Record<string, unknown>;

interface LabelSelectorRequirement {
  key?: unknown;
  operator?: unknown;
  values?: unknown;
}

/** metav1.LabelSelector as the string form Scale.status.selector carries ("a=b,c in (d,e)"). */
export function selectorString(sel: unknown): string {
  if (!isRecord(sel)) return '';
  const parts: string[] = [];
  const labels = isRecord(sel['matchLabels']) ? sel['matchLabels'] : {};
  for (const k of Object.keys(labels).sort()) parts.push(`${k}=${String(labels[k])}`);
  const exprs = (Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'] : []) as LabelSelectorRequirement[];
  for (const e of exprs) {
    const key = String(e.key ?? '');
    const values = Array.isArray(e.values) ? (e.values as unknown[]).map(String).sort() : [];
    switch (e.operator) {
      case 'In':
        parts.push(`${key} in (${values.join(',')})`);
        break;
      case 'NotIn':
        parts.push(`${key} notin (${values.join(',')})`);
        break;
      case 'Exists':
        parts.push(key);
        break;
      case 'DoesNotExist':
        parts.push(`!${key}`);
        break;
    }
  }
  return parts.join(',');
}

/** The Scale view of a parent object. */
export function toScale(parent: KubeObject): KubeObject {
  const spec = isRecord(parent['spec']) ? parent['spec'] : {};
  const status = isRecord(parent['status']) ? parent['status'] : {};
  const m = parent.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: typeof spec['replicas'] === 'number' ? spec['replicas'] : 1 },
    status: {
      replicas: typeof status['replicas'] === 'number' ? status['replicas'] : 0,
      selector: selectorString(spec['selector']),
    },
  } as KubeObject;
}

/**
 * Writes a (patched or replaced) Scale back into its parent: spec.replicas only. A
 * resourceVersion in the Scale is a precondition, checked by the caller's write path.
 */
export function applyScale(parent: KubeObject, scale: unknown): KubeObject {
  if (!isRecord(scale)) throw badRequest('Scale must be an object');
  if (scale['kind'] !== undefined && scale['kind'] !== 'Scale') throw badRequest(`the kind in the data (${String(scale['kind'])}) does not match the expected kind (Scale)`);
  const spec = isRecord(scale['spec']) ? scale['spec'] : {};
  const replicas = spec['replicas'];
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    throw badRequest(`Scale.spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be a non-negative integer`);
  }
  const target = (isRecord(parent['spec']) ? parent['spec'] : (parent['spec'] = {})) as Obj;
  target['replicas'] = replicas ?? 0;
  const meta = isRecord(scale['metadata']) ? scale['metadata'] : {};
  if (typeof meta['resourceVersion'] === 'string' && meta['resourceVersion'] !== '') parent.metadata.resourceVersion = meta['resourceVersion'];
  else delete parent.metadata.resourceVersion;
  return parent;
}
