// What a request asks (kube's authorizer.Attributes) and whether one RBAC PolicyRule
// allows it, matched as k8s.io/kubernetes/pkg/apis/rbac/v1/evaluation_helpers.go does:
// verbs and API groups with `*`, resources as `resource` / `resource/subresource` /
// `*` / `*/subresource`, resourceNames (empty means any), nonResourceURLs with `*` and a
// trailing-`*` prefix.

import type { RequestAttributes } from '../http/request-info.js';
import { isRecord } from '../object.js';
import type { UserInfo } from './user.js';

/** A request as the authorizers see it: who, and what (see requestAttributes). */
export interface Attributes extends RequestAttributes {
  user: UserInfo;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

const ALL = '*';

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** The rules of a Role or ClusterRole object, each list defaulted to empty. */
export function policyRulesOf(role: unknown): PolicyRule[] {
  const rules = isRecord(role) && Array.isArray(role['rules']) ? role['rules'] : [];
  return rules.filter(isRecord).map((r) => ({
    verbs: strings(r['verbs']),
    apiGroups: strings(r['apiGroups']),
    resources: strings(r['resources']),
    resourceNames: strings(r['resourceNames']),
    nonResourceURLs: strings(r['nonResourceURLs']),
  }));
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === ALL || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === ALL || g === group);
}

export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources) {
    if (r === ALL || r === combined) return true;
    // "*/log" matches the log subresource of any resource.
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name);
}

export function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs) {
    if (u === ALL || u === path) return true;
    if (u.endsWith(ALL) && path.startsWith(u.replace(/\*+$/, ''))) return true;
  }
  return false;
}

export function ruleAllows(a: Attributes, rule: PolicyRule): boolean {
  if (!a.resourceRequest) return verbMatches(rule, a.verb) && nonResourceUrlMatches(rule, a.path);
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (
    verbMatches(rule, a.verb) &&
    apiGroupMatches(rule, a.apiGroup) &&
    resourceMatches(rule, combined, a.subresource) &&
    resourceNameMatches(rule, a.name)
  );
}
