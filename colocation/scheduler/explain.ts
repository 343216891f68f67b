/**
 * The FailedScheduling message, worded and ordered as kube-scheduler's FitError, so users and
 * tools that read `kubectl describe pod` see what they know:
 *   0/12 nodes are available: 3 Insufficient kubernetes.io/batch-cpu, 9 node(s) had untolerated taint {dedicated: db}.
 * Reasons are "<count> <reason>" strings sorted as strings (kube sorts them that way too).
 */
export const NO_NODE_AVAILABLE = (n: number): string => `0/${n} nodes are available`;

export function fitErrorMessage(numAllNodes: number, reasons: ReadonlyMap<string, number>, preFilterMessage?: string): string {
  let msg = `${NO_NODE_AVAILABLE(numAllNodes)}:`;
  if (preFilterMessage) return `${msg} ${preFilterMessage}.`;
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
  return msg;
}
