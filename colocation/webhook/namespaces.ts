/**
 * The labels of a pod's namespace, for namespace opt-in (tidepool.dev/colocation=enabled).
 * An AdmissionReview does not carry them, so the webhook keeps an informer on Namespaces
 * (labels only), and asks the API server directly for a namespace the informer has not seen
 * yet (one created a moment before its first pod). A lookup that fails answers "unknown",
 * never an error: the pod is then judged by its own labels.
 */
import { Informer, KubeApiError, type KubeClient, type Logger } from '../../kube/index.js';
import type { Labels } from './mutate.js';

export interface NamespaceLabels {
  /** The namespace's labels; undefined when it is not found or cannot be read now. */
  get(namespace: string): Promise<Labels | undefined>;
  /** True once the namespace list is in the cache. */
  synced(): boolean;
  stop(): Promise<void>;
}

export interface NamespaceLabelsOptions {
  /** Bound of the direct GET for a namespace the informer has not seen. Default 2 s. */
  lookupTimeoutMs?: number;
  logger?: Logger;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function labelsOf(obj: unknown): Labels {
  const meta = isRecord(obj) && isRecord(obj['metadata']) ? obj['metadata'] : {};
  const labels = isRecord(meta['labels']) ? meta['labels'] : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  return Object.freeze(out);
}

/** Namespace labels from the cluster `client` talks to; starts its informer at once. */
export function namespaceLabelsFrom(client: KubeClient, opts: NamespaceLabelsOptions = {}): NamespaceLabels {
  const informer = new Informer<Labels>({
    client,
    resource: { version: 'v1', resource: 'namespaces' },
    project: labelsOf,
    name: 'webhook-namespaces',
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  informer.start();
  const timeoutMs = opts.lookupTimeoutMs ?? 2_000;
  return {
    async get(namespace) {
      const cached = informer.getByName(undefined, namespace);
      if (cached) return cached;
      try {
        const ns = await client.requestJson({ path: `/api/v1/namespaces/${encodeURIComponent(namespace)}`, timeoutMs, retry: false });
        return labelsOf(ns);
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 404)) opts.logger?.warn({ err, namespace }, 'cannot read the namespace; judging the pod by its own labels');
        return undefined;
      }
    },
    synced: () => informer.hasSynced(),
    stop: () => informer.stop(),
  };
}

/** Fixed labels per namespace: for embedding and tests without a cluster. */
export function staticNamespaceLabels(byNamespace: Readonly<Record<string, Labels>>): NamespaceLabels {
  return {
    get: (namespace) => Promise.resolve(byNamespace[namespace]),
    synced: () => true,
    stop: () => Promise.resolve(),
  };
}
