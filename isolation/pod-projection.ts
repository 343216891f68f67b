// Project a Kubernetes Pod into the agent's PodInfo, with kube/'s resource math and api/'s
// QoS class (the one the scheduler, the admission webhook and federation use).
import type { V1Pod } from '@kubernetes/client-node';
import { BATCH_CPU, BATCH_MEMORY, QOS_CLASSES, QOS_LABEL, isTidepoolQos, qosClassOf, type TidepoolQos } from '../api/index.js';
import { containerLimits, containerRequests, podRequests, qosClass, toMilli, type KubeQosClass, type PodLike, type ResourceAmounts } from '../kube/index.js';
import type { ContainerInfo, PodInfo, PodPhase } from './pods.js';

const asPodLike = (pod: V1Pod): PodLike => pod as unknown as PodLike;

/** kubelet's QoS class (status.qosClass when set, else computed from cpu and memory). */
export function kubeQosClass(pod: V1Pod): KubeQosClass {
  return qosClass(asPodLike(pod));
}

/** Both classes of a pod: the kubelet's (which cgroup tier it is in) and Tidepool's (how the agent treats it). */
export function resolvePodQos(pod: V1Pod, requests?: Readonly<ResourceAmounts>): { qosClass: KubeQosClass; tidepoolQos: TidepoolQos } {
  const p = asPodLike(pod);
  const kubeQos = qosClass(p);
  return { qosClass: kubeQos, tidepoolQos: qosClassOf(p, { kubeQos, ...(requests && { requests }) }) };
}

/**
 * Problems with a pod's Tidepool-specific input that do not stop the agent from
 * handling it but that its owner should hear about (reported as Warning Events).
 */
export function checkPod(pod: V1Pod): { reason: string; message: string }[] {
  const out: { reason: string; message: string }[] = [];
  const label = pod.metadata?.labels?.[QOS_LABEL];
  if (label !== undefined && !isTidepoolQos(label)) {
    out.push({
      reason: 'InvalidQosLabel',
      message: `label ${QOS_LABEL}="${label}" is not one of ${QOS_CLASSES.join(', ')}; the isolation agent ignores it and treats the pod as ${resolvePodQos(pod).tidepoolQos}`,
    });
  }
  if (label === 'online-exclusive') {
    const cpu = (pod.spec?.containers ?? []).reduce((s, c) => {
      const v = c.resources?.requests?.['cpu'] ?? c.resources?.limits?.['cpu'];
      try {
        return s + (v === undefined ? 0 : toMilli(String(v)));
      } catch {
        return s;
      }
    }, 0);
    if (cpu === 0) out.push({ reason: 'InvalidExclusiveRequest', message: 'an online-exclusive pod needs a CPU request to get whole cores; it runs on the shared pool' });
    else if (cpu % 1000 !== 0) out.push({ reason: 'InvalidExclusiveRequest', message: `an online-exclusive pod gets whole cores: its CPU request ${cpu}m is rounded up to ${Math.ceil(cpu / 1000)} CPUs` });
  }
  return out;
}

/** Summed limit, or null when any app container leaves it unlimited. */
function summedLimit(pod: V1Pod, name: string, where: string): number | null {
  const containers = pod.spec?.containers ?? [];
  if (containers.length === 0) return null;
  let total = 0;
  for (const c of containers) {
    const v = containerLimits(c, where)[name];
    if (v === undefined) return null;
    total += v;
  }
  return total;
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
  const where = `pod ${ns}/${name}`;
  try {
    const req = podRequests(asPodLike(pod));
    const { qosClass: kubeClass, tidepoolQos: q } = resolvePodQos(pod, req);
    const statuses = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
    const containers: ContainerInfo[] = (pod.spec?.containers ?? []).map((c) => {
      const r = containerRequests(c, where);
      return { name: c.name, id: stripRuntime(statuses.get(c.name)?.containerID), requests: { cpuMilli: r['cpu'] ?? 0, memoryBytes: r['memory'] ?? 0 } };
    });
    return {
      uid: pod.metadata?.uid ?? '',
      namespace: ns,
      name,
      phase: (pod.status?.phase as PodPhase | undefined) ?? 'Pending',
      qosClass: kubeClass,
      tidepoolQos: q,
      priority: pod.spec?.priority ?? 0,
      requests: { cpuMilli: req['cpu'] ?? 0, memoryBytes: req['memory'] ?? 0, batchCpuMilli: req[BATCH_CPU] ?? 0, batchMemoryBytes: req[BATCH_MEMORY] ?? 0 },
      limits: {
        cpuMilli: summedLimit(pod, 'cpu', where),
        memoryBytes: summedLimit(pod, 'memory', where),
        batchCpuMilli: summedLimit(pod, BATCH_CPU, where),
        batchMemoryBytes: summedLimit(pod, BATCH_MEMORY, where),
      },
      containers,
      createdAtMs: pod.metadata?.creationTimestamp === undefined ? 0 : new Date(pod.metadata.creationTimestamp).getTime(),
    };
  } catch (err) {
    throw new Error(`cannot read pod ${ns}/${name}: ${(err as Error).message}`);
  }
}
