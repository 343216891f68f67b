// `--register-webhook`: tells the cluster about this process's webhook, the way an operator's
// install step would — the MutatingWebhookConfiguration `tidepool-colocation` pointing at it
// (clientConfig.url, caBundle from the serving certificate) and the priority classes the
// webhook's mutations name, created when missing so an offline pod is never refused for a
// class that does not exist.
import { OFFLINE_PRIORITY_CLASS, OFFLINE_PRIORITY_VALUE, ONLINE_PRIORITY_CLASS, ONLINE_PRIORITY_VALUE } from '../api/index.js';
import { KubeApiError, type KubeClient } from '../kube/index.js';

export const WEBHOOK_CONFIGURATION_NAME = 'tidepool-colocation';
export const WEBHOOK_NAME = 'offline-pods.tidepool.dev';

const MWC_PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const PC_PATH = '/apis/scheduling.k8s.io/v1/priorityclasses';

/** The two classes, with the values api/priority.ts decides. */
export const PRIORITY_CLASSES = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: OFFLINE_PRIORITY_CLASS, labels: { 'app.kubernetes.io/managed-by': 'tidepool' } },
    value: OFFLINE_PRIORITY_VALUE,
    preemptionPolicy: 'Never',
    globalDefault: false,
    description: 'Tidepool offline batch work on reclaimed capacity: preemptible, never preempts.',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: ONLINE_PRIORITY_CLASS, labels: { 'app.kubernetes.io/managed-by': 'tidepool' } },
    value: ONLINE_PRIORITY_VALUE,
    preemptionPolicy: 'PreemptLowerPriority',
    globalDefault: false,
    description: 'Tidepool online services that share nodes with offline work.',
  },
] as const;

export interface WebhookRegistration {
  /** https://<advertise-host>:<port><path> */
  url: string;
  /** PEM the API server trusts for the webhook (base64-encoded into caBundle). */
  caPem: string;
}

/** The MutatingWebhookConfiguration for a webhook served at `r.url`. */
export function webhookConfiguration(r: WebhookRegistration): Record<string, unknown> {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: WEBHOOK_CONFIGURATION_NAME, labels: { 'app.kubernetes.io/managed-by': 'tidepool' } },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        clientConfig: { url: r.url, caBundle: Buffer.from(r.caPem).toString('base64') },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }],
        // The control plane's own pods never wait on us.
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] },
        // A webhook that is down must not stop pods from being created: they stay online, unmutated.
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        timeoutSeconds: 5,
        admissionReviewVersions: ['v1'],
        matchPolicy: 'Equivalent',
        reinvocationPolicy: 'Never',
      },
    ],
  };
}

const isStatus = (err: unknown, code: number): boolean => err instanceof KubeApiError && err.code === code;

/** Creates the configuration, or replaces the one there (another replica's, or an older run's). */
export async function registerWebhookConfiguration(client: KubeClient, r: WebhookRegistration, signal?: AbortSignal): Promise<'created' | 'updated'> {
  const desired = webhookConfiguration(r);
  const path = `${MWC_PATH}/${WEBHOOK_CONFIGURATION_NAME}`;
  for (let attempt = 1; ; attempt++) {
    let current: { metadata?: { resourceVersion?: string } } | undefined;
    try {
      current = await client.requestJson({ path, ...(signal ? { signal } : {}) });
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
    try {
      if (!current) {
        await client.request({ method: 'POST', path: MWC_PATH, body: desired, ...(signal ? { signal } : {}) });
        return 'created';
      }
      const meta = { ...(desired['metadata'] as object), resourceVersion: current.metadata?.resourceVersion };
      await client.request({ method: 'PUT', path, body: { ...desired, metadata: meta }, ...(signal ? { signal } : {}) });
      return 'updated';
    } catch (err) {
      // Someone else wrote it meanwhile (a second replica starting): read it again.
      if (attempt < 5 && (isStatus(err, 409) || isStatus(err, 404))) continue;
      throw err;
    }
  }
}

/** Creates the priority classes that do not exist; an existing class is left as its owner set it. */
export async function ensurePriorityClasses(client: KubeClient, signal?: AbortSignal): Promise<string[]> {
  const created: string[] = [];
  for (const pc of PRIORITY_CLASSES) {
    try {
      await client.request({ method: 'POST', path: PC_PATH, body: pc, ...(signal ? { signal } : {}) });
      created.push(pc.metadata.name);
    } catch (err) {
      if (!isStatus(err, 409)) throw err;
    }
  }
  return created;
}
