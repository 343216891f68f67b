// kube/: the Kubernetes plumbing every Tidepool component stands on. Other rooms
// import only from here.
export * from './quantity.js';
export * from './resources.js';
export * from './names.js';
export * from './flag-file.js';
export * from './backoff.js';
export * from './logger.js';
export * from './rate-limiter.js';
export * from './api-error.js';
export * from './kubeconfig.js';
export * from './client-metrics.js';
export * from './client.js';
export * from './adapters.js';
export * from './indexer.js';
export * from './json-skim.js';
export * from './informer.js';
export * from './projections.js';
export * from './workqueue.js';
export * from './event-recorder.js';
export * from './leader-election.js';
export * from './tls.js';
export * from './ttl-cache.js';
export * from './delegated-auth.js';
export * from './fastify-upgrades.js';
export * from './streams/index.js';
export * from './scheduling.js';
