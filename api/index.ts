// api/: Tidepool's vocabulary, decided once. Types, constants and small pure functions that
// every other room reads instead of deciding for itself (Koordinator's apis/extension).
export * from './qos.js';
export * from './resources.js';
export * from './priority.js';
export * from './scheduler.js';
export * from './colocation.js';
export * from './workloads.js';
export * from './gang.js';
export * from './member-cluster.js';
export * from './colocation-policy.js';
export * from './virtual-node.js';
export * from './eviction.js';
