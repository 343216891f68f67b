// federation/: member clusters, their capacity (incremental model), placement of a pod into a
// cluster, and the capacity API + console page. Other rooms import only this file.
export * from './types.js';
export { ClusterModel, NodeState } from './cluster-model.js';
export { FederationModel, totals } from './model.js';
export { Placer, SCORE_POLICIES, SCORE_POLICY_PLUGINS, nodeFits, type PlacementResult, type ScorePolicy, type ScorePolicyPlugin, type ScoreInput, type PlaceOptions } from './placement.js';
export { placementPod, type PlacementPod, type PodObject } from './pod.js';
export { Member, nodeInfoOf, podInfoOf, type MemberHealth, type MemberOptions } from './member.js';
export { parseMemberSpec, type MemberSpec, type MemberAccess, type SpecResult } from './member-spec.js';
export { Federation, defaultClientFactory, type FederationOptions, type HistorySample, type ClientFactory } from './federation.js';
export type { PoolProvider, PoolCapacity, PlaceRequest, MemberStatus, Slot } from './provider.js';
export { MemberClusterRegistry, loadFederationConfig, type FederationConfig, type RegistryOptions } from './registry.js';
export { buildServer, type ServerOptions } from './server.js';
export { ServerAuth, parseAuthResource, type AuthOutcome, type AuthResourceAttributes, type AuthUser, type ServerAuthOptions } from './server-auth.js';
export { federationMetrics } from './metrics.js';
export { capacityTable } from './table.js';
