// Mutating admission webhooks in the simulated apiserver: the stored
// MutatingWebhookConfigurations are called over real HTTPS on the write verbs.
export { AdmissionWebhooks, type AdmissionAttributes, type AdmissionOutcome, type UserInfo, type WebhookStats } from './dispatcher.js';
export { createWithWebhooks, deleteWithWebhooks, patchWithWebhooks, updateWithWebhooks } from './writes.js';
export type { Operation } from './configurations.js';
