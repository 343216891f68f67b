// Timestamps as the Kubernetes API writes them (RFC 3339, second precision) and the
// injectable clock the simulated control plane runs on.

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

// Every write stamps a time and most fall in the same second as the previous one: the
// last second's text is kept.
let lastSecond = NaN;
let lastText = '';

export function rfc3339(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastText = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
    lastSecond = second;
  }
  return lastText;
}

/** MicroTime (metav1.MicroTime), used by Leases and events.k8s.io events. */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
