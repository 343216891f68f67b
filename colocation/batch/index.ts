// colocation/batch: the batch capacity controller (kubernetes.io/batch-cpu and batch-memory on
// every node from measured load, with the breakdown that explains them) and the
// ColocationPolicy source every colocation part reads its thresholds from.
export { startBatchController } from './controller.js';
export type { BatchController, BatchControllerOptions } from './controller.js';
export { runWhileLeading } from './leadership.js';
export type { LeaderElectionSettings, LeadershipOptions } from './leadership.js';
export { computeBatch } from './formula.js';
export type { BatchBreakdown, BatchInputs, CpuMemory, Degraded } from './formula.js';
export { decidePublish, PUBLISH_RULES, DEFAULT_PUBLISH_SETTINGS } from './publish-rules.js';
export type { PublishDecision, PublishRule, PublishSettings, PublishedBatch } from './publish-rules.js';
export type { PublishedBreakdown } from './publisher.js';
export { ColocationPolicyWatch, startPolicySource, staticPolicySource, DEFAULT_POLICY_NAME } from './policy-source.js';
export type { PolicySource, NodeColocation, PolicyState, PolicyWatchOptions } from './policy-source.js';
export { desiredPolicyStatus } from './policy-status.js';
export type { PolicyStatus, PolicyCondition } from './policy-status.js';
export { parseBatchFlags, BatchConfigError } from './config.js';
export type { BatchFlags, BatchConfig } from './config.js';
export { registerBatchRoutes } from './routes.js';
