/**
 * The priority classes Tidepool's pods run with. The admission webhook gives offline pods the
 * offline class (and drops spec.priority so the API server resolves it); once a pod carries it,
 * every component treats the pod as offline (see qos.ts).
 */

/** Preemptible batch work on reclaimed capacity. */
export const OFFLINE_PRIORITY_CLASS = 'tidepool-offline';
/** Online services that share nodes with offline work. */
export const ONLINE_PRIORITY_CLASS = 'tidepool-online';

/**
 * The values: offline work sits below a pod without a class (priority 0), so kube-scheduler's
 * preemption makes room for online pods by evicting it, and it never preempts anything itself;
 * online services beside it get a class above the default.
 */
export const OFFLINE_PRIORITY_VALUE = -100;
export const ONLINE_PRIORITY_VALUE = 1000;
