// Shared helpers for the kube/ tests that run against the sim.
import type { SimCluster } from '../../sim/index.js';
import type { InformerHandlers } from '../../kube/index.js';

export function podsRt(c: SimCluster) {
  const rt = c.registry.lookup('', 'v1', 'pods');
  if (!rt) throw new Error('sim has no pods resource');
  return rt;
}

export interface PodSpecOptions {
  namespace?: string;
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  node?: string;
}

export function makePod(name: string, o: PodSpecOptions = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', labels: { app: 'web', ...o.labels } },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: o.cpu ?? '100m', memory: o.memory ?? '64Mi' } } }],
    },
  };
}

export function createPod(c: SimCluster, name: string, o: PodSpecOptions = {}): void {
  c.api.create(podsRt(c), o.namespace ?? 'default', makePod(name, o));
}

export function deletePod(c: SimCluster, name: string, namespace = 'default'): void {
  c.api.delete(podsRt(c), namespace, name, { gracePeriodSeconds: 0 });
}

export function relabelPod(c: SimCluster, name: string, labels: Record<string, string>, namespace = 'default'): void {
  c.api.mutate(podsRt(c), namespace, name, (p) => {
    p.metadata.labels = { ...p.metadata.labels, ...labels };
  });
}

/** key -> uid of every pod the server has (optionally one namespace). */
export function serverPods(c: SimCluster, namespace?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of c.store.values('/pods', namespace)) out.set(o.key, o.uid);
  return out;
}

/**
 * What a handler sees, rebuilt from add/update/delete calls alone, with every inconsistency a
 * handler could suffer recorded: an add for a key it already has, an update or delete for a
 * key it does not have (a duplicated or phantom delete).
 */
export class HandlerView<T extends { uid: string }> implements InformerHandlers<T> {
  readonly objects = new Map<string, T>();
  readonly violations: string[] = [];
  readonly deletes = new Map<string, number>();
  adds = 0;
  updates = 0;

  onAdd(obj: T, key: string): void {
    this.adds++;
    if (this.objects.has(key)) this.violations.push(`add of ${key} already present`);
    this.objects.set(key, obj);
  }

  onUpdate(oldObj: T, newObj: T, key: string): void {
    this.updates++;
    const had = this.objects.get(key);
    if (!had) this.violations.push(`update of ${key} never added`);
    else if (had.uid !== oldObj.uid) this.violations.push(`update of ${key} with a different old uid`);
    this.objects.set(key, newObj);
  }

  onDelete(obj: T, key: string): void {
    this.deletes.set(key, (this.deletes.get(key) ?? 0) + 1);
    const had = this.objects.get(key);
    if (!had) this.violations.push(`delete of ${key} not present (duplicate or phantom delete)`);
    else if (had.uid !== obj.uid) this.violations.push(`delete of ${key} with a different uid`);
    this.objects.delete(key);
  }

  /** key -> uid, comparable with serverPods(). */
  uids(): Map<string, string> {
    return new Map([...this.objects].map(([k, o]) => [k, o.uid]));
  }
}

export function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
