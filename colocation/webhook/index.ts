/**
 * colocation/webhook: the mutating admission webhook that turns offline pods (Spark executors,
 * Flink taskmanagers, Koordinator/Volcano BE, tidepool.dev/qos=offline, pods of opted-in
 * namespaces) into batch work: cpu/memory moved to kubernetes.io/batch-cpu|memory, priority
 * class tidepool-offline, scheduler tidepool-scheduler, label tidepool.dev/qos=offline.
 *
 * `startWebhook(opts)` serves it over HTTPS; `mutatePod(pod, nsLabels)` is the decision alone.
 * Stateless, so every replica serves (no leader election).
 */
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { WebhookMetrics } from './metrics.js';
import { namespaceLabelsFrom, type NamespaceLabels } from './namespaces.js';
import { checkListen, servingCertificate, type WebhookOptions } from './options.js';
import { buildWebhookApp } from './server.js';

export { mutatePod, OFFLINE_MUTATORS, CannotMutate, WARNING_PREFIX } from './mutate.js';
export { batchResourcesMutator, priorityClassMutator, schedulerNameMutator, qosLabelMutator } from './mutate.js';
export type { Labels, MutationOutcome, MutationPlan, PodMutation, PodMutator, PodView } from './mutate.js';
export { answerReview, parseReview, admissionResponse, ReviewError, ADMISSION_REVIEW_API_VERSION } from './review.js';
export type { AdmissionRequest, ReviewAnswer, ReviewOutcome } from './review.js';
export { namespaceLabelsFrom, staticNamespaceLabels, type NamespaceLabels } from './namespaces.js';
export { WebhookConfigError, DEFAULT_WEBHOOK_PATH, DEFAULT_WEBHOOK_PORT } from './options.js';
export type { WebhookOptions, WebhookTlsFiles, WebhookTlsPem } from './options.js';
export type { JsonPatchOperation } from './patch.js';

export interface WebhookHandle {
  /** The port it listens on (the one picked when opts.port was 0). */
  port: number;
  /** PEM to trust for the serving certificate: the MutatingWebhookConfiguration's caBundle (base64 it). */
  caPem: string;
  /** The path AdmissionReviews are posted to. */
  path: string;
  close(): Promise<void>;
}

/**
 * Starts the webhook server. Configuration errors (WebhookConfigError, naming the flag) are
 * thrown before anything listens; close() (or opts.signal) stops the server and the namespace informer.
 */
export async function startWebhook(opts: WebhookOptions = {}): Promise<WebhookHandle> {
  const listen = checkListen(opts);
  const cert = servingCertificate(opts);
  const logger = opts.logger ?? pino({ name: 'tidepool-webhook' });
  const registry = opts.registry ?? new Registry();
  const metrics = new WebhookMetrics(registry);
  const namespaces: NamespaceLabels | undefined =
    opts.namespaceLabels ?? (opts.kubeClient ? namespaceLabelsFrom(opts.kubeClient, { logger: logger.child({ part: 'namespaces' }) }) : undefined);
  const app = buildWebhookApp({ tls: cert, path: listen.path, namespaces, mutators: opts.mutators, metrics, registry, logger });
  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    await namespaces?.stop();
    throw new Error(`cannot listen on ${listen.host}:${listen.port} (--bind-address, --secure-port): ${(err as Error).message}`, { cause: err });
  }
  const port = (app.server.address() as AddressInfo).port;
  logger.info({ host: listen.host, port, path: listen.path, namespaceOptIn: namespaces !== undefined }, 'colocation webhook serving');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      opts.signal?.removeEventListener('abort', onAbort);
      await app.close();
      await namespaces?.stop();
    })();
    return closing;
  };
  const onAbort = (): void => void close();
  if (opts.signal?.aborted) await close();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  return { port, caPem: cert.caPem, path: listen.path, close };
}
