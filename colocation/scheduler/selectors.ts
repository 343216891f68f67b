/**
 * Kubernetes' matching rules, as kube-scheduler applies them: label selectors, node selector
 * terms, taints and tolerations. Pure functions over the projected shapes.
 */
import type { NodeTaint } from '../../kube/index.js';
import type { LabelSelector, LabelSelectorRequirement, NodeSelectorRequirement, NodeSelectorTerm, Toleration } from './types.js';

type Labels = Readonly<Record<string, string>>;

/** metav1.LabelSelector semantics: In/NotIn/Exists/DoesNotExist; every part must hold. */
export function labelSelectorMatches(selector: LabelSelector, labels: Labels): boolean {
  const ml = selector.matchLabels;
  if (ml) for (const k in ml) if (labels[k] !== ml[k]) return false;
  const me = selector.matchExpressions;
  if (me) for (const r of me) if (!labelRequirementMatches(r, labels)) return false;
  return true;
}

function labelRequirementMatches(r: LabelSelectorRequirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(v!);
    case 'NotIn':
      return !has || !values.includes(v!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/** One node selector requirement (adds Gt/Lt, integer comparisons, to the label operators). */
export function nodeRequirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const a = Number.parseInt(value, 10);
      const b = Number.parseInt(values[0]!, 10);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/**
 * Required node affinity: terms are ORed, requirements inside a term ANDed; a term with no
 * requirements matches nothing, and no terms at all match nothing (as the API defines it).
 * matchFields knows metadata.name only.
 */
export function nodeSelectorTermsMatch(terms: readonly NodeSelectorTerm[], nodeName: string, labels: Labels): boolean {
  for (const t of terms) {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) continue;
    let ok = true;
    for (const r of exprs) {
      if (!nodeRequirementMatches(r, Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined)) {
        ok = false;
        break;
      }
    }
    if (ok) for (const r of fields) if (!nodeRequirementMatches(r, r.key === 'metadata.name' ? nodeName : undefined)) ok = false;
    if (ok) return true;
  }
  return false;
}

/** v1.Toleration.ToleratesTaint. */
export function tolerates(tol: Toleration, taint: NodeTaint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (!tol.key) return tol.operator === 'Exists';
  if (tol.key !== taint.key) return false;
  if (tol.operator === 'Exists') return true;
  return (tol.value ?? '') === taint.value;
}

/** The first NoSchedule/NoExecute taint no toleration tolerates (what blocks scheduling), or undefined. */
export function untoleratedTaint(taints: readonly NodeTaint[], tolerations: readonly Toleration[]): NodeTaint | undefined {
  for (const t of taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    let ok = false;
    for (const tol of tolerations) {
      if (tolerates(tol, t)) {
        ok = true;
        break;
      }
    }
    if (!ok) return t;
  }
  return undefined;
}
