/**
 * The priority classes Tidepool's pods run with. The admission webhook gives offline pods the
 * offline class (and drops spec.priority so the API server resolves it); once a pod carries it,
 * every component treats the pod as offline (see qos.ts).
 */

/** Preemptible batch work on reclaimed capacity. */
export const OFFLINE_PRIORITY_CLASS = 'tidepool-offline';
/** Online services that share nodes with offline work. */
export const ONLINE_PRIORITY_CLASS = 'tidepool-online';
