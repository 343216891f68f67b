/**
 * The host pod's status, as a kubelet on the virtual node would report it: the mirror's status
 * with the host's view of where it runs (hostIP = the virtual node's address). Pure; the pod
 * controller writes the result through pods/status only when it differs from what the host has.
 */
type Obj = Record<string, unknown>;

/** Status fields a kubelet owns (the rest — qosClass, nominatedNodeName — belong to the apiserver/scheduler). */
const MIRRORED_FIELDS = ['phase', 'conditions', 'message', 'reason', 'podIP', 'podIPs', 'startTime', 'containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'] as const;

/** The host status for a mirror's status. */
export function hostStatusFrom(mirrorStatus: Obj | undefined, nodeAddress: string): Obj {
  const out: Obj = {};
  const s = mirrorStatus ?? {};
  for (const k of MIRRORED_FIELDS) if (s[k] !== undefined) out[k] = s[k];
  out['phase'] ??= 'Pending';
  out['hostIP'] = nodeAddress;
  out['hostIPs'] = [{ ip: nodeAddress }];
  return out;
}

/** A status that says the pod's member cluster cannot be reached: Unknown, not Ready, and why. */
export function unreachableStatus(current: Obj | undefined, cluster: string, now: Date): Obj {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conditions = (Array.isArray(current?.['conditions']) ? (current!['conditions'] as Obj[]) : []).filter((c) => c['type'] !== 'Ready' && c['type'] !== 'ContainersReady');
  const message = `member cluster ${cluster} is unreachable; the pod's state there is unknown`;
  conditions.push(
    { type: 'Ready', status: 'False', reason: 'MemberClusterUnreachable', message, lastTransitionTime: at },
    { type: 'ContainersReady', status: 'False', reason: 'MemberClusterUnreachable', message, lastTransitionTime: at },
  );
  // Nothing is known to be ready while the member is silent (kubectl's READY column says 0/n).
  const containerStatuses = (Array.isArray(current?.['containerStatuses']) ? (current!['containerStatuses'] as Obj[]) : []).map((c) => ({ ...c, ready: false }));
  return { ...(current ?? {}), phase: 'Unknown', reason: 'MemberClusterUnreachable', message, conditions, ...(containerStatuses.length ? { containerStatuses } : {}) };
}

/** A terminal Failed status for a pod whose mirror is gone (deleted or evicted in the member). */
export function failedStatus(current: Obj | undefined, reason: string, message: string, now: Date): Obj {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conditions = (Array.isArray(current?.['conditions']) ? (current!['conditions'] as Obj[]) : []).filter((c) => c['type'] !== 'Ready' && c['type'] !== 'ContainersReady');
  conditions.push({ type: 'Ready', status: 'False', reason, message, lastTransitionTime: at }, { type: 'ContainersReady', status: 'False', reason, message, lastTransitionTime: at });
  // Containers that were running end with the pod: a kubelet reports them terminated.
  const containerStatuses = (Array.isArray(current?.['containerStatuses']) ? (current!['containerStatuses'] as Obj[]) : []).map((c) => ({
    ...c,
    ready: false,
    started: false,
    state: { terminated: { exitCode: 137, reason, message, finishedAt: at } },
  }));
  return { ...(current ?? {}), phase: 'Failed', reason, message, conditions, ...(containerStatuses.length ? { containerStatuses } : {}) };
}

/** A Pending pod's PodScheduled condition saying why it waits (placement failed). */
export function unschedulableStatus(current: Obj | undefined, message: string, now: Date): Obj {
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conditions = (Array.isArray(current?.['conditions']) ? (current!['conditions'] as Obj[]) : []).filter((c) => c['type'] !== 'PodScheduled');
  conditions.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastTransitionTime: at });
  return { ...(current ?? {}), phase: 'Pending', conditions };
}

/**
 * Whether `next` says something `current` does not, comparing only the fields we write.
 * Condition timestamps are ignored when type, status and reason agree, so a mirror that
 * re-stamps its probes does not cost a host write.
 */
export function statusDiffers(current: Obj | undefined, next: Obj): boolean {
  const cur = current ?? {};
  for (const k of Object.keys(next)) {
    if (k === 'conditions') {
      if (conditionsKey(cur[k]) !== conditionsKey(next[k])) return true;
      continue;
    }
    if (JSON.stringify(cur[k]) !== JSON.stringify(next[k])) return true;
  }
  return false;
}

function conditionsKey(v: unknown): string {
  if (!Array.isArray(v)) return '';
  return (v as Obj[])
    .map((c) => `${String(c['type'])}=${String(c['status'])}/${String(c['reason'] ?? '')}`)
    .sort()
    .join(',');
}
