/**
 * What a plugin answers, in kube-scheduler's terms. A filter's "success" is `undefined` (no
 * object made on the hot path); a failure carries kube-scheduler's wording, because these
 * reasons are summed into the FailedScheduling Event users read.
 */
export type Code =
  /** Not here, but maybe later (more room, another node state). */
  | 'Unschedulable'
  /** Not here whatever changes on this node (nodeSelector, a taint): no point preempting for it. */
  | 'UnschedulableAndUnresolvable'
  /** Something went wrong; the pod is retried with backoff. */
  | 'Error'
  /** From pre-filter / pre-score: this plugin has nothing to say for this pod; its filter / score is not run. */
  | 'Skip'
  /** From permit: hold the pod (assumed) until allowed, rejected or timed out. */
  | 'Wait';

export interface Status {
  readonly code: Code;
  /** kube-scheduler's reason strings, e.g. "Insufficient cpu", "node(s) were unschedulable". */
  readonly reasons: readonly string[];
}

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function errorStatus(message: string): Status {
  return { code: 'Error', reasons: [message] };
}

export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: [] });

export function isRejection(s: Status | undefined): boolean {
  return s !== undefined && (s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable' || s.code === 'Error');
}
