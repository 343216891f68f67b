// Pod and PodSpec validation (pkg/apis/core/validation): containers, resources, ports,
// enums, tolerations, volumes' names; and the pod update rule that the spec is immutable
// apart from images, activeDeadlineSeconds, added tolerations and a negative grace period.
import { compareQuantities, tryParseQuantity, type Quantity } from '../../kube/index.js';
import { deepClone, isRecord } from '../object.js';
import { fe, type Causes } from './errors.js';
import { QUANTITY_ERROR } from './fields.js';
import { DNS1123_SUBDOMAIN_RE, isDNS1123Label, isQualifiedName } from '../../kube/index.js';

type Obj = Record<string, unknown>;

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function records(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map((x) => (isRecord(x) ? x : {})) : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function validateResourceName(name: string, field: string, out: Causes): boolean {
  const msgs = isQualifiedName(name);
  if (msgs.length) {
    for (const m of msgs) out.push(fe.invalid(field, name, m));
    return false;
  }
  const standard = STANDARD_CONTAINER_RESOURCES.has(name) || name.startsWith('hugepages-') || name.startsWith('requests.');
  if (!name.includes('/') && !standard) {
    out.push(fe.invalid(field, name, 'must be a standard resource type or fully qualified'));
    return false;
  }
  return true;
}

// Every pod write parses its containers' requests and limits, and the same few spellings
// ("100m", "64Mi") repeat across pods: parsed values (immutable) are memoised, bounded.
const PARSED_MAX = 4096;
const parsedQuantities = new Map<string | number, Quantity | null>();

function quantityOf(q: unknown): Quantity | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return undefined;
  const hit = parsedQuantities.get(q);
  if (hit !== undefined) return hit ?? undefined;
  const parsed = tryParseQuantity(q);
  if (parsedQuantities.size >= PARSED_MAX) parsedQuantities.clear();
  parsedQuantities.set(q, parsed ?? null);
  return parsed;
}

/** ValidateResourceRequirements: names, non-negative quantities, requests <= limits. */
export function validateResources(resources: unknown, field: string, out: Causes): void {
  if (!isRecord(resources)) return;
  const limits = isRecord(resources['limits']) ? resources['limits'] : {};
  const requests = isRecord(resources['requests']) ? resources['requests'] : {};
  for (const [kind, list] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, q] of Object.entries(list)) {
      const f = `${field}.${kind}[${name}]`;
      if (!validateResourceName(name, f, out)) continue;
      const parsed = quantityOf(q);
      // Client writes fail at decoding first (400); this catches in-process writes.
      if (!parsed) out.push(fe.invalid(f, q, QUANTITY_ERROR));
      else if (parsed.nanos < 0n) out.push(fe.invalid(f, String(q), 'must be greater than or equal to 0'));
      else if (name.includes('/') && parsed.nanos % 1_000_000_000n !== 0n) {
        // Extended resources are counted in whole units.
        out.push(fe.invalid(f, String(q), 'must be an integer'));
      }
    }
  }
  for (const [name, req] of Object.entries(requests)) {
    const lim = limits[name];
    if (lim === undefined) continue;
    const r = quantityOf(req);
    const l = quantityOf(lim);
    if (!r || !l) continue;
    if (compareQuantities(r, l) > 0) {
      out.push(fe.invalid(`${field}.requests[${name}]`, String(req), `must be less than or equal to ${name} limit of ${String(lim)}`));
    }
  }
}

function validatePorts(ports: unknown, field: string, out: Causes): void {
  const names = new Set<string>();
  records(ports).forEach((p, i) => {
    const f = `${field}[${i}]`;
    const cp = p['containerPort'];
    if (cp === undefined || cp === 0) out.push(fe.required(`${f}.containerPort`));
    else if (typeof cp === 'number' && (cp < 1 || cp > 65535)) out.push(fe.invalid(`${f}.containerPort`, cp, 'must be between 1 and 65535, inclusive'));
    const hp = p['hostPort'];
    if (typeof hp === 'number' && hp !== 0 && (hp < 1 || hp > 65535)) out.push(fe.invalid(`${f}.hostPort`, hp, 'must be between 1 and 65535, inclusive'));
    if (p['protocol'] !== undefined && !PROTOCOLS.includes(str(p['protocol']))) out.push(fe.notSupported(`${f}.protocol`, p['protocol'], PROTOCOLS));
    const name = str(p['name']);
    if (name) {
      if (name.length > 15 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) || !/[a-z]/.test(name) || name.includes('--')) {
        out.push(
          fe.invalid(
            `${f}.name`,
            name,
            name.length > 15 ? 'must be no more than 15 characters' : "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
          ),
        );
      } else if (names.has(name)) out.push(fe.duplicate(`${f}.name`, name));
      names.add(name);
    }
  });
}

function validateEnv(env: unknown, field: string, out: Causes): void {
  records(env).forEach((e, i) => {
    const name = str(e['name']);
    if (!name) out.push(fe.required(`${field}[${i}].name`));
    else validateEnvName(name, `${field}[${i}].name`, out);
  });
}

type ContainerKind = 'init' | 'regular' | 'ephemeral';

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

function validateProbe(p: unknown, field: string, liveness: boolean, out: Causes): void {
  if (!isRecord(p)) return;
  const handlers = HANDLERS.filter((h) => p[h] !== undefined);
  if (handlers.length === 0) out.push(fe.required(field, 'must specify a handler type'));
  else if (handlers.length > 1) out.push(fe.forbidden(`${field}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  const st = p['successThreshold'];
  if (liveness && typeof st === 'number' && st !== 1) out.push(fe.invalid(`${field}.successThreshold`, st, 'must be 1'));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    const v = p[k];
    if (typeof v === 'number' && v < 0) out.push(fe.invalid(`${field}.${k}`, v, 'must be greater than or equal to 0'));
  }
}

/** Since 1.30 (RelaxedEnvironmentVariableValidation) any printable ASCII but '=' is a valid name. */
function validateEnvName(name: string, field: string, out: Causes): void {
  if (!/^[\x20-\x3c\x3e-\x7e]+$/.test(name)) {
    out.push(fe.invalid(field, name, "a valid environment variable name must consist only of printable ASCII characters other than '='"));
  }
}

function validateContainers(list: unknown, field: string, names: Set<string>, volumes: Set<string>, out: Causes, kind: ContainerKind = 'regular'): void {
  records(list).forEach((c, i) => {
    const f = `${field}[${i}]`;
    const name = str(c['name']);
    if (!name) out.push(fe.required(`${f}.name`));
    else {
      const msgs = isDNS1123Label(name);
      for (const m of msgs) out.push(fe.invalid(`${f}.name`, name, m));
      if (msgs.length === 0 && names.has(name)) out.push(fe.duplicate(`${f}.name`, name));
      names.add(name);
    }
    const image = str(c['image']);
    if (!image) out.push(fe.required(`${f}.image`));
    else if (image && image.trim() !== image) out.push(fe.invalid(`${f}.image`, image, 'must not have leading or trailing whitespace'));
    if (c['imagePullPolicy'] !== undefined && !PULL_POLICIES.includes(str(c['imagePullPolicy']))) {
      out.push(fe.notSupported(`${f}.imagePullPolicy`, c['imagePullPolicy'], PULL_POLICIES));
    }
    if (c['terminationMessagePolicy'] !== undefined && !TERMINATION_MESSAGE_POLICIES.includes(str(c['terminationMessagePolicy']))) {
      out.push(fe.notSupported(`${f}.terminationMessagePolicy`, c['terminationMessagePolicy'], TERMINATION_MESSAGE_POLICIES));
    }
    validatePorts(c['ports'], `${f}.ports`, out);
    validateEnv(c['env'], `${f}.env`, out);
    const rp = c['restartPolicy'];
    if (rp !== undefined) {
      // Only init containers may set it, and only to Always (sidecars).
      if (kind !== 'init') out.push(fe.forbidden(`${f}.restartPolicy`, 'may not be set for non-init containers'));
      else if (rp !== 'Always') out.push(fe.notSupported(`${f}.restartPolicy`, rp, ['Always']));
    }
    const sidecar = kind === 'init' && rp === 'Always';
    if (kind === 'regular' || sidecar) {
      validateProbe(c['livenessProbe'], `${f}.livenessProbe`, true, out);
      validateProbe(c['readinessProbe'], `${f}.readinessProbe`, false, out);
      validateProbe(c['startupProbe'], `${f}.startupProbe`, true, out);
    } else {
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[probe] !== undefined) out.push(fe.forbidden(`${f}.${probe}`, `may not be set for ${kind === 'init' ? 'init containers without restartPolicy=Always' : 'ephemeral containers'}`));
      }
    }
    validateResources(c['resources'], `${f}.resources`, out);
    records(c['volumeMounts']).forEach((m, j) => {
      const vm = `${f}.volumeMounts[${j}]`;
      const vname = str(m['name']);
      if (!vname) out.push(fe.required(`${vm}.name`));
      else if (!volumes.has(vname)) out.push({ reason: 'FieldValueNotFound', field: `${vm}.name`, message: `Not found: ${JSON.stringify(vname)}` });
      if (!str(m['mountPath'])) out.push(fe.required(`${vm}.mountPath`));
    });
  });
}

export function validateTolerations(tolerations: unknown, field: string, out: Causes): void {
  records(tolerations).forEach((t, i) => {
    const f = `${field}[${i}]`;
    const key = str(t['key']);
    const op = t['operator'] === undefined ? 'Equal' : str(t['operator']);
    if (key) for (const m of isQualifiedName(key)) out.push(fe.invalid(`${f}.key`, key, m));
    if (!key && op !== 'Exists') out.push(fe.invalid(`${f}.operator`, op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (!TOLERATION_OPERATORS.includes(op)) out.push(fe.notSupported(`${f}.operator`, op, TOLERATION_OPERATORS));
    if (op === 'Exists' && str(t['value'])) out.push(fe.invalid(`${f}.operator`, t['value'], 'value must be empty when `operator` is \'Exists\''));
    const effect = str(t['effect']);
    if (effect && !TAINT_EFFECTS.includes(effect)) out.push(fe.notSupported(`${f}.effect`, effect, TAINT_EFFECTS));
    if (t['tolerationSeconds'] !== undefined && effect !== 'NoExecute') {
      out.push(fe.invalid(`${f}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
  });
}

/** ValidatePodSpec; `field` is "spec" for pods and "spec.template.spec" for templates. */
export function validatePodSpec(spec: unknown, field: string, out: Causes, claimTemplates: readonly string[] = []): void {
  if (!isRecord(spec)) {
    out.push(fe.required(`${field}.containers`));
    return;
  }
  // A StatefulSet's volumeClaimTemplates are volumes its pods will have.
  const volumes = new Set<string>(claimTemplates);
  records(spec['volumes']).forEach((v, i) => {
    const name = str(v['name']);
    const sources = Object.keys(v).filter((k) => k !== 'name');
    if (sources.length > 1) out.push(fe.forbidden(`${field}.volumes[${i}].${sources[1]}`, 'may not specify more than 1 volume type'));
    const f = `${field}.volumes[${i}].name`;
    if (!name) out.push(fe.required(f));
    else {
      for (const m of isDNS1123Label(name)) out.push(fe.invalid(f, name, m));
      if (volumes.has(name)) out.push(fe.duplicate(f, name));
      volumes.add(name);
    }
  });
  const names = new Set<string>();
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) out.push(fe.required(`${field}.containers`));
  validateContainers(spec['initContainers'], `${field}.initContainers`, names, volumes, out, 'init');
  validateContainers(containers, `${field}.containers`, names, volumes, out, 'regular');
  validateContainers(spec['ephemeralContainers'], `${field}.ephemeralContainers`, names, volumes, out, 'ephemeral');
  if (spec['restartPolicy'] !== undefined && !RESTART_POLICIES.includes(str(spec['restartPolicy']))) {
    out.push(fe.notSupported(`${field}.restartPolicy`, spec['restartPolicy'], RESTART_POLICIES));
  }
  if (spec['dnsPolicy'] !== undefined && !DNS_POLICIES.includes(str(spec['dnsPolicy']))) {
    out.push(fe.notSupported(`${field}.dnsPolicy`, spec['dnsPolicy'], DNS_POLICIES));
  }
  if (spec['dnsPolicy'] === 'None' && !isRecord(spec['dnsConfig'])) {
    out.push(fe.required(`${field}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  const grace = spec['terminationGracePeriodSeconds'];
  if (typeof grace === 'number' && grace < 0) out.push(fe.invalid(`${field}.terminationGracePeriodSeconds`, grace, 'must be greater than or equal to 0'));
  const ads = spec['activeDeadlineSeconds'];
  if (typeof ads === 'number' && ads <= 0) out.push(fe.invalid(`${field}.activeDeadlineSeconds`, ads, 'must be between 1 and 2147483647, inclusive'));
  if (isRecord(spec['nodeSelector'])) {
    for (const [k, v] of Object.entries(spec['nodeSelector'])) {
      for (const m of isQualifiedName(k)) out.push(fe.invalid(`${field}.nodeSelector`, k, m));
      void v;
    }
  }
  const sa = str(spec['serviceAccountName']);
  if (sa) for (const m of isDNS1123Subdomainish(sa)) out.push(fe.invalid(`${field}.serviceAccountName`, sa, m));
  const nodeName = str(spec['nodeName']);
  if (nodeName && !DNS1123_SUBDOMAIN_RE.test(nodeName)) {
    out.push(fe.invalid(`${field}.nodeName`, nodeName, 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character'));
  }
  validateTolerations(spec['tolerations'], `${field}.tolerations`, out);
  validateResources(spec['resources'], `${field}.resources`, out);
}

function isDNS1123Subdomainish(v: string): string[] {
  return DNS1123_SUBDOMAIN_RE.test(v) && v.length <= 253
    ? []
    : ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"];
}

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    isRecord(val) ? Object.fromEntries(Object.keys(val).sort().map((k) => [k, val[k]])) : val,
  );
}

/** ValidatePodUpdate's spec rule: copy the mutable fields from new to old and compare the rest. */
export function validatePodSpecUpdate(spec: unknown, oldSpec: unknown, out: Causes): void {
  if (!isRecord(spec) || !isRecord(oldSpec)) return;
  // Fast path: most updates (labels, annotations, re-applies) leave the spec as it was.
  if (JSON.stringify(spec) === JSON.stringify(oldSpec)) return;
  const masked = deepClone(oldSpec);
  const cur = spec;
  for (const key of ['containers', 'initContainers'] as const) {
    const a = records(cur[key]);
    const b = records(masked[key]);
    if (a.length === b.length) b.forEach((c, i) => (c['image'] = a[i]!['image']));
  }
  // activeDeadlineSeconds may be set, or lowered, never removed or raised.
  const oldAds = oldSpec['activeDeadlineSeconds'];
  const newAds = cur['activeDeadlineSeconds'];
  if (oldAds === undefined || (typeof newAds === 'number' && typeof oldAds === 'number' && newAds <= oldAds)) {
    if (newAds === undefined) delete masked['activeDeadlineSeconds'];
    else masked['activeDeadlineSeconds'] = newAds;
  }
  // Tolerations: only additions (existing ones may only lower tolerationSeconds).
  const oldTols = records(oldSpec['tolerations']);
  const newTols = records(cur['tolerations']);
  const kept = oldTols.every((ot) =>
    newTols.some((nt) => {
      const { tolerationSeconds: a, ...restA } = nt;
      const { tolerationSeconds: b, ...restB } = ot;
      return canonical(restA) === canonical(restB) && (a === b || (typeof a === 'number' && typeof b === 'number' && a <= b));
    }),
  );
  if (kept) {
    if (cur['tolerations'] === undefined) delete masked['tolerations'];
    else masked['tolerations'] = cur['tolerations'];
  }
  const oldGrace = oldSpec['terminationGracePeriodSeconds'];
  if (typeof oldGrace === 'number' && oldGrace < 0 && cur['terminationGracePeriodSeconds'] === 1) {
    masked['terminationGracePeriodSeconds'] = 1;
  }
  if (canonical(masked) !== canonical(cur)) out.push(fe.forbidden('spec', POD_UPDATE_FORBIDDEN));
}
