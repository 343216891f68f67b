/**
 * Kubernetes' pod-to-node matching rules as kube-scheduler applies them: label selectors,
 * nodeSelector, node selector terms (required node affinity), taints and tolerations. Pure
 * functions over plain shapes; the one copy every room (federation's placement, the colocation
 * scheduler, the sim's default scheduler) reads.
 */

type Labels = Readonly<Record<string, string>>;

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/** metav1.LabelSelector: matchLabels AND matchExpressions; an empty selector matches everything. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly NodeSelectorRequirement[];
  readonly matchFields?: readonly NodeSelectorRequirement[];
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

/** A taint as the rules read it (NodeTaint and federation's Taint both fit). */
export interface TaintLike {
  readonly key: string;
  readonly value?: string;
  readonly effect: string;
}

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

/** A base-10 integer as Go's strconv.ParseInt reads it; undefined otherwise. */
function integer(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/** One node selector requirement on a value (undefined: the label is absent); Gt/Lt compare integers. */
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
      const a = integer(value);
      const b = integer(values[0]!);
      if (a === undefined || b === undefined) return false;
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

/** spec.nodeSelector: every key equal. */
export function nodeSelectorMatches(selector: Readonly<Record<string, string>> | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/** v1.Toleration.ToleratesTaint. */
export function tolerates(tol: Toleration, taint: TaintLike): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (!tol.key) return tol.operator === 'Exists';
  if (tol.key !== taint.key) return false;
  if (tol.operator === 'Exists') return true;
  return (tol.value ?? '') === (taint.value ?? '');
}

/** The first NoSchedule/NoExecute taint no toleration tolerates (what blocks scheduling), or undefined. */
export function untoleratedTaint<T extends TaintLike>(taints: readonly T[], tolerations: readonly Toleration[]): T | undefined {
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

/** key[=value]:effect, as kubectl prints a taint. */
export function describeTaint(t: TaintLike): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}
