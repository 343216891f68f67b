// Timestamps as the Kubernetes API writes them (RFC 3339, second precision) and the
// injectable clock the simulated control plane runs on.

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** MicroTime (metav1.MicroTime), used by Leases and events.k8s.io events. */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
