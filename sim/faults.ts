// Fault injection for one simulated cluster: what a real control plane does on a bad
// day. Latency and error rates apply per request; outage, dropped watches and
// compaction are actions the cluster performs (see cluster.ts).

export interface FaultSettings {
  /** Added to every API request, in milliseconds. */
  latencyMs: number;
  /** Fraction (0..1) of API requests answered with `errorCode` instead. */
  errorRate: number;
  errorCode: 500 | 429;
  /** Retry-After sent with 429s. */
  retryAfterSeconds: number;
}

export const NO_FAULTS: FaultSettings = { latencyMs: 0, errorRate: 0, errorCode: 500, retryAfterSeconds: 1 };

export class FaultError extends Error {}

/** Validates a partial settings object from code or the admin endpoint. */
export function mergeFaults(current: FaultSettings, patch: Record<string, unknown>): FaultSettings {
  const next = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    switch (k) {
      case 'latencyMs':
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 60_000) throw new FaultError('latencyMs must be a number of milliseconds in [0, 60000]');
        next.latencyMs = v;
        break;
      case 'errorRate':
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new FaultError('errorRate must be a fraction in [0, 1]');
        next.errorRate = v;
        break;
      case 'errorCode':
        if (v !== 500 && v !== 429) throw new FaultError('errorCode must be 500 or 429');
        next.errorCode = v;
        break;
      case 'retryAfterSeconds':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 3600) throw new FaultError('retryAfterSeconds must be an integer in [0, 3600]');
        next.retryAfterSeconds = v;
        break;
      default:
        throw new FaultError(`unknown fault setting "${k}" (known: latencyMs, errorRate, errorCode, retryAfterSeconds)`);
    }
  }
  return next;
}
