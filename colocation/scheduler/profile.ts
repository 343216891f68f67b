/**
 * The default profile: the plugins of each extension point, in order. Every behaviour that
 * varies is a plugin in these lists; settings switch plugins off by name or change score
 * weights, and a new behaviour is one file and one line here.
 */
import type { KubeClient } from '../../kube/index.js';
import type { SchedulerCache } from './cache.js';
import type { SchedulerSettings } from './config.js';
import type { BindPlugin, FilterPlugin, PermitPlugin, PreFilterPlugin, PreScorePlugin, Profile, ReservePlugin, ScorePlugin, WeightedScore } from './framework/interfaces.js';
import type { LoadEstimator } from './load-estimator.js';
import type { NodeSettings } from './policy.js';
import { BALANCED_ALLOCATION, balancedAllocation } from './plugins/balanced-allocation.js';
import { DEFAULT_BINDER, defaultBinder } from './plugins/default-binder.js';
import { GANG, type GangPlugin } from './plugins/gang.js';
import { interPodAntiAffinity } from './plugins/inter-pod-anti-affinity.js';
import { LOAD_AWARE, loadAware } from './plugins/load-aware.js';
import { loadThreshold } from './plugins/load-threshold.js';
import { nodeAffinity } from './plugins/node-affinity.js';
import { nodeResourcesFit } from './plugins/node-resources-fit.js';
import { nodeUnschedulable } from './plugins/node-unschedulable.js';
import { OFFLINE_PACKING, offlinePacking } from './plugins/offline-packing.js';
import { prioritySort } from './plugins/priority-sort.js';
import { taintToleration } from './plugins/taint-toleration.js';

/** Default score weights; settings.scoreWeights overrides by name. */
export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({
  [LOAD_AWARE]: 1,
  [BALANCED_ALLOCATION]: 1,
  // Packing must outweigh spreading when the policy asks for it.
  [OFFLINE_PACKING]: 3,
  // A worker should use the room its gang holds rather than take more.
  [GANG]: 2,
});

export interface ProfileDeps {
  schedulerName: string;
  settings: SchedulerSettings;
  cache: SchedulerCache;
  estimator: LoadEstimator;
  nodeSettings: NodeSettings;
  gang: GangPlugin;
  /** The binder; the default posts pods/binding. */
  binder?: BindPlugin;
  client?: KubeClient;
}

export function defaultProfile(deps: ProfileDeps): Profile {
  const { settings } = deps;
  const off = new Set(settings.disabledPlugins);
  const on = <T extends { name: string }>(p: T): boolean => !off.has(p.name);
  const packing = (): boolean => settings.offlinePlacement === 'pack';

  const fit = nodeResourcesFit();
  const affinity = nodeAffinity();
  const anti = interPodAntiAffinity(deps.cache);
  const load = loadThreshold(deps.estimator, deps.nodeSettings);
  const loadScore = loadAware(deps.estimator, deps.nodeSettings, { skipOfflineWhenPacking: packing });
  const packer = offlinePacking(packing);

  const preFilter: PreFilterPlugin[] = [fit, affinity, anti, load, deps.gang].filter(on);
  // Cheapest and most selective first: a node is dropped at its first rejection.
  const filter: FilterPlugin[] = [nodeUnschedulable(), affinity, taintToleration(), fit, load, anti].filter(on);
  const balanced = balancedAllocation();
  const preScore: PreScorePlugin[] = [loadScore, balanced, packer, deps.gang].filter(on);
  const scorePlugins: ScorePlugin[] = [loadScore, balanced, packer, deps.gang].filter(on);
  const score: WeightedScore[] = scorePlugins.map((plugin) => ({ plugin, weight: settings.scoreWeights[plugin.name] ?? DEFAULT_SCORE_WEIGHTS[plugin.name] ?? 1 }));
  const reserve: ReservePlugin[] = [deps.gang].filter(on);
  const permit: PermitPlugin[] = [deps.gang].filter(on);
  let binder = deps.binder;
  if (!binder) {
    if (!deps.client) throw new Error(`profile ${deps.schedulerName}: a client or a binder is required for ${DEFAULT_BINDER}`);
    binder = defaultBinder(deps.client);
  }
  return { schedulerName: deps.schedulerName, queueSort: prioritySort(), preFilter, filter, preScore, score, reserve, permit, bind: [binder] };
}
