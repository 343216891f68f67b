// Least privilege, checked both ways: record every request a component makes to a simulated
// cluster as its ServiceAccount (what the sim's RBAC allowed or refused), and compare it with
// the rules deploy/ grants that ServiceAccount. A refused request is a missing rule; a granted
// (verb, group, resource) no request used is an extra one, unless the test names it with the
// reason it stays.
import type { SimCluster } from '../../sim/index.js';
import type { K8sObject } from './kustomize.js';

export interface Recorded {
  verb: string;
  apiGroup: string;
  /** resource or resource/subresource */
  resource: string;
  namespace: string;
  name: string;
  resourceRequest: boolean;
  path: string;
  allowed: boolean;
  reason: string;
}

export interface Recording {
  readonly records: Recorded[];
  stop(): void;
}

/** Records the decisions on every request `username` makes to `cluster` until stopped. */
export function recordRequests(cluster: SimCluster, username: string): Recording {
  const records: Recorded[] = [];
  const stop = cluster.auth.requests.observeDecisions((a, d) => {
    if (a.user.username !== username) return;
    records.push({
      verb: a.verb,
      apiGroup: a.apiGroup,
      resource: a.subresource ? `${a.resource}/${a.subresource}` : a.resource,
      namespace: a.namespace,
      name: a.name,
      resourceRequest: a.resourceRequest,
      path: a.path,
      allowed: d.allowed,
      reason: d.reason,
    });
  });
  return { records, stop };
}

/** One thing a role grants: a verb on a resource of a group, cluster-wide or in one namespace. */
export interface Grant {
  verb: string;
  apiGroup: string;
  resource: string;
  /** '' = every namespace and the cluster scope (a ClusterRoleBinding). */
  namespace: string;
  resourceNames: string[];
  /** Which role and binding gave it. */
  source: string;
}

interface Rule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** The key a test names a grant by: "verb group/resource" plus " in ns" for a namespaced one. */
export function grantKey(g: Pick<Grant, 'verb' | 'apiGroup' | 'resource' | 'namespace'>): string {
  return `${g.verb} ${g.apiGroup || 'core'}/${g.resource}${g.namespace ? ` in ${g.namespace}` : ''}`;
}

/** Every (verb, group, resource) the rendered objects grant the ServiceAccount namespace/name. */
export function grantsOf(objects: readonly K8sObject[], namespace: string, name: string): Grant[] {
  const grants: Grant[] = [];
  const role = (kind: string, roleName: string, ns: string | undefined): K8sObject => {
    const r = objects.find((o) => o.kind === kind && o.metadata.name === roleName && (kind === 'ClusterRole' || o.metadata.namespace === ns));
    if (!r) throw new Error(`${kind} ${roleName} is bound to ${namespace}/${name} but not in the manifests`);
    return r;
  };
  for (const b of objects) {
    if (b.kind !== 'ClusterRoleBinding' && b.kind !== 'RoleBinding') continue;
    const subjects = (b['subjects'] as Array<{ kind: string; name: string; namespace?: string }> | undefined) ?? [];
    const bindingNs = b.metadata.namespace ?? '';
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === name && (s.namespace ?? bindingNs) === namespace)) continue;
    const ref = b['roleRef'] as { kind: string; name: string };
    const r = role(ref.kind, ref.name, bindingNs);
    const scope = b.kind === 'ClusterRoleBinding' ? '' : bindingNs;
    for (const rule of (r['rules'] as Rule[] | undefined) ?? []) {
      if (rule.nonResourceURLs?.length) throw new Error(`${r.kind} ${r.metadata.name}: non-resource rules are not expected for a component`);
      for (const verb of rule.verbs ?? [])
        for (const apiGroup of rule.apiGroups ?? [])
          for (const resource of rule.resources ?? [])
            grants.push({ verb, apiGroup, resource, namespace: scope, resourceNames: rule.resourceNames ?? [], source: `${r.kind} ${r.metadata.name} by ${b.kind} ${b.metadata.name}` });
    }
  }
  return grants;
}

function covers(g: Grant, r: Recorded): boolean {
  return (
    r.resourceRequest &&
    g.verb === r.verb &&
    g.apiGroup === r.apiGroup &&
    g.resource === r.resource &&
    (g.namespace === '' || g.namespace === r.namespace) &&
    (g.resourceNames.length === 0 || g.resourceNames.includes(r.name))
  );
}

export interface Audit {
  /** Requests RBAC refused: rules the component needs and does not have. */
  missing: string[];
  /** Grants no request used, minus the ones excused. */
  unused: string[];
  /** Excuses for grants that were used after all (stale: remove them). */
  staleExcuses: string[];
  /** What was asked, for the report: "verb group/resource in ns" → count. */
  asked: Record<string, number>;
}

/**
 * Compares what was recorded with what is granted. `excused` maps a grant key (grantKey) to
 * the reason the grant stays although the exercise did not use it.
 */
export function audit(records: readonly Recorded[], grants: readonly Grant[], excused: Readonly<Record<string, string>> = {}): Audit {
  const missing = [
    ...new Set(
      records
        .filter((r) => !r.allowed)
        .map((r) => (r.resourceRequest ? `${r.verb} ${r.apiGroup || 'core'}/${r.resource}${r.namespace ? ` in ${r.namespace}` : ''}${r.name ? ` (${r.name})` : ''}` : `${r.verb} ${r.path}`)),
    ),
  ].sort();
  const unusedKeys = new Set<string>();
  const usedKeys = new Set<string>();
  for (const g of grants) (records.some((r) => r.allowed && covers(g, r)) ? usedKeys : unusedKeys).add(grantKey(g));
  const asked: Record<string, number> = {};
  for (const r of records) {
    if (!r.resourceRequest) continue;
    const k = grantKey({ verb: r.verb, apiGroup: r.apiGroup, resource: r.resource, namespace: r.namespace });
    asked[k] = (asked[k] ?? 0) + 1;
  }
  return {
    missing,
    unused: [...unusedKeys].filter((k) => !(k in excused)).sort(),
    staleExcuses: Object.keys(excused).filter((k) => !unusedKeys.has(k)).sort(),
    asked,
  };
}
