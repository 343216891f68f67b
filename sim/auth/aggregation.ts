// The ClusterRole aggregation controller (kube-controller-manager's clusterrole-aggregation):
// a ClusterRole with an aggregationRule gets, as its rules, the rules of every other
// ClusterRole its selectors match, in name order and without duplicates. It runs after
// any ClusterRole changes and writes only roles whose rules differ.

import { isDeepStrictEqual } from 'node:util';
import type { ClusterApi } from '../api.js';
import { ApiError } from '../errors.js';
import { isRecord, type KubeObject } from '../object.js';
import { labelSelectorFromObject, SelectorError, type LabelSelectorObject } from '../selectors.js';

const RBAC = 'rbac.authorization.k8s.io';

function selectorsOf(role: KubeObject): LabelSelectorObject[] | undefined {
  const rule = role['aggregationRule'];
  if (!isRecord(rule)) return undefined;
  return (Array.isArray(rule['clusterRoleSelectors']) ? rule['clusterRoleSelectors'] : []).filter(isRecord) as LabelSelectorObject[];
}

/** The rules an aggregated role should have, given every ClusterRole. */
function aggregatedRules(role: KubeObject, selectors: LabelSelectorObject[], all: KubeObject[]): unknown[] {
  const rules: unknown[] = [];
  const matchers = selectors.flatMap((s) => {
    try {
      return [labelSelectorFromObject(s)];
    } catch (e) {
      if (e instanceof SelectorError) return [];
      throw e;
    }
  });
  for (const other of all) {
    if (other.metadata.name === role.metadata.name) continue;
    const labels = other.metadata.labels ?? {};
    if (!matchers.some((m) => m(labels))) continue;
    for (const r of Array.isArray(other['rules']) ? other['rules'] : []) {
      if (!rules.some((have) => isDeepStrictEqual(have, r))) rules.push(r);
    }
  }
  return rules;
}

/** Brings every aggregated ClusterRole up to date now. */
export function aggregateClusterRoles(api: ClusterApi): void {
  const rt = api.registry.lookup(RBAC, 'v1', 'clusterroles')!;
  const all = [...api.store.values(rt.storageKey)].map((o) => api.parse(o)).sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const role of all) {
    const selectors = selectorsOf(role);
    if (!selectors) continue;
    const want = aggregatedRules(role, selectors, all);
    const have = Array.isArray(role['rules']) ? role['rules'] : [];
    if (isDeepStrictEqual(want, have)) continue;
    try {
      api.mutate(rt, '', role.metadata.name ?? '', (o) => {
        o['rules'] = want;
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
}

/** Runs the aggregation whenever a ClusterRole changes (once per burst of changes). Returns the stop function. */
export function startClusterRoleAggregation(api: ClusterApi): () => void {
  const rt = api.registry.lookup(RBAC, 'v1', 'clusterroles')!;
  let pending: NodeJS.Immediate | undefined;
  const unsubscribe = api.store.subscribe(rt.storageKey, () => {
    pending ??= setImmediate(() => {
      pending = undefined;
      aggregateClusterRoles(api);
    });
  });
  return () => {
    unsubscribe();
    if (pending) clearImmediate(pending);
    pending = undefined;
  };
}
