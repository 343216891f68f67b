// colocation/load: measured node load as every colocation part reads it (NodeLoadView,
// LoadStore) and the sources that fill it: the isolation agents' gRPC streams and metrics.k8s.io.
export type { NodeLoadSample, NodeLoadView, NodeLoadPeaks, LoadPeak } from './types.js';
export { LoadStore } from './store.js';
export type { LoadStoreOptions, AddOutcome } from './store.js';
export { onlineCpuOf, onlineMemoryOf, systemCpuOf, systemMemoryOf, validSample } from './sample.js';
export { startMetricsApiSource, NODE_METRICS_PATH, POD_METRICS_PATH } from './metrics-api-source.js';
export type { MetricsApiSource, MetricsApiSourceOptions, PollResult } from './metrics-api-source.js';
export { startAgentSource, staticAgentTargets, nodeAgentTargets, sampleFromReport } from './agent-source.js';
export type { AgentSource, AgentSourceOptions, AgentTarget, AgentTargets } from './agent-source.js';
export { loadMetrics } from './metrics.js';
export type { LoadMetrics } from './metrics.js';
export { parseLoadFlags, startLoadSources, LoadConfigError } from './config.js';
export type { LoadFlags, LoadConfig, LoadSources, LoadSourceKind } from './config.js';
