/**
 * PodGroups of the scheduler-plugins coscheduling CRD (scheduling.x-k8s.io/v1alpha1): what a
 * gang needs before any member binds (`minMember`, `minResources`) and how long members wait
 * for each other (`scheduleTimeoutSeconds`).
 */
import { POD_GROUP_GROUP, POD_GROUP_PLURAL, POD_GROUP_VERSION } from '../../../api/index.js';
import { parseResourceList, type RawObject, type ResourceAmounts, type ResourceRef } from '../../../kube/index.js';

export const POD_GROUP_RESOURCE: ResourceRef = { group: POD_GROUP_GROUP, version: POD_GROUP_VERSION, resource: POD_GROUP_PLURAL };

export interface PodGroupInfo {
  /** namespace/name */
  readonly key: string;
  readonly minMember: number;
  readonly minResources: Readonly<ResourceAmounts> | undefined;
  readonly scheduleTimeoutSeconds: number | undefined;
  /** Why the spec could not be read; the group is then treated as minMember 1. */
  readonly invalid: string | undefined;
}

export interface PodGroupLister {
  get(key: string): PodGroupInfo | undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function projectPodGroup(raw: RawObject): PodGroupInfo {
  const meta = (isObj(raw.metadata) ? raw.metadata : {}) as Obj;
  const spec = isObj(raw['spec']) ? raw['spec'] : {};
  const key = `${typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default'}/${String(meta['name'] ?? '')}`;
  const problems: string[] = [];
  let minMember = 1;
  const mm = spec['minMember'];
  if (mm !== undefined) {
    if (typeof mm === 'number' && Number.isInteger(mm) && mm >= 0) minMember = Math.max(1, mm);
    else problems.push(`spec.minMember must be a non-negative integer, got ${JSON.stringify(mm)}`);
  }
  let minResources: ResourceAmounts | undefined;
  if (spec['minResources'] !== undefined) {
    try {
      minResources = parseResourceList(spec['minResources'] as Record<string, string>, `PodGroup ${key} spec.minResources`);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const t = spec['scheduleTimeoutSeconds'];
  const scheduleTimeoutSeconds = typeof t === 'number' && Number.isFinite(t) && t > 0 ? t : undefined;
  return { key, minMember, minResources, scheduleTimeoutSeconds, invalid: problems.length > 0 ? problems.join('; ') : undefined };
}

/** A lister over a fixed map (tests, and clusters without the CRD: an empty one). */
export function staticPodGroups(groups: Iterable<PodGroupInfo> = []): PodGroupLister & { set(g: PodGroupInfo): void; delete(key: string): void } {
  const map = new Map<string, PodGroupInfo>();
  for (const g of groups) map.set(g.key, g);
  return {
    get: (key) => map.get(key),
    set: (g) => void map.set(g.key, g),
    delete: (key) => void map.delete(key),
  };
}
