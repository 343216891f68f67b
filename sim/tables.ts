// `meta.k8s.io/v1` Table rendering, what kube-apiserver answers to
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (kubectl get's default).
// Columns and cells follow the apiserver's printers (pkg/printers/internalversion): the
// server always renders the wide cells and marks them priority 1, and kubectl shows
// them only with -o wide. AGE is a string cell the server computes (HumanDuration).
// Resources without a printer get the apiserver's default table (Name, Created At);
// custom resources get Name, the CRD's additionalPrinterColumns (or Age), with `date`
// columns rendered as ages.
import { isRecord } from './object.js';
import type { PrinterColumn } from './resources.js';
import { formatLabelRequirement, labelSelectorFromObject, type LabelSelectorObject } from './selectors.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; creationTimestamp?: string; deletionTimestamp?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCondition {
  type: 'Completed';
  status: 'True';
  reason: string;
  message: string;
}

export interface TableRow {
  cells: unknown[];
  /** Absent for includeObject=None. */
  object?: unknown;
  conditions?: TableRowCondition[];
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** A CRD additionalPrinterColumns entry (the registry's type, re-exported for callers of toTable). */
export type { PrinterColumn };

export interface TableOptions {
  includeObject: 'None' | 'Metadata' | 'Object';
  /** The clock for AGE cells. */
  now: Date;
  /** Present for a custom resource: its CRD's printer columns for the served version. */
  crd?: { additionalPrinterColumns?: PrinterColumn[] | undefined };
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

// ---------------------------------------------------------------------------------------
// Durations and small readers

/** kube's duration.HumanDuration: "45s", "3m2s", "15m", "4h30m", "20h", "2d3h", "45d", "3y10d". */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  // A clock up to 2s behind reads as "now", as in apimachinery.
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

function timeOf(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** translateTimestampSince: "<unknown>" for a missing time. */
function since(v: unknown, now: Date): string {
  const t = timeOf(v);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}

type Json = Record<string, unknown>;
const isObj: (v: unknown) => v is Json = isRecord;
const obj = (v: unknown): Json => (isObj(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const objs = (v: unknown): Json[] => list(v).filter(isObj);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
const count = (v: unknown): number => (isObj(v) ? Object.keys(v).length : 0);

/** labels.FormatLabels: sorted k=v pairs, "<none>" when empty. */
function formatLabels(map: unknown): string {
  const entries = Object.entries(obj(map)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${str(v)}`).join(',') : '<none>';
}

/** LabelSelectorAsSelector(...).String(); undefined when the selector is invalid. */
function selectorString(sel: unknown): string | undefined {
  if (sel === undefined || sel === null) return '';
  try {
    return labelSelectorFromObject(sel as LabelSelectorObject).requirements.map(formatLabelRequirement).join(',');
  } catch {
    return undefined;
  }
}

/** metav1.FormatLabelSelector. */
function formatLabelSelector(sel: unknown): string {
  const s = selectorString(sel);
  return s === undefined ? '<error>' : s === '' ? '<none>' : s;
}

function containerCells(podSpec: unknown): [string, string] {
  const containers = objs(obj(podSpec)['containers']);
  return [containers.map((c) => str(c['name'])).join(','), containers.map((c) => str(c['image'])).join(',')];
}

// ---------------------------------------------------------------------------------------
// Printers

interface Printed {
  cells: unknown[];
  conditions?: TableRowCondition[];
}

interface Printer {
  columns: TableColumnDefinition[];
  print(o: KubeObject, now: Date): Printed;
}

function col(name: string, type: string, description: string, extra: { priority?: number; format?: string } = {}): TableColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}
const wide = { priority: 1 };
const NAME = col('Name', 'string', 'Name must be unique within a namespace. Cannot be updated.', { format: 'name' });
const AGE = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');
const CONTAINERS = col('Containers', 'string', 'Names of each container in the template.', wide);
const IMAGES = col('Images', 'string', 'Images referenced by each container in the template.', wide);
const SELECTOR = col('Selector', 'string', 'A label query over pods that are managed by this object.', wide);

const age = (o: KubeObject, now: Date): string => since(o.metadata.creationTimestamp, now);

const POD_SUCCEEDED: TableRowCondition = { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' };
const POD_FAILED: TableRowCondition = { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' };

function printPod(pod: KubeObject, now: Date): Printed {
  const spec = obj(pod['spec']);
  const status = obj(pod['status']);
  const conditions = objs(status['conditions']);
  const phase = str(status['phase']);
  let reason = str(status['reason']) || phase;
  if (conditions.some((c) => c['type'] === 'PodScheduled' && c['reason'] === 'SchedulingGated')) reason = 'SchedulingGated';

  const initSpecs = objs(spec['initContainers']);
  const restartable = new Set(initSpecs.filter((c) => c['restartPolicy'] === 'Always').map((c) => str(c['name'])));
  const total = objs(spec['containers']).length + restartable.size;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  const finishedAt = (cs: Json): number => timeOf(obj(obj(cs['lastState'])['terminated'])['finishedAt']) ?? 0;

  let initializing = false;
  const initStatuses = objs(status['initContainerStatuses']);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i]!;
    const isSidecar = restartable.has(str(cs['name']));
    restarts += int(cs['restartCount']);
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    if (isSidecar) {
      sidecarRestarts += int(cs['restartCount']);
      lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(cs));
    }
    const state = obj(cs['state']);
    const terminated = isObj(state['terminated']) ? state['terminated'] : undefined;
    const waiting = isObj(state['waiting']) ? state['waiting'] : undefined;
    if (terminated && int(terminated['exitCode']) === 0) continue;
    if (isSidecar && cs['started'] === true) {
      if (cs['ready'] === true) ready++;
      continue;
    }
    if (terminated) {
      const r = str(terminated['reason']);
      const signal = int(terminated['signal']);
      reason = r ? `Init:${r}` : signal !== 0 ? `Init:Signal:${signal}` : `Init:ExitCode:${int(terminated['exitCode'])}`;
    } else if (waiting && str(waiting['reason']) !== '' && waiting['reason'] !== 'PodInitializing') {
      reason = `Init:${str(waiting['reason'])}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c['type'] === 'Initialized' && c['status'] === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = objs(status['containerStatuses']);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += int(cs['restartCount']);
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const state = obj(cs['state']);
      const waiting = isObj(state['waiting']) ? state['waiting'] : undefined;
      const terminated = isObj(state['terminated']) ? state['terminated'] : undefined;
      if (waiting && str(waiting['reason']) !== '') {
        reason = str(waiting['reason']);
      } else if (terminated && str(terminated['reason']) !== '') {
        reason = str(terminated['reason']);
      } else if (terminated) {
        const signal = int(terminated['signal']);
        reason = signal !== 0 ? `Signal:${signal}` : `ExitCode:${int(terminated['exitCode'])}`;
      } else if (cs['ready'] === true && isObj(state['running'])) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp !== undefined && status['reason'] === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp !== undefined && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsCell = restarts !== 0 && lastRestart !== 0 ? `${restarts} (${humanDuration(now.getTime() - lastRestart)} ago)` : String(restarts);

  const podIPs = objs(status['podIPs']);
  const ip = (podIPs.length ? str(podIPs[0]!['ip']) : str(status['podIP'])) || '<none>';
  const gates = objs(spec['readinessGates']);
  let gatesCell = '<none>';
  if (gates.length > 0) {
    const passed = gates.filter((g) => conditions.find((c) => c['type'] === g['conditionType'])?.['status'] === 'True').length;
    gatesCell = `${passed}/${gates.length}`;
  }
  const printed: Printed = {
    cells: [
      pod.metadata.name ?? '',
      `${ready}/${total}`,
      reason,
      restartsCell,
      age(pod, now),
      ip,
      str(spec['nodeName']) || '<none>',
      str(status['nominatedNodeName']) || '<none>',
      gatesCell,
    ],
  };
  if (phase === 'Succeeded') printed.conditions = [POD_SUCCEEDED];
  if (phase === 'Failed') printed.conditions = [POD_FAILED];
  return printed;
}

function nodeRoles(labels: Record<string, string> | undefined): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort().join(',') || '<none>';
}

function printNode(node: KubeObject, now: Date): Printed {
  const status = obj(node['status']);
  const info = obj(status['nodeInfo']);
  // Only the Ready condition counts, and the last one of that type wins (as the map build-up upstream).
  const readyCond = objs(status['conditions']).filter((c) => c['type'] === 'Ready').pop();
  const parts = [readyCond ? (readyCond['status'] === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (obj(node['spec'])['unschedulable'] === true) parts.push('SchedulingDisabled');
  const address = (type: string): string => str(objs(status['addresses']).find((a) => a['type'] === type)?.['address']) || '<none>';
  return {
    cells: [
      node.metadata.name ?? '',
      parts.join(','),
      nodeRoles(node.metadata.labels),
      age(node, now),
      str(info['kubeletVersion']),
      address('InternalIP'),
      address('ExternalIP'),
      str(info['osImage']) || '<unknown>',
      str(info['kernelVersion']) || '<unknown>',
      str(info['containerRuntimeVersion']) || '<unknown>',
    ],
  };
}

/** An events.k8s.io/v1 Event in core/v1 field names (both are the same stored object). */
function coreEvent(e: KubeObject): Json {
  if (!str(e.apiVersion).startsWith('events.k8s.io/')) return e;
  return {
    ...e,
    involvedObject: e['regarding'],
    message: e['note'],
    firstTimestamp: e['deprecatedFirstTimestamp'],
    lastTimestamp: e['deprecatedLastTimestamp'],
    count: e['deprecatedCount'],
    source: e['deprecatedSource'],
  };
}

function printEvent(raw: KubeObject, now: Date): Printed {
  const e = coreEvent(raw);
  const first = timeOf(e['firstTimestamp']) !== undefined ? since(e['firstTimestamp'], now) : since(e['eventTime'], now);
  let last = timeOf(e['lastTimestamp']) !== undefined ? since(e['lastTimestamp'], now) : first;
  let n = int(e['count']);
  const series = isObj(e['series']) ? e['series'] : undefined;
  if (series) {
    last = since(series['lastObservedTime'], now);
    n = int(series['count']);
  } else if (n === 0) {
    n = 1;
  }
  const involved = obj(e['involvedObject']);
  const kind = str(involved['kind']).toLowerCase();
  const target = str(involved['name']) ? `${kind}/${str(involved['name'])}` : kind;
  const source = obj(e['source']);
  const component = str(source['component']) || str(e['reportingController']);
  const instance = str(source['host']) || str(e['reportingInstance']);
  return {
    cells: [
      last,
      str(e['type']),
      str(e['reason']),
      target,
      str(involved['fieldPath']),
      instance ? `${component}, ${instance}` : component,
      str(e['message']).trim(),
      first,
      n,
      raw.metadata.name ?? '',
    ],
  };
}

function printService(svc: KubeObject, now: Date): Printed {
  const spec = obj(svc['spec']);
  // The apiserver defaults type to ClusterIP; objects stored without defaulting read the same.
  const type = str(spec['type']) || 'ClusterIP';
  const clusterIPs = list(spec['clusterIPs']);
  const internal = str(clusterIPs[0]) || str(spec['clusterIP']) || '<none>';
  const externalIPs = list(spec['externalIPs']).map(str);
  let external: string;
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      external = externalIPs.length ? externalIPs.join(',') : '<none>';
      break;
    case 'LoadBalancer': {
      const lb = [...new Set(objs(obj(obj(svc['status'])['loadBalancer'])['ingress']).map((i) => str(i['ip']) || str(i['hostname'])).filter(Boolean))].sort();
      const all = [...lb, ...externalIPs];
      external = all.length ? all.join(',') : '<pending>';
      break;
    }
    case 'ExternalName':
      external = str(spec['externalName']);
      break;
    default:
      external = '<unknown>';
  }
  const ports = objs(spec['ports'])
    .map((p) => {
      const protocol = str(p['protocol']) || 'TCP';
      return int(p['nodePort']) > 0 ? `${int(p['port'])}:${int(p['nodePort'])}/${protocol}` : `${int(p['port'])}/${protocol}`;
    })
    .join(',');
  return { cells: [svc.metadata.name ?? '', type, internal, external, ports || '<none>', age(svc, now), formatLabels(spec['selector'])] };
}

function jobCondition(conditions: Json[], type: string): boolean {
  return conditions.find((c) => c['type'] === type)?.['status'] === 'True';
}

function printJob(job: KubeObject, now: Date): Printed {
  const spec = obj(job['spec']);
  const status = obj(job['status']);
  const succeeded = int(status['succeeded']);
  let completions: string;
  if (typeof spec['completions'] === 'number') completions = `${succeeded}/${int(spec['completions'])}`;
  else completions = int(spec['parallelism']) > 1 ? `${succeeded}/1 of ${int(spec['parallelism'])}` : `${succeeded}/1`;
  const start = timeOf(status['startTime']);
  const end = timeOf(status['completionTime']);
  const duration = start === undefined ? '' : humanDuration((end ?? now.getTime()) - start);
  const conds = objs(status['conditions']);
  let state = 'Running';
  if (jobCondition(conds, 'Complete')) state = 'Complete';
  else if (jobCondition(conds, 'Failed')) state = 'Failed';
  else if (job.metadata.deletionTimestamp !== undefined) state = 'Terminating';
  else if (jobCondition(conds, 'Suspended')) state = 'Suspended';
  else if (jobCondition(conds, 'FailureTarget')) state = 'FailureTarget';
  const [names, images] = containerCells(obj(spec['template'])['spec']);
  return { cells: [job.metadata.name ?? '', state, completions, duration, age(job, now), names, images, formatLabelSelector(spec['selector'])] };
}

// ---------------------------------------------------------------------------------------
// Kinds stored and served without a controller (RBAC, policy, networking, storage, quota,
// admission webhooks, autoscaling): kube-apiserver's printers for them, so `kubectl get`
// shows the columns users know.

/** intstr.IntOrString as printed: the number or the string, "N/A" when unset. */
function intOrStringCell(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v === 'string' ? v : 'N/A';
}

const ACCESS_MODE_ABBREV: Readonly<Record<string, string>> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};

/** helper.GetAccessModesAsString: each mode once, in kube's fixed order. */
function accessModes(v: unknown): string {
  const modes = new Set(list(v).map(str));
  return Object.keys(ACCESS_MODE_ABBREV)
    .filter((m) => modes.has(m))
    .map((m) => ACCESS_MODE_ABBREV[m])
    .join(',');
}

/** rbac.SubjectsStrings: users, groups and service accounts (namespace/name) of a binding. */
function printBinding(o: KubeObject, now: Date): Printed {
  const ref = obj(o['roleRef']);
  const subjects = objs(o['subjects']);
  const of = (kind: string, fmt: (s: Json) => string) => subjects.filter((s) => str(s['kind']) === kind).map(fmt).join(', ');
  return {
    cells: [
      o.metadata.name ?? '',
      `${str(ref['kind'])}/${str(ref['name'])}`,
      age(o, now),
      of('User', (s) => str(s['name'])),
      of('Group', (s) => str(s['name'])),
      of('ServiceAccount', (s) => `${str(s['namespace'])}/${str(s['name'])}`),
    ],
  };
}

function bindingColumns(what: string): TableColumnDefinition[] {
  return [
    NAME,
    col('Role', 'string', `RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.`),
    AGE,
    col('Users', 'string', `Users in the ${what}`, wide),
    col('Groups', 'string', `Groups in the ${what}`, wide),
    col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, wide),
  ];
}

/** formatHosts: up to three hosts, "*" when no rule names one. */
function ingressHosts(rules: Json[]): string {
  const hosts = rules.map((r) => str(r['host'])).filter((h) => h !== '');
  if (hosts.length === 0) return '*';
  const shown = hosts.slice(0, 3).join(',');
  return hosts.length > 3 ? `${shown} + ${hosts.length - 3} more...` : shown;
}

/** ingressLoadBalancerStatusStringer: IPs and hostnames of the load balancer. */
function ingressAddress(status: Json): string {
  return objs(obj(status['loadBalancer'])['ingress'])
    .map((i) => str(i['ip']) || str(i['hostname']))
    .filter((a) => a !== '')
    .join(',');
}

function printIngress(o: KubeObject, now: Date): Printed {
  const spec = obj(o['spec']);
  const className = str(spec['ingressClassName']);
  return {
    cells: [
      o.metadata.name ?? '',
      className || '<none>',
      ingressHosts(objs(spec['rules'])),
      ingressAddress(obj(o['status'])),
      list(spec['tls']).length > 0 ? '80, 443' : '80',
      age(o, now),
    ],
  };
}

/** The target of one HPA metric ("cpu: <unknown>/80%"), as formatHPAMetrics writes it. */
function hpaMetric(spec: Json, status: Json | undefined): string {
  const quantityText = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '<unknown>');
  const type = str(spec['type']);
  const valueOrAvg = (field: string): string => {
    const target = obj(obj(spec[field])['target']);
    const current = status ? obj(obj(status[field])['current']) : undefined;
    if (target['averageValue'] !== undefined) {
      return `${current?.['averageValue'] !== undefined ? quantityText(current['averageValue']) : '<unknown>'}/${quantityText(target['averageValue'])} (avg)`;
    }
    return `${current?.['value'] !== undefined ? quantityText(current['value']) : '<unknown>'}/${quantityText(target['value'])}`;
  };
  const resource = (field: string): string => {
    const source = obj(spec[field]);
    const target = obj(source['target']);
    const current = status ? obj(obj(status[field])['current']) : undefined;
    const name = str(source['name']);
    if (target['averageValue'] !== undefined) {
      return `${name}: ${current?.['averageValue'] !== undefined ? quantityText(current['averageValue']) : '<unknown>'}/${quantityText(target['averageValue'])}`;
    }
    const cur = typeof current?.['averageUtilization'] === 'number' ? `${current['averageUtilization']}%` : '<unknown>';
    const tgt = typeof target['averageUtilization'] === 'number' ? `${target['averageUtilization']}%` : '<auto>';
    return `${name}: ${cur}/${tgt}`;
  };
  switch (type) {
    case 'External':
      return valueOrAvg('external');
    case 'Object':
      return valueOrAvg('object');
    case 'Pods': {
      const current = status ? obj(obj(status['pods'])['current'])['averageValue'] : undefined;
      return `${current !== undefined ? quantityText(current) : '<unknown>'}/${quantityText(obj(obj(spec['pods'])['target'])['averageValue'])}`;
    }
    case 'Resource':
      return resource('resource');
    case 'ContainerResource':
      return resource('containerResource');
    default:
      return '<unknown type>';
  }
}

function hpaTargets(specs: Json[], statuses: Json[]): string {
  if (specs.length === 0) return '<none>';
  const shown = specs.slice(0, 2).map((s, i) => hpaMetric(s, statuses[i]));
  return specs.length > 2 ? `${shown.join(', ')} + ${specs.length - 2} more...` : shown.join(', ');
}

/** printResourceQuota: "resource: used/hard" from status, limits.* in their own column. */
function printResourceQuota(o: KubeObject, now: Date): Printed {
  const status = obj(o['status']);
  const hard = obj(status['hard']);
  const used = obj(status['used']);
  const requests: string[] = [];
  const limits: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const text = `${name}: ${str(used[name]) || '0'}/${str(hard[name])}`;
    const pieces = name.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(text);
  }
  return { cells: [o.metadata.name ?? '', age(o, now), requests.join(', '), limits.join(', ')] };
}

function printPersistentVolume(o: KubeObject, now: Date): Printed {
  const spec = obj(o['spec']);
  const status = obj(o['status']);
  const claim = obj(spec['claimRef']);
  const claimText = str(claim['name']) ? `${str(claim['namespace'])}/${str(claim['name'])}` : '';
  const phase = o.metadata.deletionTimestamp !== undefined ? 'Terminating' : str(status['phase']);
  return {
    cells: [
      o.metadata.name ?? '',
      str(obj(spec['capacity'])['storage']) || '0',
      accessModes(spec['accessModes']),
      str(spec['persistentVolumeReclaimPolicy']),
      phase,
      claimText,
      str(spec['storageClassName']),
      str(spec['volumeAttributesClassName']) || '<unset>',
      str(status['reason']),
      age(o, now),
      str(spec['volumeMode']) || '<unset>',
    ],
  };
}

function printPersistentVolumeClaim(o: KubeObject, now: Date): Printed {
  const spec = obj(o['spec']);
  const status = obj(o['status']);
  const bound = str(spec['volumeName']) !== '';
  const storageClass = str(spec['storageClassName']) || str(obj(o.metadata.annotations)['volume.beta.kubernetes.io/storage-class']);
  return {
    cells: [
      o.metadata.name ?? '',
      o.metadata.deletionTimestamp !== undefined ? 'Terminating' : str(status['phase']),
      str(spec['volumeName']),
      bound ? str(obj(status['capacity'])['storage']) : '',
      bound ? accessModes(status['accessModes']) : '',
      storageClass,
      str(spec['volumeAttributesClassName']) || '<unset>',
      age(o, now),
      str(spec['volumeMode']) || '<unset>',
    ],
  };
}

const WEBHOOK_COLUMNS = [NAME, col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration'), AGE];
const printWebhooks = (o: KubeObject, now: Date): Printed => ({ cells: [o.metadata.name ?? '', list(o['webhooks']).length, age(o, now)] });

const EXTRA_PRINTERS: Readonly<Record<string, Printer>> = {
  // roles, clusterroles and limitranges have no printer in kube: the default Name / Created At.
  roles: DEFAULT_TABLE_PRINTER(),
  clusterroles: DEFAULT_TABLE_PRINTER(),
  limitranges: DEFAULT_TABLE_PRINTER(),
  rolebindings: { columns: bindingColumns('roleBinding'), print: printBinding },
  clusterrolebindings: { columns: bindingColumns('clusterRoleBinding'), print: printBinding },
  poddisruptionbudgets: {
    columns: [
      NAME,
      col('Min Available', 'string', 'The minimum number of pods that must be available simultaneously'),
      col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable simultaneously'),
      col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time'),
      AGE,
    ],
    print: (o, now) => {
      const spec = obj(o['spec']);
      return {
        cells: [o.metadata.name ?? '', intOrStringCell(spec['minAvailable']), intOrStringCell(spec['maxUnavailable']), int(obj(o['status'])['disruptionsAllowed']), age(o, now)],
      };
    },
  },
  cronjobs: {
    columns: [
      NAME,
      col('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      col('Timezone', 'string', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
      col('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
      col('Active', 'integer', 'A list of pointers to currently running jobs.'),
      col('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    print: (o, now) => {
      const spec = obj(o['spec']);
      const status = obj(o['status']);
      const jobSpec = obj(obj(spec['jobTemplate'])['spec']);
      const [names, images] = containerCells(obj(jobSpec['template'])['spec']);
      const suspend = typeof spec['suspend'] === 'boolean' ? (spec['suspend'] ? 'True' : 'False') : '<unset>';
      const last = status['lastScheduleTime'] !== undefined ? since(status['lastScheduleTime'], now) : '<none>';
      return {
        cells: [
          o.metadata.name ?? '',
          str(spec['schedule']),
          str(spec['timeZone']) || '<none>',
          suspend,
          list(status['active']).length,
          last,
          age(o, now),
          names,
          images,
          formatLabelSelector(jobSpec['selector']),
        ],
      };
    },
  },
  networkpolicies: {
    columns: [NAME, col('Pod-Selector', 'string', 'podSelector selects the pods to which this NetworkPolicy object applies.'), AGE],
    print: (o, now) => ({ cells: [o.metadata.name ?? '', formatLabelSelector(obj(o['spec'])['podSelector'] ?? {}), age(o, now)] }),
  },
  ingresses: {
    columns: [
      NAME,
      col('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
      col('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
      col('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
      col('Ports', 'string', 'Ports of TLS configurations that open'),
      AGE,
    ],
    print: printIngress,
  },
  ingressclasses: {
    columns: [
      NAME,
      col('Controller', 'string', 'Controller that is responsible for handling this class'),
      col('Parameters', 'string', 'A reference to a resource with additional parameters'),
      AGE,
    ],
    print: (o, now) => {
      const spec = obj(o['spec']);
      const p = isObj(spec['parameters']) ? spec['parameters'] : undefined;
      const params = p ? `${str(p['kind'])}${typeof p['apiGroup'] === 'string' ? `.${p['apiGroup']}` : ''}/${str(p['name'])}` : '<none>';
      return { cells: [o.metadata.name ?? '', str(spec['controller']), params, age(o, now)] };
    },
  },
  storageclasses: {
    columns: [
      NAME,
      col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
      col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
      col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
      col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
      AGE,
    ],
    print: (o, now) => {
      const annotations = obj(o.metadata.annotations);
      const isDefault =
        annotations['storageclass.kubernetes.io/is-default-class'] === 'true' || annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
      return {
        cells: [
          `${o.metadata.name ?? ''}${isDefault ? ' (default)' : ''}`,
          str(o['provisioner']),
          str(o['reclaimPolicy']) || 'Delete',
          str(o['volumeBindingMode']) || 'Immediate',
          o['allowVolumeExpansion'] === true,
          age(o, now),
        ],
      };
    },
  },
  persistentvolumes: {
    columns: [
      NAME,
      col('Capacity', 'string', "capacity is the description of the persistent volume's resources and capacity."),
      col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
      col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
      col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
      col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
      col('StorageClass', 'string', 'StorageClass of the pv'),
      col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
      col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
      AGE,
      col('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', wide),
    ],
    print: printPersistentVolume,
  },
  persistentvolumeclaims: {
    columns: [
      NAME,
      col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
      col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
      col('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
      col('StorageClass', 'string', 'StorageClass of the pvc'),
      col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
      AGE,
      col('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', wide),
    ],
    print: printPersistentVolumeClaim,
  },
  resourcequotas: {
    columns: [
      NAME,
      AGE,
      col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
      col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ],
    print: printResourceQuota,
  },
  validatingwebhookconfigurations: { columns: WEBHOOK_COLUMNS, print: printWebhooks },
  mutatingwebhookconfigurations: { columns: WEBHOOK_COLUMNS, print: printWebhooks },
  horizontalpodautoscalers: {
    columns: [
      NAME,
      col('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
      col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count.'),
      col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
      col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.'),
      col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
      AGE,
    ],
    print: (o, now) => {
      const spec = obj(o['spec']);
      const status = obj(o['status']);
      const target = obj(spec['scaleTargetRef']);
      return {
        cells: [
          o.metadata.name ?? '',
          `${str(target['kind'])}/${str(target['name'])}`,
          hpaTargets(objs(spec['metrics']), objs(status['currentMetrics'])),
          typeof spec['minReplicas'] === 'number' ? String(spec['minReplicas']) : '<unset>',
          int(spec['maxReplicas']),
          int(status['currentReplicas']),
          age(o, now),
        ],
      };
    },
  },
};

const PRINTERS: Readonly<Record<string, Printer>> = {
  pods: {
    columns: [
      NAME,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'string', 'IP address allocated to the pod.', wide),
      col('Node', 'string', 'The node the pod is bound to.', wide),
      col('Nominated Node', 'string', 'The node the scheduler nominated for this pod while it preempts others.', wide),
      col('Readiness Gates', 'string', 'Readiness gates: conditions that must be true for the pod to be ready.', wide),
    ],
    print: printPod,
  },
  nodes: {
    columns: [
      NAME,
      col('Status', 'string', 'The status of the node'),
      col('Roles', 'string', 'The roles of the node'),
      AGE,
      col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node.', wide),
      col('External-IP', 'string', 'List of addresses reachable to the node.', wide),
      col('OS-Image', 'string', 'OS Image reported by the node.', wide),
      col('Kernel-Version', 'string', 'Kernel Version reported by the node.', wide),
      col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node.', wide),
    ],
    print: printNode,
  },
  namespaces: {
    columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
    print: (o, now) => ({ cells: [o.metadata.name ?? '', str(obj(o['status'])['phase']), age(o, now)] }),
  },
  events: {
    columns: [
      col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
      col('Type', 'string', 'Type of this event (Normal, Warning).'),
      col('Reason', 'string', 'A short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
      col('Object', 'string', 'The object that this event is about.'),
      col('Subobject', 'string', 'The field of the object the event is about, e.g. a container.', wide),
      col('Source', 'string', 'The component reporting this event.', wide),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'string', 'The time at which the event was first recorded.', wide),
      col('Count', 'string', 'The number of times this event has occurred.', wide),
      col('Name', 'string', 'Name must be unique within a namespace. Cannot be updated.', { priority: 1, format: 'name' }),
    ],
    print: printEvent,
  },
  leases: {
    columns: [NAME, col('Holder', 'string', 'The identity of the holder of the current lease.'), AGE],
    print: (o, now) => ({ cells: [o.metadata.name ?? '', str(obj(o['spec'])['holderIdentity']), age(o, now)] }),
  },
  configmaps: {
    columns: [NAME, col('Data', 'string', 'Number of data and binaryData keys.'), AGE],
    print: (o, now) => ({ cells: [o.metadata.name ?? '', count(o['data']) + count(o['binaryData']), age(o, now)] }),
  },
  secrets: {
    columns: [NAME, col('Type', 'string', 'Used to facilitate programmatic handling of secret data.'), col('Data', 'string', 'Number of data keys.'), AGE],
    print: (o, now) => ({ cells: [o.metadata.name ?? '', str(o['type']), count(o['data']), age(o, now)] }),
  },
  serviceaccounts: {
    columns: [NAME, col('Secrets', 'string', 'Secrets allowed to be used by pods running using this ServiceAccount.'), AGE],
    print: (o, now) => ({ cells: [o.metadata.name ?? '', list(o['secrets']).length, age(o, now)] }),
  },
  priorityclasses: {
    columns: [
      NAME,
      col('Value', 'integer', 'The value of this priority class.'),
      col('Global-Default', 'boolean', 'Whether this priority class is the default for pods without a priority class.'),
      AGE,
      col('PreemptionPolicy', 'string', 'The policy for preempting pods with lower priority.'),
    ],
    print: (o, now) => ({ cells: [o.metadata.name ?? '', int(o['value']), o['globalDefault'] === true, age(o, now), str(o['preemptionPolicy'])] }),
  },
  deployments: {
    columns: [
      NAME,
      col('Ready', 'string', 'Number of the pod with ready state'),
      col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    print: (o, now) => {
      const spec = obj(o['spec']);
      const status = obj(o['status']);
      const [names, images] = containerCells(obj(spec['template'])['spec']);
      return {
        cells: [
          o.metadata.name ?? '',
          `${int(status['readyReplicas'])}/${int(spec['replicas'])}`,
          int(status['updatedReplicas']),
          int(status['availableReplicas']),
          age(o, now),
          names,
          images,
          selectorString(spec['selector']) ?? '<invalid>',
        ],
      };
    },
  },
  replicasets: {
    columns: [
      NAME,
      col('Desired', 'integer', 'Number of desired pods.'),
      col('Current', 'integer', 'The most recently observed number of replicas.'),
      col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    print: (o, now) => {
      const spec = obj(o['spec']);
      const status = obj(o['status']);
      const [names, images] = containerCells(obj(spec['template'])['spec']);
      return {
        cells: [o.metadata.name ?? '', int(spec['replicas']), int(status['replicas']), int(status['readyReplicas']), age(o, now), names, images, formatLabelSelector(spec['selector'])],
      };
    },
  },
  statefulsets: {
    columns: [NAME, col('Ready', 'string', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
    print: (o, now) => {
      const spec = obj(o['spec']);
      const [names, images] = containerCells(obj(spec['template'])['spec']);
      return { cells: [o.metadata.name ?? '', `${int(obj(o['status'])['readyReplicas'])}/${int(spec['replicas'])}`, age(o, now), names, images] };
    },
  },
  daemonsets: {
    columns: [
      NAME,
      col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
      col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
      col('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
      col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod.'),
      col('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
      col('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    print: (o, now) => {
      const spec = obj(o['spec']);
      const status = obj(o['status']);
      const podSpec = obj(spec['template'])['spec'];
      const [names, images] = containerCells(podSpec);
      return {
        cells: [
          o.metadata.name ?? '',
          int(status['desiredNumberScheduled']),
          int(status['currentNumberScheduled']),
          int(status['numberReady']),
          int(status['updatedNumberScheduled']),
          int(status['numberAvailable']),
          formatLabels(obj(podSpec)['nodeSelector']),
          age(o, now),
          names,
          images,
          formatLabelSelector(spec['selector']),
        ],
      };
    },
  },
  jobs: {
    columns: [
      NAME,
      col('Status', 'string', 'Status of the job.'),
      col('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
      col('Duration', 'string', 'Time required to complete the job.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    print: printJob,
  },
  services: {
    columns: [
      NAME,
      col('Type', 'string', 'How the Service is exposed.'),
      col('Cluster-IP', 'string', 'The IP address of the service.'),
      col('External-IP', 'string', 'IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      AGE,
      col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', wide),
    ],
    print: printService,
  },
  ...EXTRA_PRINTERS,
};

/** rest.NewDefaultTableConvertor: what the apiserver uses for types without a printer (roles, CRDs, ...). */
const DEFAULT_PRINTER: Printer = DEFAULT_TABLE_PRINTER();

/** A function (hoisted) so the printer tables above can use it before this point. */
function DEFAULT_TABLE_PRINTER(): Printer {
  return {
    columns: [NAME, col('Created At', 'date', AGE.description)],
    print: (o) => {
      const t = timeOf(o.metadata.creationTimestamp) ?? Date.parse('0001-01-01T00:00:00Z');
      return { cells: [o.metadata.name ?? '', new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z')] };
    },
  };
}

// ---------------------------------------------------------------------------------------
// Custom resources: CRD additionalPrinterColumns with simple JSONPath

type PathStep =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; index: number }
  | { kind: 'filter'; path: string[]; op?: string; literal?: unknown };

/** Parses the JSONPath subset CRD columns use: `.a.b`, `[0]`, `[*]`, `['k.e.y']`, `[?(@.type=="Ready")]`. */
function parseJsonPath(expr: string): PathStep[] | undefined {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  if (s.startsWith('$')) s = s.slice(1);
  const steps: PathStep[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      if (s[i + 1] === '.') return undefined; // recursive descent is beyond "simple JSONPath"
      let j = i + 1;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      const name = s.slice(i + 1, j);
      if (name === '*') steps.push({ kind: 'wildcard' });
      else if (name) steps.push({ kind: 'field', name });
      i = j;
    } else if (c === '[') {
      const end = findClosingBracket(s, i);
      if (end < 0) return undefined;
      const inner = s.slice(i + 1, end).trim();
      const step = parseBracket(inner);
      if (!step) return undefined;
      steps.push(step);
      i = end + 1;
    } else {
      return undefined;
    }
  }
  return steps;
}

function findClosingBracket(s: string, open: number): number {
  let quote: string | undefined;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ']') {
      return i;
    }
  }
  return -1;
}

function parseBracket(inner: string): PathStep | undefined {
  if (inner === '*') return { kind: 'wildcard' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  if (quoted) return { kind: 'field', name: quoted[2]! };
  const filter = /^\?\(\s*@((?:\.[^.\s=!<>]+)+)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)$/.exec(inner);
  if (!filter) return undefined;
  const path = filter[1]!.slice(1).split('.');
  if (filter[2] === undefined) return { kind: 'filter', path };
  const raw = filter[3]!;
  const str = /^(['"])(.*)\1$/.exec(raw);
  let literal: unknown;
  if (str) literal = str[2];
  else if (raw === 'true' || raw === 'false') literal = raw === 'true';
  else if (!Number.isNaN(Number(raw))) literal = Number(raw);
  else return undefined;
  return { kind: 'filter', path, op: filter[2], literal };
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObj(v)) return Object.values(v);
  return [];
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default: {
      if (typeof a !== 'number' || typeof b !== 'number') return false;
      return op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b;
    }
  }
}

function evaluate(steps: PathStep[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'field':
          if (isObj(v) && step.name in v) next.push(v[step.name]);
          break;
        case 'wildcard':
          next.push(...children(v));
          break;
        case 'index':
          if (Array.isArray(v)) {
            const at = step.index < 0 ? v.length + step.index : step.index;
            if (at >= 0 && at < v.length) next.push(v[at]);
          }
          break;
        case 'filter':
          for (const item of children(v)) {
            let value: unknown = item;
            for (const p of step.path) value = isObj(value) ? value[p] : undefined;
            if (step.op === undefined ? value !== undefined : compare(value, step.op, step.literal)) next.push(item);
          }
          break;
      }
    }
    current = next;
  }
  return current.filter((v) => v !== undefined);
}

function jsonText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The apiextensions table convertor's cell for a typed column (cellForJSONValue). */
function customCell(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'string':
      return jsonText(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      const t = Date.parse(value);
      return Number.isNaN(t) ? '<invalid>' : humanDuration(now.getTime() - t);
    }
    default:
      return null;
  }
}

function customPrinter(columns: PrinterColumn[] | undefined): Printer {
  const defs: PrinterColumn[] = columns && columns.length ? columns : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: AGE.description }];
  const compiled = defs.map((c) => ({ def: c, steps: parseJsonPath(c.jsonPath) }));
  return {
    columns: [
      NAME,
      ...defs.map((c) =>
        col(c.name, c.type, c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`, {
          priority: c.priority ?? 0,
          format: c.format ?? '',
        }),
      ),
    ],
    print: (o, now) => ({
      cells: [
        o.metadata.name ?? '',
        ...compiled.map(({ def, steps }) => {
          const results = steps ? evaluate(steps, o) : [];
          return customCell(def.type, results[0], now);
        }),
      ],
    }),
  };
}

// ---------------------------------------------------------------------------------------

function rowObject(o: KubeObject, include: TableOptions['includeObject']): unknown {
  if (include === 'Object') return o;
  return { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: o.metadata };
}

/**
 * Renders objects of one resource (plural, e.g. `pods`; a `group/` prefix is ignored) as
 * the Table kube-apiserver returns. `opts.crd` marks a custom resource.
 */
export function toTable(resource: string, objects: readonly KubeObject[], opts: TableOptions): Table {
  const plural = resource.slice(resource.lastIndexOf('/') + 1);
  const printer = opts.crd ? customPrinter(opts.crd.additionalPrinterColumns) : (PRINTERS[plural] ?? DEFAULT_PRINTER);
  const rows = objects.map((o): TableRow => {
    const printed = printer.print(o, opts.now);
    const row: TableRow = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions;
    if (opts.includeObject !== 'None') row.object = rowObject(o, opts.includeObject);
    return row;
  });
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata, columnDefinitions: printer.columns, rows };
}
