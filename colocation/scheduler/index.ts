// colocation/scheduler: Tidepool's load-aware scheduler (schedulerName tidepool-scheduler),
// standalone and as a kube-scheduler extender. Other rooms import only from here.
export { startScheduler, type SchedulerOptions, type RunningScheduler, type LeaderElectionSettings } from './start.js';
export { buildExtenderServer, type ExtenderServerOptions } from './server.js';
export { registerExtenderRoutes, MAX_EXTENDER_PRIORITY, type ExtenderRoutesOptions } from './extender.js';
export { Scheduler, type SchedulerCoreOptions, type SchedulerEvents, type ExtenderFilterResult } from './scheduler.js';
export { resolveSettings, DEFAULT_SETTINGS, SchedulerConfigError, type SchedulerSettings, type SettingsInput, type OfflinePlacement } from './config.js';
export { staticPolicySource, type PolicySource } from './policy.js';
export { projectSchedPod, SCHED_POD_FIELDS } from './pod-info.js';
export { projectPodGroup, staticPodGroups, type PodGroupInfo, type PodGroupLister } from './gang/pod-groups.js';
export { DEFAULT_GANG_SETTINGS, type GangSettings } from './gang/spec.js';
export { DEFAULT_ESTIMATION, type EstimationSettings } from './load-estimator.js';
export { fitErrorMessage } from './explain.js';
export type { SchedPod } from './types.js';
export type { Profile, QueuedPod, ClusterEvent } from './framework/interfaces.js';
