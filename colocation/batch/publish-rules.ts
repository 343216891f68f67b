/**
 * When a node's batch figures are written: each Node status write goes to etcd and wakes every
 * node watcher in the cluster, so a figure that wobbles with the load must not become a write
 * per sample. The rules, first match wins (a list: a new rule is one more entry):
 *
 * - unexplained: the node's breakdown annotation does not describe its figures → write both;
 * - unchanged: the node already says exactly this → no write;
 * - first: the node has no batch resources yet → write;
 * - to-zero: the capacity vanished (load data stale, or online load took it all) → write now,
 *   offline pods must stop landing there;
 * - significant: a figure moved by at least `changePercent` of what is published → write;
 * - overdue: the last write is `maxQuietMs` old → write what is true now, however small the change;
 * - otherwise hold, and look again when the last write becomes overdue.
 */
import type { CpuMemory } from './formula.js';

export interface PublishedBatch extends CpuMemory {
  /** Clock ms of the write (from the breakdown annotation); 0 when unknown. */
  at: number;
  /** The breakdown annotation describes these figures. */
  explained: boolean;
}

export interface PublishSettings {
  /** Default 10. */
  changePercent: number;
  /** Default 5 minutes. */
  maxQuietMs: number;
}

export const DEFAULT_PUBLISH_SETTINGS: Readonly<PublishSettings> = Object.freeze({ changePercent: 10, maxQuietMs: 5 * 60_000 });

export type PublishDecision =
  | { publish: true; rule: string; why: string }
  | { publish: false; rule: string; why: string; /** Ask again after this long (a held change becomes overdue). */ recheckInMs?: number };

export interface PublishRule {
  name: string;
  decide(prev: PublishedBatch | undefined, next: CpuMemory, now: number, s: PublishSettings): PublishDecision | undefined;
}

const same = (a: CpuMemory, b: CpuMemory): boolean => a.cpu === b.cpu && a.memory === b.memory;

/** |next − prev| as a percent of prev; Infinity when prev is 0 and next is not. */
function changePercent(prev: number, next: number): number {
  if (prev === next) return 0;
  return prev === 0 ? Infinity : (Math.abs(next - prev) / prev) * 100;
}

export const PUBLISH_RULES: readonly PublishRule[] = [
  {
    name: 'unexplained',
    decide: (prev) => (prev && !prev.explained ? { publish: true, rule: 'unexplained', why: 'the breakdown annotation does not describe the figures shown' } : undefined),
  },
  {
    name: 'unchanged',
    decide: (prev, next) => (prev && same(prev, next) ? { publish: false, rule: 'unchanged', why: 'the node already shows these figures' } : undefined),
  },
  {
    name: 'first',
    decide: (prev) => (prev ? undefined : { publish: true, rule: 'first', why: 'the node has no batch resources yet' }),
  },
  {
    name: 'to-zero',
    decide: (prev, next) =>
      (next.cpu === 0 && prev!.cpu !== 0) || (next.memory === 0 && prev!.memory !== 0)
        ? { publish: true, rule: 'to-zero', why: 'batch capacity dropped to zero' }
        : undefined,
  },
  {
    name: 'significant',
    decide: (prev, next, _now, s) => {
      const cpu = changePercent(prev!.cpu, next.cpu);
      const memory = changePercent(prev!.memory, next.memory);
      const moved = Math.max(cpu, memory);
      return moved >= s.changePercent ? { publish: true, rule: 'significant', why: `changed by ${moved === Infinity ? 'more than 100' : moved.toFixed(1)} %` } : undefined;
    },
  },
  {
    name: 'overdue',
    decide: (prev, _next, now, s) => {
      const quiet = now - prev!.at;
      if (quiet >= s.maxQuietMs) return { publish: true, rule: 'overdue', why: `last written ${Math.round(quiet / 1000)} s ago` };
      return { publish: false, rule: 'hysteresis', why: `change under ${s.changePercent} %`, recheckInMs: s.maxQuietMs - quiet };
    },
  },
];

export function decidePublish(prev: PublishedBatch | undefined, next: CpuMemory, now: number, s: PublishSettings = DEFAULT_PUBLISH_SETTINGS, rules: readonly PublishRule[] = PUBLISH_RULES): PublishDecision {
  for (const r of rules) {
    const d = r.decide(prev, next, now, s);
    if (d) return d;
  }
  return { publish: false, rule: 'none', why: 'no rule asked for a write' };
}
