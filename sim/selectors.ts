// Label and field selectors as kube-apiserver reads them from `labelSelector=` and
// `fieldSelector=` query parameters, plus metav1.LabelSelector objects (matchLabels /
// matchExpressions). Parsing follows k8s.io/apimachinery labels and fields: the same
// operators, the same key/value validation, errors phrased the same way. Each matcher
// also exposes its parsed requirements so the server can use an index (e.g. serve
// `spec.nodeName=n1` from a by-node index).

import { isRecord } from './object.js';
import { DNS1123_SUBDOMAIN_RE, isValidLabelValue } from '../kube/index.js';

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

// ---------------------------------------------------------------------------------------
// Label keys and values (k8s.io/apimachinery/pkg/util/validation)

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const NAME_PART_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const PREFIX_RULE =
  "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** Problems with a label key (a qualified name: optional DNS-1123 subdomain prefix, '/', name); empty when valid. */
export function validateLabelKey(key: string): string[] {
  const parts = key.split('/');
  let name: string;
  const errs: string[] = [];
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else if (prefix.length > 253) errs.push('prefix part must be no more than 253 characters');
    else if (!DNS1123_SUBDOMAIN_RE.test(prefix)) errs.push(PREFIX_RULE);
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 characters');
  else if (!NAME_PART.test(name)) errs.push(NAME_PART_RULE);
  return errs;
}

/** Problems with a label value (at most 63 characters, may be empty); empty when valid. */
export function validateLabelValue(value: string): string[] {
  return isValidLabelValue(value);
}

function checkKey(key: string): void {
  const errs = validateLabelKey(key);
  if (errs.length) throw new SelectorError(`key: Invalid value: ${JSON.stringify(key)}: ${errs.join(', ')}`);
}

function checkValue(key: string, value: string, i: number): void {
  const errs = validateLabelValue(value);
  if (errs.length) throw new SelectorError(`values[${i}][${key}]: Invalid value: ${JSON.stringify(value)}: ${errs.join(', ')}`);
}

// ---------------------------------------------------------------------------------------
// Label selectors

/** Operators as k8s selection.Operator spells them; `!` is DoesNotExist. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** Sorted, de-duplicated; empty for exists / `!`. */
  readonly values: readonly string[];
}

export interface LabelMatcher {
  (labels: Readonly<Record<string, string>>): boolean;
  /** Requirements sorted by key; all must hold. Empty means "everything" (unless matchesNothing). */
  readonly requirements: readonly LabelRequirement[];
  /** True for the selector that matches no object (a null metav1.LabelSelector). */
  readonly matchesNothing: boolean;
  /** The canonical string form, as kubectl and the apiserver print it. */
  readonly canonical: string;
}

function makeRequirement(key: string, operator: LabelOperator, values: readonly string[]): LabelRequirement {
  checkKey(key);
  const unique = [...new Set(values)].sort();
  switch (operator) {
    case 'in':
    case 'notin':
      if (unique.length === 0) throw new SelectorError("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (unique.length !== 1) throw new SelectorError('exact-match compatibility requires one single value');
      break;
    case 'exists':
    case '!':
      if (unique.length !== 0) throw new SelectorError("values set must be empty for exists and does not exist");
      break;
    case 'gt':
    case 'lt':
      if (unique.length !== 1 || !/^[-+]?\d+$/.test(unique[0]!)) {
        throw new SelectorError("for 'Gt', 'Lt' operators, the value must be an integer");
      }
      return { key, operator, values: unique };
  }
  unique.forEach((v, i) => checkValue(key, v, i));
  return { key, operator, values: unique };
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return value !== undefined && r.values.includes(value);
    case 'notin':
    case '!=':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (value === undefined || !/^[-+]?\d+$/.test(value)) return false;
      const have = BigInt(value);
      const want = BigInt(r.values[0]!);
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

export function formatLabelRequirement(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

function labelMatcher(requirements: LabelRequirement[], matchesNothing = false): LabelMatcher {
  const sorted = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const fn = (labels: Readonly<Record<string, string>>): boolean =>
    !matchesNothing && sorted.every((r) => requirementMatches(r, labels));
  return Object.assign(fn, {
    requirements: sorted,
    matchesNothing,
    canonical: sorted.map(formatLabelRequirement).join(','),
  });
}

type TokenKind = 'id' | '!' | '!=' | '=' | '==' | '(' | ')' | ',' | '>' | '<' | 'in' | 'notin' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
}

const SPECIAL = new Set(['!', '=', '(', ')', ',', '>', '<']);

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (SPECIAL.has(c)) {
      const two = input.slice(i, i + 2);
      if (two === '!=' || two === '==') {
        tokens.push({ kind: two, text: two });
        i += 2;
      } else {
        tokens.push({ kind: c as TokenKind, text: c });
        i++;
      }
      continue;
    }
    let j = i;
    while (j < input.length && !SPECIAL.has(input[j]!) && !/\s/.test(input[j]!)) j++;
    const text = input.slice(i, j);
    tokens.push({ kind: text === 'in' || text === 'notin' ? text : 'id', text });
    i = j;
  }
  tokens.push({ kind: 'end', text: 'end of string' });
  return tokens;
}

class LabelParser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'end') this.pos++;
    return t;
  }
  /** In value position the keywords are ordinary identifiers (`a in (in)`). */
  private static isValue(t: Token): boolean {
    return t.kind === 'id' || t.kind === 'in' || t.kind === 'notin';
  }

  parse(): LabelRequirement[] {
    const out: LabelRequirement[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'end') return out;
      if (t.kind !== 'id' && t.kind !== '!') throw new SelectorError(`found '${t.text}', expected: !, identifier, or 'end of string'`);
      out.push(this.requirement());
      const after = this.next();
      if (after.kind === 'end') return out;
      if (after.kind !== ',') throw new SelectorError(`found '${after.text}', expected: ',' or 'end of string'`);
      const following = this.peek();
      if (following.kind !== 'id' && following.kind !== '!') throw new SelectorError(`found '${following.text}', expected: identifier after ','`);
    }
  }

  private requirement(): LabelRequirement {
    let t = this.next();
    const negated = t.kind === '!';
    if (negated) t = this.next();
    if (t.kind !== 'id') throw new SelectorError(`found '${t.text}', expected: identifier`);
    const key = t.text;
    const ahead = this.peek().kind;
    if (negated) return makeRequirement(key, '!', []);
    if (ahead === 'end' || ahead === ',') return makeRequirement(key, 'exists', []);

    const op = this.next();
    switch (op.kind) {
      case 'in':
      case 'notin':
        return makeRequirement(key, op.kind, this.valueSet());
      case '=':
      case '==':
      case '!=':
        return makeRequirement(key, op.kind, [this.exactValue()]);
      case '>':
        return makeRequirement(key, 'gt', [this.exactValue()]);
      case '<':
        return makeRequirement(key, 'lt', [this.exactValue()]);
      default:
        throw new SelectorError(`found '${op.text}', expected: '=', '!=', '==', 'in', 'notin', '>' or '<'`);
    }
  }

  private exactValue(): string {
    const ahead = this.peek();
    if (ahead.kind === 'end' || ahead.kind === ',') return '';
    const t = this.next();
    if (!LabelParser.isValue(t)) throw new SelectorError(`found '${t.text}', expected: identifier`);
    return t.text;
  }

  /** `( v1, v2 )`; empty items count as the empty value, as in apimachinery. */
  private valueSet(): string[] {
    const open = this.next();
    if (open.kind !== '(') throw new SelectorError(`found '${open.text}' expected: '('`);
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const t = this.next();
      if (t.kind === ')') {
        if (expectValue) values.push('');
        return values;
      }
      if (t.kind === ',') {
        if (expectValue) values.push('');
        expectValue = true;
        continue;
      }
      if (LabelParser.isValue(t) && expectValue) {
        values.push(t.text);
        expectValue = false;
        continue;
      }
      throw new SelectorError(t.kind === 'end' ? "found 'end of string', expected: ')'" : `found '${t.text}', expected: ',', ')' or identifier`);
    }
  }
}

/** Parses a `labelSelector=` string. An empty string matches everything. Throws SelectorError. */
export function parseLabelSelector(selector: string): LabelMatcher {
  try {
    return labelMatcher(new LabelParser(lex(selector)).parse());
  } catch (e) {
    if (e instanceof SelectorError) throw new SelectorError(`unable to parse label selector ${JSON.stringify(selector)}: ${e.message}`);
    throw e;
  }
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] | null }> | null;
}

const EXPRESSION_OPERATORS: Readonly<Record<string, LabelOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * A matcher for a metav1.LabelSelector (as in Deployment spec.selector). Like
 * LabelSelectorAsSelector: null/undefined matches nothing, `{}` matches everything.
 */
export function labelSelectorFromObject(selector: LabelSelectorObject | null | undefined): LabelMatcher {
  if (selector === null || selector === undefined) return labelMatcher([], true);
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (typeof value !== 'string') throw new SelectorError(`matchLabels[${key}] must be a string, got ${JSON.stringify(value)}`);
    reqs.push(makeRequirement(key, '=', [value]));
  }
  for (const expr of selector.matchExpressions ?? []) {
    const op = EXPRESSION_OPERATORS[expr.operator];
    if (!op) throw new SelectorError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push(makeRequirement(expr.key, op, expr.values ?? []));
  }
  return labelMatcher(reqs);
}

/** The value a label must equal under these requirements (`key=v`, `key==v` or `key in (v)`), if any. */
export function exactLabelValue(requirements: readonly LabelRequirement[], key: string): string | undefined {
  for (const r of requirements) {
    if (r.key !== key) continue;
    if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Field selectors

export interface FieldRequirement {
  readonly field: string;
  /** `==` is normalised to `=`. */
  readonly operator: '=' | '!=';
  readonly value: string;
}

export interface FieldMatcher {
  /** Takes the object's selectable fields (see selectableFields); a missing field reads as "". */
  (fields: Readonly<Record<string, string>>): boolean;
  readonly requirements: readonly FieldRequirement[];
  readonly canonical: string;
}

interface ObjectLike {
  apiVersion?: string;
  metadata?: { name?: string; namespace?: string } | undefined;
  [k: string]: unknown;
}

type FieldGetter = (obj: ObjectLike) => string;

/**
 * A getter for a dotted path, split once when the field table is built: the getters run
 * on every stored write.
 */
function pathGetter(path: string): (o: ObjectLike) => unknown {
  const parts = path.split('.');
  return (o) => {
    let cur: unknown = o;
    for (const part of parts) {
      if (!isRecord(cur)) return undefined;
      cur = cur[part];
    }
    return cur;
  };
}
const text = (path: string): FieldGetter => {
  const get = pathGetter(path);
  return (o) => {
    const v = get(o);
    return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  };
};
const flag = (path: string): FieldGetter => {
  const get = pathGetter(path);
  return (o) => String(get(o) === true);
};
const count = (path: string): FieldGetter => {
  const get = pathGetter(path);
  return (o) => {
    const v = get(o);
    return String(typeof v === 'number' ? Math.trunc(v) : 0);
  };
};

const podIPs = pathGetter('status.podIPs');
const podIPText = text('status.podIP');
function podIP(o: ObjectLike): string {
  const ips = podIPs(o);
  if (Array.isArray(ips) && ips.length > 0) {
    const first = ips[0] as { ip?: unknown };
    return typeof first.ip === 'string' ? first.ip : '';
  }
  return podIPText(o);
}

/** events.k8s.io/v1 objects are the same stored Event under other field names. */
const isNewEvent = (o: ObjectLike): boolean => typeof o.apiVersion === 'string' && o.apiVersion.startsWith('events.k8s.io/');
const eventText = (core: string, events: string): FieldGetter => {
  const ofCore = text(core);
  const ofEvents = text(events);
  return (o) => (isNewEvent(o) ? ofEvents(o) : ofCore(o));
};
const eventRef = (field: string): FieldGetter => eventText(`involvedObject.${field}`, `regarding.${field}`);
const eventSource = eventText('source.component', 'deprecatedSource.component');
const reportingController = text('reportingController');

/** Per resource (plural), the fields kube-apiserver accepts beyond metadata.name / metadata.namespace. */
const RESOURCE_FIELDS: Readonly<Record<string, Readonly<Record<string, FieldGetter>>>> = {
  pods: {
    'spec.nodeName': text('spec.nodeName'),
    'spec.restartPolicy': text('spec.restartPolicy'),
    'spec.schedulerName': text('spec.schedulerName'),
    'spec.serviceAccountName': text('spec.serviceAccountName'),
    'spec.hostNetwork': flag('spec.hostNetwork'),
    'status.phase': text('status.phase'),
    'status.podIP': podIP,
    'status.nominatedNodeName': text('status.nominatedNodeName'),
  },
  nodes: { 'spec.unschedulable': flag('spec.unschedulable') },
  events: {
    'involvedObject.kind': eventRef('kind'),
    'involvedObject.namespace': eventRef('namespace'),
    'involvedObject.name': eventRef('name'),
    'involvedObject.uid': eventRef('uid'),
    'involvedObject.apiVersion': eventRef('apiVersion'),
    'involvedObject.resourceVersion': eventRef('resourceVersion'),
    'involvedObject.fieldPath': eventRef('fieldPath'),
    reason: text('reason'),
    reportingComponent: eventText('reportingComponent', 'reportingController'),
    source: (o) => eventSource(o) || reportingController(o),
    type: text('type'),
  },
  secrets: { type: text('type') },
  namespaces: { 'status.phase': text('status.phase') },
  replicationcontrollers: { 'status.replicas': count('status.replicas') },
  replicasets: { 'status.replicas': count('status.replicas') },
  jobs: { 'status.successful': count('status.succeeded') },
  certificatesigningrequests: { 'spec.signerName': text('spec.signerName') },
};

/** Field names older clients send that the apiserver maps to a current one. */
const FIELD_ALIASES: Readonly<Record<string, string>> = { 'spec.host': 'spec.nodeName' };

/** `pods`, `core/pods`, `/pods`, `batch/jobs` -> the plural resource name. */
const pluralOf = (resource: string): string => resource.slice(resource.lastIndexOf('/') + 1);

/** The field names a `fieldSelector` may use for this resource. */
export function supportedFieldSelectors(resource: string): string[] {
  return ['metadata.name', 'metadata.namespace', ...Object.keys(RESOURCE_FIELDS[pluralOf(resource)] ?? {})];
}

/** The values of an object's selectable fields, to feed a FieldMatcher. */
export function selectableFields(resource: string, obj: ObjectLike): Record<string, string> {
  return selectableFieldsOf(resource)(obj);
}

const fieldsFns = new Map<string, (obj: ObjectLike) => Record<string, string>>();

/** selectableFields for one resource, with its field table looked up once (stored writes call it). */
export function selectableFieldsOf(resource: string): (obj: ObjectLike) => Record<string, string> {
  let fn = fieldsFns.get(resource);
  if (fn) return fn;
  const entries = Object.entries(RESOURCE_FIELDS[pluralOf(resource)] ?? {});
  fn = (obj) => {
    const out: Record<string, string> = {
      'metadata.name': obj.metadata?.name ?? '',
      'metadata.namespace': obj.metadata?.namespace ?? '',
    };
    for (const [field, get] of entries) out[field] = get(obj);
    return out;
  };
  fieldsFns.set(resource, fn);
  return fn;
}

/** Splits on commas not escaped with a backslash. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

function unescapeValue(value: string): string {
  let out = '';
  let escaped = false;
  for (const c of value) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === ',' || c === '=') {
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * Parses a `fieldSelector=` string. `supported` is the resource (`pods`, `core/pods`) whose
 * fields are allowed, or the allowed field names themselves. An empty string matches
 * everything. Throws SelectorError, e.g. "field label not supported: spec.foo".
 */
export function parseFieldSelector(selector: string, supported: string | Iterable<string>): FieldMatcher {
  const allowed = new Set(typeof supported === 'string' ? supportedFieldSelectors(supported) : supported);
  const reqs: FieldRequirement[] = [];
  for (const term of splitTerms(selector)) {
    if (term === '') continue;
    const m = /!=|==|=/.exec(term);
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    let field = term.slice(0, m.index).trim();
    const alias = FIELD_ALIASES[field];
    if (alias && !allowed.has(field) && allowed.has(alias)) field = alias;
    if (!allowed.has(field)) throw new SelectorError(`field label not supported: ${field}`);
    const value = unescapeValue(term.slice(m.index + m[0].length));
    reqs.push({ field, operator: m[0] === '!=' ? '!=' : '=', value });
  }
  reqs.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  const fn = (fields: Readonly<Record<string, string>>): boolean =>
    reqs.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator === '='));
  return Object.assign(fn, {
    requirements: reqs,
    canonical: reqs.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(','),
  });
}

/** The value a field must equal under these requirements (`field=v`), if any: the index lookup key. */
export function exactFieldValue(requirements: readonly FieldRequirement[], field: string): string | undefined {
  return requirements.find((r) => r.field === field && r.operator === '=')?.value;
}
