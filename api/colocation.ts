/**
 * Opting a namespace into colocation: the admission webhook treats every pod created in a
 * namespace labelled `tidepool.dev/colocation=enabled` as offline work, whatever the pod says.
 */
export const COLOCATION_NAMESPACE_LABEL = 'tidepool.dev/colocation';
export const COLOCATION_ENABLED = 'enabled';

export function isColocationNamespace(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[COLOCATION_NAMESPACE_LABEL] === COLOCATION_ENABLED;
}
