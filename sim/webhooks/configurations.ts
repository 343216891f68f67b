// MutatingWebhookConfigurations as the dispatcher uses them: compiled once per change of
// the stored configurations (rules split, selectors parsed, caBundle decoded), ordered as
// kube-apiserver orders them (configurations by name, webhooks in their listed order).
//
// Matching follows k8s.io/apiserver's webhook/predicates/rules: an operation, group,
// version, resource/subresource and scope must each be allowed by one rule; "*" as a
// resource means every resource but no subresource, "pods/*" every subresource of pods,
// "*/*" everything. matchPolicy is read but matching is exact (the sim serves one version
// of each built-in; a CRD served in several versions matches only the version asked for).
// matchConditions (CEL) are not evaluated: a webhook that has them is called as if they held.
import { isRecord, type KubeObject } from '../object.js';
import type { ResourceType } from '../resources.js';
import { labelSelectorFromObject, SelectorError, type LabelMatcher, type LabelSelectorObject } from '../selectors.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface WebhookRule {
  operations: readonly string[];
  apiGroups: readonly string[];
  apiVersions: readonly string[];
  /** [resource, subresource] pairs; subresource '' for the main resource. */
  resources: ReadonlyArray<readonly [string, string]>;
  scope: string;
}

export interface ServiceReference {
  namespace: string;
  name: string;
  port: number;
  path: string;
}

export interface CompiledWebhook {
  configuration: string;
  name: string;
  /** Unique per webhook, for reinvocation bookkeeping. */
  key: string;
  rules: readonly WebhookRule[];
  /** A selector that could not be parsed makes every call fail (as a broken client would). */
  namespaceSelector: LabelMatcher | SelectorError;
  objectSelector: LabelMatcher | SelectorError;
  failurePolicy: 'Fail' | 'Ignore';
  sideEffects: string | undefined;
  timeoutSeconds: number;
  reinvocationPolicy: 'Never' | 'IfNeeded';
  admissionReviewVersions: readonly string[];
  url: string | undefined;
  service: ServiceReference | undefined;
  /** PEM text of clientConfig.caBundle; undefined means the system's trusted roots. */
  caPem: string | undefined;
}

/** What a request is, for rule matching. */
export interface RequestTarget {
  operation: Operation;
  rt: ResourceType;
  subresource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
}

const DEFAULT_TIMEOUT_SECONDS = 10;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function compileRule(r: Record<string, unknown>): WebhookRule {
  return {
    operations: strings(r['operations']),
    apiGroups: strings(r['apiGroups']),
    apiVersions: strings(r['apiVersions']),
    resources: strings(r['resources']).map((s) => {
      const slash = s.indexOf('/');
      return slash < 0 ? ([s, ''] as const) : ([s.slice(0, slash), s.slice(slash + 1)] as const);
    }),
    scope: typeof r['scope'] === 'string' ? r['scope'] : '*',
  };
}

function compileSelector(v: unknown): LabelMatcher | SelectorError {
  // Defaulting stores {} for an absent selector; {} matches everything.
  if (v === undefined || v === null) return labelSelectorFromObject({});
  try {
    return labelSelectorFromObject(v as LabelSelectorObject);
  } catch (e) {
    if (e instanceof SelectorError) return e;
    return new SelectorError(String(e));
  }
}

function decodeCaBundle(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return Buffer.from(v, 'base64').toString('utf8');
}

function compileWebhook(configuration: string, index: number, w: Record<string, unknown>): CompiledWebhook {
  const cc = isRecord(w['clientConfig']) ? w['clientConfig'] : {};
  const svc = isRecord(cc['service']) ? cc['service'] : undefined;
  const timeout = w['timeoutSeconds'];
  return {
    configuration,
    name: typeof w['name'] === 'string' ? w['name'] : '',
    key: `${configuration}/${index}`,
    rules: (Array.isArray(w['rules']) ? w['rules'] : []).filter(isRecord).map(compileRule),
    namespaceSelector: compileSelector(w['namespaceSelector']),
    objectSelector: compileSelector(w['objectSelector']),
    failurePolicy: w['failurePolicy'] === 'Ignore' ? 'Ignore' : 'Fail',
    sideEffects: typeof w['sideEffects'] === 'string' ? w['sideEffects'] : undefined,
    timeoutSeconds: typeof timeout === 'number' && timeout > 0 ? timeout : DEFAULT_TIMEOUT_SECONDS,
    reinvocationPolicy: w['reinvocationPolicy'] === 'IfNeeded' ? 'IfNeeded' : 'Never',
    admissionReviewVersions: strings(w['admissionReviewVersions']),
    url: typeof cc['url'] === 'string' ? cc['url'] : undefined,
    service: svc
      ? {
          namespace: String(svc['namespace'] ?? ''),
          name: String(svc['name'] ?? ''),
          port: typeof svc['port'] === 'number' ? svc['port'] : 443,
          path: typeof svc['path'] === 'string' ? svc['path'] : '',
        }
      : undefined,
    caPem: decodeCaBundle(cc['caBundle']),
  };
}

/** Every webhook of the stored configurations, in the order kube-apiserver calls them. */
export function compileConfigurations(configs: readonly KubeObject[]): CompiledWebhook[] {
  const sorted = [...configs].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const out: CompiledWebhook[] = [];
  for (const cfg of sorted) {
    const name = cfg.metadata.name ?? '';
    (Array.isArray(cfg['webhooks']) ? cfg['webhooks'] : []).filter(isRecord).forEach((w, i) => out.push(compileWebhook(name, i, w)));
  }
  return out;
}

const anyOf = (allowed: readonly string[], value: string): boolean => allowed.some((a) => a === '*' || a === value);

function ruleMatches(rule: WebhookRule, t: RequestTarget): boolean {
  if (!anyOf(rule.operations, t.operation)) return false;
  if (!anyOf(rule.apiGroups, t.rt.group)) return false;
  if (!anyOf(rule.apiVersions, t.rt.version)) return false;
  if (!rule.resources.some(([res, sub]) => (res === '*' || res === t.rt.resource) && (sub === '*' || sub === t.subresource))) return false;
  switch (rule.scope) {
    case 'Cluster':
      return t.namespace === '';
    case 'Namespaced':
      return t.namespace !== '';
    default:
      return true;
  }
}

/** True when one of the webhook's rules covers the request (selectors are checked apart). */
export function rulesMatch(w: CompiledWebhook, t: RequestTarget): boolean {
  return w.rules.some((r) => ruleMatches(r, t));
}
