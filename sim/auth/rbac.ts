// kube's RBAC authorizer over the cluster's stored Roles, ClusterRoles, RoleBindings and
// ClusterRoleBindings: every ClusterRoleBinding, then the RoleBindings of the request's
// namespace, whose subjects (User, Group, ServiceAccount) include the user; the first
// rule of the referenced role that allows the request decides. A binding to a role that
// does not exist contributes an error to the reason ("RBAC: role.rbac... not found").
// Objects are parsed once per stored version (the store replaces a StoredObject on
// every write, so a WeakMap keyed by it never serves a stale parse).

import type { ClusterApi } from '../api.js';
import { isRecord } from '../object.js';
import { objectKey, type StoredObject } from '../store.js';
import { policyRulesOf, ruleAllows, type Attributes, type PolicyRule } from './rbac-rules.js';
import { parseServiceAccountUsername, type UserInfo } from './user.js';

export interface Decision {
  allowed: boolean;
  /** Why, in kube's words: "RBAC: allowed by ..." or the errors met; '' for a plain no. */
  reason: string;
}

interface Subject {
  kind: string;
  name: string;
  namespace: string;
}

interface Binding {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  name: string;
  namespace: string;
  roleKind: string;
  roleName: string;
  subjects: Subject[];
}

/** Visits one rule with a description of where it came from; true stops the walk. */
type RuleVisitor = (source: () => string, rule: PolicyRule) => boolean;

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function parseBinding(kind: Binding['kind'], o: StoredObject): Binding {
  const obj: unknown = JSON.parse(o.json);
  const rec = isRecord(obj) ? obj : {};
  const ref = isRecord(rec['roleRef']) ? rec['roleRef'] : {};
  const subjects = (Array.isArray(rec['subjects']) ? rec['subjects'] : []).filter(isRecord).map((s) => ({
    kind: typeof s['kind'] === 'string' ? s['kind'] : '',
    name: typeof s['name'] === 'string' ? s['name'] : '',
    namespace: typeof s['namespace'] === 'string' ? s['namespace'] : '',
  }));
  return {
    kind,
    name: o.name,
    namespace: o.namespace,
    roleKind: typeof ref['kind'] === 'string' ? ref['kind'] : '',
    roleName: typeof ref['name'] === 'string' ? ref['name'] : '',
    subjects,
  };
}

/** kube's appliesToUser; `namespace` is the binding's ('' for ClusterRoleBindings). */
function subjectMatches(user: UserInfo, s: Subject, namespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.username === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      // An unqualified ServiceAccount subject of a RoleBinding means one in the binding's namespace.
      const ns = s.namespace || namespace;
      if (!ns) return false;
      const sa = parseServiceAccountUsername(user.username);
      return sa !== undefined && sa.namespace === ns && sa.name === s.name;
    }
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

function describe(b: Binding, s: Subject): string {
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleKind} ${JSON.stringify(b.roleName)} to ${describeSubject(s, b.namespace)}`;
}

/** utilerrors.NewAggregate's text: one error bare, several in brackets. */
function aggregate(errors: readonly string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
}

export class RbacAuthorizer {
  private readonly bindings = new WeakMap<StoredObject, Binding>();
  private readonly rules = new WeakMap<StoredObject, PolicyRule[]>();
  private readonly keys = {
    roles: `${RBAC_GROUP}/roles`,
    clusterRoles: `${RBAC_GROUP}/clusterroles`,
    roleBindings: `${RBAC_GROUP}/rolebindings`,
    clusterRoleBindings: `${RBAC_GROUP}/clusterrolebindings`,
  };

  constructor(private readonly api: ClusterApi) {}

  authorize(a: Attributes): Decision {
    let allowedBy = '';
    const errors = this.visitRulesFor(a.user, a.namespace, (source, rule) => {
      if (!ruleAllows(a, rule)) return false;
      allowedBy = source();
      return true;
    });
    if (allowedBy) return { allowed: true, reason: `RBAC: allowed by ${allowedBy}` };
    return { allowed: false, reason: errors.length ? `RBAC: ${aggregate(errors)}` : '' };
  }

  /** Every rule that applies to the user in a namespace ('' for cluster-wide only), and the errors met. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors = this.visitRulesFor(user, namespace, (_source, rule) => {
      rules.push(rule);
      return false;
    });
    return { rules, errors };
  }

  private visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): string[] {
    const errors: string[] = [];
    const walk = (storageKey: string, kind: Binding['kind'], ns: string | undefined): boolean => {
      for (const o of this.api.store.values(storageKey, ns)) {
        const b = this.binding(kind, o);
        const subject = b.subjects.find((s) => subjectMatches(user, s, b.namespace));
        if (!subject) continue;
        const rules = this.roleRules(b);
        if (typeof rules === 'string') {
          errors.push(rules);
          continue;
        }
        for (const rule of rules) if (visit(() => describe(b, subject), rule)) return true;
      }
      return false;
    };
    if (walk(this.keys.clusterRoleBindings, 'ClusterRoleBinding', undefined)) return errors;
    if (namespace) walk(this.keys.roleBindings, 'RoleBinding', namespace);
    return errors;
  }

  private binding(kind: Binding['kind'], o: StoredObject): Binding {
    let b = this.bindings.get(o);
    if (!b) {
      b = parseBinding(kind, o);
      this.bindings.set(o, b);
    }
    return b;
  }

  /** The rules of a binding's role, or kube's not-found text when the role is missing. */
  private roleRules(b: Binding): PolicyRule[] | string {
    const isRole = b.kind === 'RoleBinding' && b.roleKind === 'Role';
    const o = isRole
      ? this.api.store.get(this.keys.roles, objectKey(b.namespace, b.roleName))
      : b.roleKind === 'ClusterRole'
        ? this.api.store.get(this.keys.clusterRoles, b.roleName)
        : undefined;
    if (!o) return `${isRole ? 'role' : 'clusterrole'}.${RBAC_GROUP} ${JSON.stringify(b.roleName)} not found`;
    let rules = this.rules.get(o);
    if (!rules) {
      rules = policyRulesOf(JSON.parse(o.json));
      this.rules.set(o, rules);
    }
    return rules;
  }
}
