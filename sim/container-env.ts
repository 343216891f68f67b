// What a simulated container sees when the sim's shell runs in it: its environment and its
// mounted ConfigMap/Secret files, resolved from the store at exec time the way the kubelet
// resolves them at container start (env from literal values, valueFrom refs and envFrom,
// `$(VAR)` references, HOSTNAME and the kubernetes service variables; configMap, secret and
// projected volumes with their items, and subPath mounts). A reference that cannot be
// resolved (missing object or key) is left out: a real kubelet would not have started the
// container, the sim already has.

import type { ClusterApi } from './api.js';
import type { ContainerEnvironment } from './container-shell.js';
import { normalizePath } from './container-shell.js';
import { isRecord, type KubeObject } from './object.js';

type Obj = Record<string, unknown>;

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The kubernetes service's address when the cluster has no `default/kubernetes` Service. */
const DEFAULT_SERVICE_HOST = '10.96.0.1';

function rec(v: unknown): Obj {
  return isRecord(v) ? v : {};
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A ConfigMap's or Secret's keys as bytes (Secret data and binaryData are base64), or undefined when it does not exist. */
function sourceData(api: ClusterApi, kind: 'configmaps' | 'secrets', namespace: string, name: string | undefined): Map<string, Buffer> | undefined {
  if (!name) return undefined;
  const rt = api.registry.lookup('', 'v1', kind);
  const stored = rt ? api.tryGet(rt, namespace, name) : undefined;
  if (!stored) return undefined;
  const o = api.parse(stored);
  const out = new Map<string, Buffer>();
  if (kind === 'secrets') {
    for (const [k, v] of Object.entries(rec(o['data']))) if (typeof v === 'string') out.set(k, Buffer.from(v, 'base64'));
    for (const [k, v] of Object.entries(rec(o['stringData']))) if (typeof v === 'string') out.set(k, Buffer.from(v));
  } else {
    for (const [k, v] of Object.entries(rec(o['data']))) if (typeof v === 'string') out.set(k, Buffer.from(v));
    for (const [k, v] of Object.entries(rec(o['binaryData']))) if (typeof v === 'string') out.set(k, Buffer.from(v, 'base64'));
  }
  return out;
}

/** The fields of a pod `fieldRef` can name (the downward API's env subset). */
function fieldValue(pod: KubeObject, fieldPath: string): string | undefined {
  const meta = pod.metadata;
  const spec = rec(pod['spec']);
  const status = rec(pod['status']);
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) return rec(meta[m[1]!])[m[2]!] as string | undefined;
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name;
    case 'metadata.namespace':
      return meta.namespace;
    case 'metadata.uid':
      return meta.uid;
    case 'spec.nodeName':
      return str(spec['nodeName']);
    case 'spec.serviceAccountName':
      return str(spec['serviceAccountName']) ?? 'default';
    case 'status.podIP':
      return str(status['podIP']);
    case 'status.hostIP':
      return str(status['hostIP']);
    default:
      return undefined;
  }
}

/** Kubelet's `$(VAR)` expansion in env values: earlier variables are substituted, `$$` escapes. */
function expandRefs(value: string, defined: ReadonlyMap<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (whole === '$$') return '$';
    const v = defined.get(name!);
    return v ?? whole;
  });
}

function serviceVars(api: ClusterApi): Array<[string, string]> {
  const rt = api.registry.lookup('', 'v1', 'services');
  const svc = rt ? api.tryGet(rt, 'default', 'kubernetes') : undefined;
  let host = DEFAULT_SERVICE_HOST;
  let port = 443;
  if (svc) {
    const spec = rec(api.parse(svc)['spec']);
    host = str(spec['clusterIP']) ?? host;
    const p = list(spec['ports'])[0];
    if (p && typeof p['port'] === 'number') port = p['port'];
  }
  return [
    ['KUBERNETES_SERVICE_HOST', host],
    ['KUBERNETES_SERVICE_PORT', String(port)],
    ['KUBERNETES_SERVICE_PORT_HTTPS', String(port)],
    ['KUBERNETES_PORT', `tcp://${host}:${port}`],
    [`KUBERNETES_PORT_${port}_TCP`, `tcp://${host}:${port}`],
    [`KUBERNETES_PORT_${port}_TCP_PROTO`, 'tcp'],
    [`KUBERNETES_PORT_${port}_TCP_PORT`, String(port)],
    [`KUBERNETES_PORT_${port}_TCP_ADDR`, host],
  ];
}

/** The container spec named `name` among the pod's containers, init and ephemeral containers. */
export function findContainer(pod: KubeObject, name: string): Obj | undefined {
  const spec = rec(pod['spec']);
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const c = list(spec[key]).find((x) => x['name'] === name);
    if (c) return c;
  }
  return undefined;
}

function containerEnv(api: ClusterApi, pod: KubeObject, container: Obj, hostname: string): Array<[string, string]> {
  const ns = pod.metadata.namespace ?? 'default';
  const vars = new Map<string, string>([
    ['PATH', PATH],
    ['HOSTNAME', hostname],
  ]);
  for (const from of list(container['envFrom'])) {
    const prefix = str(from['prefix']) ?? '';
    const cm = rec(from['configMapRef']);
    const secret = rec(from['secretRef']);
    const data = from['configMapRef'] ? sourceData(api, 'configmaps', ns, str(cm['name'])) : from['secretRef'] ? sourceData(api, 'secrets', ns, str(secret['name'])) : undefined;
    if (!data) continue;
    for (const k of [...data.keys()].sort()) vars.set(prefix + k, data.get(k)!.toString('utf8'));
  }
  for (const e of list(container['env'])) {
    const name = str(e['name']);
    if (!name) continue;
    if (typeof e['value'] === 'string') {
      vars.set(name, expandRefs(e['value'], vars));
      continue;
    }
    const from = rec(e['valueFrom']);
    let value: string | undefined;
    if (isRecord(from['configMapKeyRef'])) {
      const ref = from['configMapKeyRef'];
      value = sourceData(api, 'configmaps', ns, str(ref['name']))?.get(String(ref['key']))?.toString('utf8');
    } else if (isRecord(from['secretKeyRef'])) {
      const ref = from['secretKeyRef'];
      value = sourceData(api, 'secrets', ns, str(ref['name']))?.get(String(ref['key']))?.toString('utf8');
    } else if (isRecord(from['fieldRef'])) {
      value = fieldValue(pod, String(from['fieldRef']['fieldPath'] ?? ''));
    } else if (e['value'] === undefined && Object.keys(from).length === 0) {
      value = '';
    }
    if (value !== undefined) vars.set(name, value);
  }
  for (const [k, v] of serviceVars(api)) if (!vars.has(k)) vars.set(k, v);
  if (!vars.has('HOME')) vars.set('HOME', '/root');
  return [...vars];
}

/** The files of one volume, by path relative to its mount point. */
function volumeFiles(api: ClusterApi, ns: string, volume: Obj): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const addSource = (data: Map<string, Buffer> | undefined, items: Obj[]): void => {
    if (!data) return;
    if (items.length === 0) {
      for (const [k, v] of data) out.set(k, v);
      return;
    }
    for (const item of items) {
      const v = data.get(String(item['key']));
      if (v !== undefined) out.set(String(item['path'] ?? item['key']), v);
    }
  };
  if (isRecord(volume['configMap'])) addSource(sourceData(api, 'configmaps', ns, str(volume['configMap']['name'])), list(volume['configMap']['items']));
  if (isRecord(volume['secret'])) addSource(sourceData(api, 'secrets', ns, str(volume['secret']['secretName'])), list(volume['secret']['items']));
  if (isRecord(volume['projected'])) {
    for (const src of list(volume['projected']['sources'])) {
      if (isRecord(src['configMap'])) addSource(sourceData(api, 'configmaps', ns, str(src['configMap']['name'])), list(src['configMap']['items']));
      if (isRecord(src['secret'])) addSource(sourceData(api, 'secrets', ns, str(src['secret']['name'])), list(src['secret']['items']));
    }
  }
  return out;
}

function containerFiles(api: ClusterApi, pod: KubeObject, container: Obj): Map<string, Buffer> {
  const ns = pod.metadata.namespace ?? 'default';
  const volumes = new Map(list(rec(pod['spec'])['volumes']).map((v) => [String(v['name']), v]));
  const files = new Map<string, Buffer>();
  for (const mount of list(container['volumeMounts'])) {
    const volume = volumes.get(String(mount['name']));
    const mountPath = str(mount['mountPath']);
    if (!volume || !mountPath) continue;
    const inVolume = volumeFiles(api, ns, volume);
    const subPath = str(mount['subPath']);
    if (subPath) {
      // A subPath naming one key mounts that file at mountPath; one naming a directory of items mounts what is under it.
      const rel = normalizePath(subPath).slice(1);
      const file = inVolume.get(rel);
      if (file !== undefined) files.set(normalizePath(mountPath), file);
      else for (const [p, v] of inVolume) if (p.startsWith(`${rel}/`)) files.set(normalizePath(`${mountPath}/${p.slice(rel.length + 1)}`), v);
      continue;
    }
    for (const [p, v] of inVolume) files.set(normalizePath(`${mountPath}/${p}`), v);
  }
  return files;
}

/** The environment and files the sim's shell runs with in one container of a pod. */
export function containerEnvironment(api: ClusterApi, pod: KubeObject, containerName: string): ContainerEnvironment {
  const container = findContainer(pod, containerName) ?? {};
  const spec = rec(pod['spec']);
  const hostname = str(spec['hostname']) ?? pod.metadata.name ?? '';
  return { hostname, env: containerEnv(api, pod, container, hostname), files: containerFiles(api, pod, container) };
}
