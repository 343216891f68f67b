/**
 * The PodScheduled=False condition kube-scheduler writes on an unschedulable pod, as a strategic
 * merge patch of pods/status: conditions merge by type, so the pod's other conditions stay.
 */
export function strategicMergePatchFor(message: string, nowMs: number): object {
  return {
    status: {
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message,
          lastProbeTime: null,
          lastTransitionTime: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      ],
    },
  };
}
