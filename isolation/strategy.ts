// One interface for every isolation strategy, one list of them (koordlet's shape): a strategy
// says whether it applies on this node (enabled) and computes desired values from what the
// agent observed (plan). It never touches the filesystem: the agent merges every plan and the
// executor applies them in the kernel's order. A new strategy is one file and one list entry.
import type { CgroupLayout } from './cgroup-layout.js';
import type { Capabilities } from './capabilities.js';
import type { CgroupValue, ProcValue, ResctrlPlan } from './desired.js';
import type { PodCgroup } from './node-reader.js';
import type { IsolationPolicy } from './policy.js';
import type { ResctrlInfo } from './resctrl-info.js';
import { planCpu } from './strategy-cpu.js';
import { cpusetValues, type CpuPlan } from './strategy-cpuset.js';
import { planMemory } from './strategy-memory.js';
import { planResctrl } from './strategy-resctrl.js';

/** What the agent observed this round, read-only for strategies. */
export interface StrategyContext {
  layout: CgroupLayout;
  policy: IsolationPolicy;
  capabilities: Capabilities;
  resctrl: ResctrlInfo | null;
  /** Pods found on the node with their cgroup dirs. */
  pods: readonly PodCgroup[];
  /** The CPU decision of this round (shared pool, offline CPUs and budget, exclusive CPUs); null without cpu/cpuset controllers. */
  cpuPlan: CpuPlan | null;
  /** CFS period (µs) per offline pod dir. */
  periods: ReadonlyMap<string, number>;
  /** PIDs per pod UID (offline pods always; every pod when resctrl is in use). */
  pids: ReadonlyMap<string, readonly number[]>;
  /** Thread ids per pod UID (only when resctrl is in use). */
  threads: ReadonlyMap<string, readonly number[]>;
}

/** What a strategy wants. Every part optional: a strategy fills what it owns. */
export interface Desired {
  cgroups?: CgroupValue[];
  procs?: ProcValue[];
  resctrl?: ResctrlPlan;
  /** Sentences for the node's isolation status. */
  notes?: string[];
}

export interface IsolationStrategy {
  readonly name: string;
  enabled(ctx: StrategyContext): boolean;
  plan(ctx: StrategyContext): Desired;
}

const offline = (ctx: StrategyContext): PodCgroup[] => ctx.pods.filter((p) => p.pod.tidepoolQos === 'offline');

/** Offline pods on their own CPUs, shrinking as online load rises (NUMA-aware); exclusive CPUs for online-exclusive pods. */
export const cpusetStrategy: IsolationStrategy = {
  name: 'cpuset',
  enabled: (ctx) => ctx.layout.mounts.cpuset !== null && ctx.cpuPlan !== null,
  plan: (ctx) => ({ cgroups: cpusetValues(ctx.cpuPlan!, ctx.pods) }),
};

/** Offline CPU quota capped at the offline budget, lowest weight, SCHED_IDLE where the kernel has it. */
export const cpuQuotaStrategy: IsolationStrategy = {
  name: 'cpu',
  enabled: (ctx) => ctx.layout.mounts.cpu !== null && ctx.cpuPlan !== null,
  plan: (ctx) => ({
    cgroups: planCpu({ layout: ctx.layout, pods: ctx.pods, offlineMilli: ctx.cpuPlan!.budget.offlineMilli, policy: ctx.policy, periods: ctx.periods, hasCpuIdle: ctx.capabilities.cgroup.cpuIdle }),
  }),
};

/** Online memory protected (memory.min/low), offline memory capped, offline processes OOM-killed first. */
export const memoryStrategy: IsolationStrategy = {
  name: 'memory',
  enabled: () => true,
  plan: (ctx) => {
    const offlinePids = new Map(offline(ctx).map((p) => [p.pod.uid, [...(ctx.pids.get(p.pod.uid) ?? [])]]));
    const m = planMemory({ layout: ctx.layout, pods: ctx.pods, policy: ctx.policy, recursiveProt: ctx.capabilities.cgroup.memoryRecursiveProt, offlinePids });
    return { cgroups: m.cgroups, procs: m.procs };
  },
};

/** Offline threads in a resctrl group with fewer L3 ways and less memory bandwidth. */
export const resctrlStrategy: IsolationStrategy = {
  name: 'resctrl',
  enabled: (ctx) => ctx.resctrl !== null,
  plan: (ctx) => {
    const tids = (which: (p: PodCgroup) => boolean): number[] => ctx.pods.filter(which).flatMap((p) => [...(ctx.threads.get(p.pod.uid) ?? [])]);
    const decision = planResctrl({
      info: ctx.resctrl!,
      policy: ctx.policy,
      offlineTids: tids((p) => p.pod.tidepoolQos === 'offline'),
      onlineTids: tids((p) => p.pod.tidepoolQos !== 'offline'),
    });
    return { resctrl: decision.plan, notes: decision.notes };
  },
};

/** The strategies, in the order their values are planned (the executor orders the writes). */
export const STRATEGIES: readonly IsolationStrategy[] = [cpusetStrategy, cpuQuotaStrategy, memoryStrategy, resctrlStrategy];

/** What the executor is handed: every enabled strategy's plan, merged. */
export interface MergedPlan {
  cgroups: CgroupValue[];
  procs: ProcValue[];
  /** null when no strategy planned resctrl groups (the executor then leaves resctrl alone). */
  resctrl: ResctrlPlan | null;
  notes: string[];
  /** Names of the strategies that planned this round. */
  strategies: string[];
}

export function planAll(strategies: readonly IsolationStrategy[], ctx: StrategyContext): MergedPlan {
  const out: MergedPlan = { cgroups: [], procs: [], resctrl: null, notes: [], strategies: [] };
  for (const s of strategies) {
    if (!s.enabled(ctx)) continue;
    const d = s.plan(ctx);
    out.strategies.push(s.name);
    if (d.cgroups) out.cgroups.push(...d.cgroups);
    if (d.procs) out.procs.push(...d.procs);
    if (d.notes) out.notes.push(...d.notes);
    if (d.resctrl) (out.resctrl ??= { groups: [] }).groups.push(...d.resctrl.groups);
  }
  return out;
}
