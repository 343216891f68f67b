/**
 * The virtual node as a Node object: labels, taint, addresses, kubelet endpoint, node info,
 * capacity from the pool, conditions. Pure; the node controller decides when to write it.
 */
import { formatBytes } from '../kube/index.js';
import {
  BATCH_CPU,
  BATCH_MEMORY,
  LARGEST_SLOT_ANNOTATION,
  MEMBER_CLUSTER_LABEL,
  NODE_ROLE_LABEL,
  TIDEPOOL_VIRTUAL_NODE_LABEL,
  VIRTUAL_NODE_ROLE,
  VIRTUAL_NODE_TAINT,
  VIRTUAL_NODE_TYPE_LABEL,
  VIRTUAL_NODE_TYPE_VALUE,
} from '../api/index.js';
import type { PoolCapacity } from '../federation/index.js';

export interface NodeIdentity {
  name: string;
  /** The address the host's apiserver dials for logs/exec (InternalIP). */
  address: string;
  kubeletPort: number;
  /** Set on a per-cluster virtual node: the one member it stands for. */
  memberCluster?: string;
  version: string;
}

type Obj = Record<string, unknown>;

const MIB = 1024 * 1024;

/** The figures a Node advertises (strings as the API wants them), from the pool. */
export function capacityOf(cap: PoolCapacity): Record<string, string> {
  return {
    cpu: milli(cap.cpu),
    memory: kibi(cap.memory),
    pods: String(cap.pods),
    'ephemeral-storage': kibi(cap.ephemeralStorage),
    [BATCH_CPU]: String(Math.max(0, Math.floor(cap.batchCpu))),
    [BATCH_MEMORY]: String(Math.max(0, Math.floor(cap.batchMemory))),
  };
}

/** Bytes in Ki, as a kubelet reports memory and storage (`kubectl describe node` stays readable). */
function kibi(bytes: number): string {
  return `${Math.max(0, Math.floor(bytes / 1024))}Ki`;
}

function milli(m: number): string {
  const v = Math.max(0, Math.floor(m));
  return v % 1000 === 0 ? String(v / 1000) : `${v}m`;
}

/** The largest-slot annotation: the biggest pods that fit on one member node now, as JSON. */
export function largestSlotText(cap: PoolCapacity): string {
  // Memory rounded down to whole MiB: a slot is a bound, and "40Gi" reads better than its bytes.
  return JSON.stringify(cap.largestSlots.map((s) => ({ cpu: milli(s.cpu), memory: formatBytes(Math.floor(s.memory / MIB) * MIB), cluster: s.cluster, node: s.node })));
}

/** Ready: True while some member is ready; else False, with each member's reason. */
export function readyCondition(cap: PoolCapacity): { status: 'True' | 'False'; reason: string; message: string } {
  const ready = cap.members.filter((m) => m.ready);
  if (cap.members.length === 0) return { status: 'False', reason: 'NoMemberClusters', message: 'no member clusters are configured' };
  if (ready.length === 0) {
    const why = cap.members.map((m) => `${m.name}: ${m.message ?? m.reason ?? 'not ready'}`).join('; ');
    return { status: 'False', reason: 'NoMemberClusterReady', message: `no member cluster is ready (${why})` };
  }
  return { status: 'True', reason: 'KubeletReady', message: `${ready.length}/${cap.members.length} member clusters ready (${ready.map((m) => m.name).join(', ')})` };
}

function conditions(cap: PoolCapacity, now: string, previous: Obj[] | undefined): Obj[] {
  const ready = readyCondition(cap);
  const base: Array<{ type: string; status: string; reason: string; message: string }> = [
    { type: 'Ready', ...ready },
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'the pool has no memory pressure' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'the pool has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'the pool has sufficient PIDs' },
    { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated', message: 'mirrors use their member cluster\'s network' },
  ];
  return base.map((c) => {
    const old = previous?.find((p) => p['type'] === c.type);
    const transition = old && old['status'] === c.status && typeof old['lastTransitionTime'] === 'string' ? old['lastTransitionTime'] : now;
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: transition };
  });
}

/** The whole Node object to create. */
export function nodeObject(id: NodeIdentity, cap: PoolCapacity, now: Date): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: id.name, labels: nodeLabels(id), annotations: { [LARGEST_SLOT_ANNOTATION]: largestSlotText(cap) } },
    spec: { taints: [{ ...VIRTUAL_NODE_TAINT }] },
    status: nodeStatus(id, cap, now, undefined),
  };
}

export function nodeLabels(id: Pick<NodeIdentity, 'name' | 'memberCluster'>): Record<string, string> {
  return {
    [VIRTUAL_NODE_TYPE_LABEL]: VIRTUAL_NODE_TYPE_VALUE,
    [NODE_ROLE_LABEL]: VIRTUAL_NODE_ROLE,
    [TIDEPOOL_VIRTUAL_NODE_LABEL]: 'true',
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    ...(id.memberCluster ? { [MEMBER_CLUSTER_LABEL]: id.memberCluster } : {}),
  };
}

export function nodeStatus(id: NodeIdentity, cap: PoolCapacity, now: Date, previousConditions: Obj[] | undefined): Obj {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const figures = capacityOf(cap);
  return {
    capacity: figures,
    allocatable: figures,
    conditions: conditions(cap, at, previousConditions),
    addresses: [
      { type: 'InternalIP', address: id.address },
      { type: 'Hostname', address: id.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort } },
    nodeInfo: {
      machineID: id.name,
      systemUUID: id.name,
      bootID: '',
      kernelVersion: '',
      osImage: 'Tidepool virtual node',
      containerRuntimeVersion: 'tidepool://mirror',
      kubeletVersion: id.version,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

/**
 * True when an advertised figure moved by more than `fraction` of its old value (or from/to 0),
 * the Ready condition flipped, or the kubelet port changed: worth a write before the periodic one.
 */
export function figuresMoved(prev: Record<string, string> | undefined, next: Record<string, string>, fraction: number): boolean {
  if (!prev) return true;
  for (const [k, v] of Object.entries(next)) {
    const a = Number.parseFloat(prev[k] ?? 'NaN');
    const b = Number.parseFloat(v);
    const scale = (s: string | undefined): number => (s?.endsWith('m') ? 1 : k === 'cpu' ? 1000 : 1);
    const av = a * scale(prev[k]);
    const bv = b * scale(v);
    if (!Number.isFinite(av)) return true;
    if ((av === 0) !== (bv === 0)) return true;
    if (Math.abs(bv - av) > Math.abs(av) * fraction) return true;
  }
  return false;
}
