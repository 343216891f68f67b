// Utilization traces on the simulated clusters: online services on a day/night curve
// (trace-online.ts), a seeded stream of Spark and Flink apps planned up front (trace-plan.ts)
// and played against a cluster (trace-apps.ts), and what the trace measures (trace-sampler.ts).
// With `startSim({ timeScale })` a simulated day runs in minutes.
export { seedOnlineServices, onlineUsageShare, DEFAULT_ONLINE_SERVICES, TRACE_ONLINE_NAMESPACE } from './trace-online.js';
export type { OnlineServiceSpec } from './trace-online.js';
export { planApps, rateForCores, streamMeans, seededRandom } from './trace-plan.js';
export type { AppKind, AppPlan, AppStreamSpec, PodShape } from './trace-plan.js';
export { AppRunner, TRACE_APPS_NAMESPACE } from './trace-apps.js';
export type { AppRunnerOptions, AppRunnerStats } from './trace-apps.js';
export { UtilizationSampler, judgeNode } from './trace-sampler.js';
export type { SamplerOptions, UtilizationSummary } from './trace-sampler.js';
