// Project a Kubernetes Pod object into the agent's PodInfo.
//
// TODO(kube/resources.ts): qosClass, tidepoolQos and the effective-request math
// below are local stand-ins; switch `resolvePodQos` and `parseQuantity` to
// kube/resources.ts (`tidepoolQos(pod)`, qosClass) and kube/quantity.ts once they land.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { KubeQosClass } from './cgroup-layout.js';
import { BATCH_CPU, BATCH_MEMORY, type ContainerInfo, type PodInfo, type PodPhase, type TidepoolQos } from './pods.js';

const SUFFIX: Record<string, [bigint, bigint]> = {
  // suffix -> [numerator, denominator] multiplier
  '': [1n, 1n],
  n: [1n, 1_000_000_000n],
  u: [1n, 1_000_000n],
  m: [1n, 1000n],
  k: [1000n, 1n],
  M: [1_000_000n, 1n],
  G: [1_000_000_000n, 1n],
  T: [1_000_000_000_000n, 1n],
  P: [1_000_000_000_000_000n, 1n],
  E: [1_000_000_000_000_000_000n, 1n],
  Ki: [1n << 10n, 1n],
  Mi: [1n << 20n, 1n],
  Gi: [1n << 30n, 1n],
  Ti: [1n << 40n, 1n],
  Pi: [1n << 50n, 1n],
  Ei: [1n << 60n, 1n],
};

/**
 * Parse a resource quantity and return ceil(value × scale) as a number
 * (scale 1000 gives millicores, 1 gives bytes). Throws on malformed input.
 */
export function parseQuantity(q: string, scale: 1 | 1000): number {
  const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/.exec(q.trim());
  if (m === null) throw new Error(`invalid quantity "${q}"`);
  if (m[1] === '-') throw new Error(`invalid quantity "${q}": negative`);
  const [intPart, fracPart = ''] = m[2]!.split('.');
  let num = BigInt(`${intPart === '' ? '0' : intPart}${fracPart}`);
  let den = 10n ** BigInt(fracPart.length);
  if (m[3] !== undefined) {
    const exp = Number(m[3].slice(1));
    if (Math.abs(exp) > 30) throw new Error(`invalid quantity "${q}": exponent out of range`);
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else {
    const [mul, div] = SUFFIX[m[4] ?? '']!;
    num *= mul;
    den *= div;
  }
  num *= BigInt(scale);
  const result = (num + den - 1n) / den;
  if (result > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`invalid quantity "${q}": too large`);
  return Number(result);
}

type ResourceMap = Record<string, string> | undefined;

function amount(map: ResourceMap, name: string, scale: 1 | 1000): number | undefined {
  const v = map?.[name];
  return v === undefined ? undefined : parseQuantity(String(v), scale);
}

function containerResources(c: V1Container): { req: ResourceMap; lim: ResourceMap } {
  const req = c.resources?.requests as ResourceMap;
  const lim = c.resources?.limits as ResourceMap;
  return { req, lim };
}

/** kubelet's QoS class rule: only cpu and memory count; requests default to limits. */
export function kubeQosClass(pod: V1Pod): KubeQosClass {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const { req, lim } = containerResources(c);
    for (const r of ['cpu', 'memory']) {
      const l = lim?.[r];
      const q = req?.[r] ?? l;
      if (q !== undefined || l !== undefined) any = true;
      if (l === undefined || q === undefined || parseQuantity(String(q), 1000) !== parseQuantity(String(l), 1000)) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const QOS_LABEL = 'tidepool.dev/qos';

/** Local stand-in for kube/resources.ts tidepoolQos(pod). */
export function resolvePodQos(pod: V1Pod): { qosClass: KubeQosClass; tidepoolQos: TidepoolQos } {
  const labels = pod.metadata?.labels ?? {};
  const qosClass = kubeQosClass(pod);
  const label = labels[QOS_LABEL];
  let tidepoolQos: TidepoolQos = 'online';
  if (label === 'online' || label === 'online-exclusive' || label === 'offline') tidepoolQos = label;
  else if (labels['spark-role'] === 'executor' || labels['component'] === 'taskmanager') tidepoolQos = 'offline';
  else if ((pod.spec?.containers ?? []).some((c) => c.resources?.requests?.[BATCH_CPU] !== undefined || c.resources?.requests?.[BATCH_MEMORY] !== undefined)) tidepoolQos = 'offline';
  return { qosClass, tidepoolQos };
}

/**
 * Problems with a pod's Tidepool-specific input that do not stop the agent from
 * handling it but that its owner should hear about (reported as Warning Events).
 */
export function checkPod(pod: V1Pod): { reason: string; message: string }[] {
  const out: { reason: string; message: string }[] = [];
  const label = pod.metadata?.labels?.[QOS_LABEL];
  if (label !== undefined && label !== 'online' && label !== 'online-exclusive' && label !== 'offline') {
    out.push({
      reason: 'InvalidQosLabel',
      message: `label ${QOS_LABEL}="${label}" is not one of online, online-exclusive, offline; the isolation agent treats the pod as online`,
    });
  }
  if (label === 'online-exclusive') {
    const cpu = (pod.spec?.containers ?? []).reduce((s, c) => {
      const v = c.resources?.requests?.['cpu'] ?? c.resources?.limits?.['cpu'];
      try {
        return s + (v === undefined ? 0 : parseQuantity(String(v), 1000));
      } catch {
        return s;
      }
    }, 0);
    if (cpu === 0) out.push({ reason: 'InvalidExclusiveRequest', message: 'an online-exclusive pod needs a CPU request to get whole cores; it runs on the shared pool' });
    else if (cpu % 1000 !== 0) out.push({ reason: 'InvalidExclusiveRequest', message: `an online-exclusive pod gets whole cores: its CPU request ${cpu}m is rounded up to ${Math.ceil(cpu / 1000)} CPUs` });
  }
  return out;
}

/** Effective pod amount: max(sum of containers, largest init container) + overhead. */
function effective(pod: V1Pod, pick: (c: V1Container) => number | undefined, overhead: number | undefined): number {
  const sum = (pod.spec?.containers ?? []).reduce((s, c) => s + (pick(c) ?? 0), 0);
  const init = Math.max(0, ...(pod.spec?.initContainers ?? []).map((c) => pick(c) ?? 0));
  return Math.max(sum, init) + (overhead ?? 0);
}

/** Summed limit, or null when any app container leaves it unlimited. */
function summedLimit(pod: V1Pod, name: string, scale: 1 | 1000): number | null {
  let total = 0;
  for (const c of pod.spec?.containers ?? []) {
    const v = amount(c.resources?.limits as ResourceMap, name, scale);
    if (v === undefined) return null;
    total += v;
  }
  return (pod.spec?.containers ?? []).length === 0 ? null : total;
}

function stripRuntime(id: string | undefined): string | null {
  if (id === undefined || id === '') return null;
  const i = id.indexOf('://');
  return i < 0 ? id : id.slice(i + 3);
}

/** Project a Pod into PodInfo. Throws with the pod's name when a quantity is malformed. */
export function toPodInfo(pod: V1Pod): PodInfo {
  const ns = pod.metadata?.namespace ?? 'default';
  const name = pod.metadata?.name ?? '';
  try {
    const { qosClass, tidepoolQos } = resolvePodQos(pod);
    const overhead = pod.spec?.overhead as ResourceMap;
    const req = (r: string, scale: 1 | 1000) => (c: V1Container) => {
      const { req: rq, lim } = containerResources(c);
      return amount(rq, r, scale) ?? amount(lim, r, scale);
    };
    const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
    const containers: ContainerInfo[] = (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      id: stripRuntime(statuses.get(c.name)?.containerID),
      requests: { cpuMilli: req('cpu', 1000)(c) ?? 0, memoryBytes: req('memory', 1)(c) ?? 0 },
    }));
    return {
      uid: pod.metadata?.uid ?? '',
      namespace: ns,
      name,
      phase: (pod.status?.phase as PodPhase | undefined) ?? 'Pending',
      qosClass,
      tidepoolQos,
      priority: pod.spec?.priority ?? 0,
      requests: {
        cpuMilli: effective(pod, req('cpu', 1000), amount(overhead, 'cpu', 1000)),
        memoryBytes: effective(pod, req('memory', 1), amount(overhead, 'memory', 1)),
        batchCpuMilli: effective(pod, req(BATCH_CPU, 1), undefined),
        batchMemoryBytes: effective(pod, req(BATCH_MEMORY, 1), undefined),
      },
      limits: {
        cpuMilli: summedLimit(pod, 'cpu', 1000),
        memoryBytes: summedLimit(pod, 'memory', 1),
        batchCpuMilli: summedLimit(pod, BATCH_CPU, 1),
        batchMemoryBytes: summedLimit(pod, BATCH_MEMORY, 1),
      },
      containers,
      createdAtMs: pod.metadata?.creationTimestamp === undefined ? 0 : new Date(pod.metadata.creationTimestamp).getTime(),
    };
  } catch (err) {
    throw new Error(`cannot read pod ${ns}/${name}: ${(err as Error).message}`);
  }
}
