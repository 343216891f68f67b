/**
 * Writes each ColocationPolicy's status (leader only): observedGeneration, conditions
 * Valid (is this generation's spec acceptable, and if not, every error) and Active (is this the
 * policy in effect, or does its last valid generation stand in for it), and for the policy in
 * effect `inEffect` {generation, spec}. A status is written only when it differs from what the
 * object carries; a condition keeps its lastTransitionTime while its status holds.
 */
import { COLOCATION_POLICY_GROUP, COLOCATION_POLICY_PLURAL, COLOCATION_POLICY_VERSION } from '../../api/index.js';
import { isNotFound, silentLogger, systemClock, WorkQueue, type Clock, type KubeClient, type Logger } from '../../kube/index.js';
import type { ColocationPolicyWatch, PolicyState } from './policy-source.js';

export interface PolicyCondition {
  type: 'Valid' | 'Active';
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface PolicyStatus {
  observedGeneration: number;
  conditions: PolicyCondition[];
  inEffect: { generation: number; spec: unknown } | null;
}

const MAX_MESSAGE = 4000;

/** The status `state` should have; times are `now` except where the observed status holds the condition already. */
export function desiredPolicyStatus(state: PolicyState, selectedName: string, now: string): PolicyStatus {
  const valid = state.errors.length === 0;
  const selected = state.name === selectedName;
  const conditions: Omit<PolicyCondition, 'lastTransitionTime'>[] = [
    valid
      ? { type: 'Valid', status: 'True', reason: 'Valid', message: 'spec accepted' }
      : { type: 'Valid', status: 'False', reason: 'InvalidSpec', message: state.errors.join('; ').slice(0, MAX_MESSAGE) },
  ];
  if (!selected) {
    conditions.push({ type: 'Active', status: 'False', reason: 'NotSelected', message: `the controller applies the ColocationPolicy named "${selectedName}"` });
  } else if (valid) {
    conditions.push({ type: 'Active', status: 'True', reason: 'InEffect', message: `generation ${state.generation} is in effect` });
  } else if (state.lastGood) {
    conditions.push({ type: 'Active', status: 'True', reason: 'LastValidInEffect', message: `generation ${state.generation} is invalid; generation ${state.lastGoodGeneration} stays in effect` });
  } else {
    conditions.push({ type: 'Active', status: 'False', reason: 'NeverValid', message: 'no valid generation seen; the built-in defaults are in effect' });
  }
  const observed = observedConditions(state.observedStatus);
  return {
    observedGeneration: state.generation,
    conditions: conditions.map((c) => {
      const was = observed.find((o) => o.type === c.type);
      return { ...c, lastTransitionTime: was && was.status === c.status && typeof was.lastTransitionTime === 'string' ? was.lastTransitionTime : now };
    }),
    inEffect: selected && state.lastGood && state.lastGoodGeneration !== undefined ? { generation: state.lastGoodGeneration, spec: state.lastGood.spec } : null,
  };
}

/** Does the object's status already say this (ignoring transition times it keeps)? */
export function statusMatches(observed: unknown, desired: PolicyStatus): boolean {
  const o = (observed ?? {}) as { observedGeneration?: unknown; inEffect?: unknown };
  if (o.observedGeneration !== desired.observedGeneration) return false;
  if (JSON.stringify(o.inEffect ?? null) !== JSON.stringify(desired.inEffect)) return false;
  const conds = observedConditions(observed);
  return (
    conds.length === desired.conditions.length &&
    desired.conditions.every((d) => conds.some((c) => c.type === d.type && c.status === d.status && c.reason === d.reason && c.message === d.message && c.lastTransitionTime === d.lastTransitionTime))
  );
}

function observedConditions(status: unknown): Partial<PolicyCondition>[] {
  const c = (status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(c) ? (c as Partial<PolicyCondition>[]) : [];
}

export interface PolicyStatusWriterOptions {
  client: KubeClient;
  watch: ColocationPolicyWatch;
  logger?: Logger;
  clock?: Pick<Clock, 'now'>;
}

/** Keeps every policy's status up to date until `signal` aborts. */
export async function runPolicyStatusWriter(o: PolicyStatusWriterOptions, signal: AbortSignal): Promise<void> {
  const log = o.logger ?? silentLogger;
  const clock = o.clock ?? systemClock;
  const queue = new WorkQueue({ name: 'colocationpolicy-status', baseDelayMs: 500, maxDelayMs: 30_000 });
  const off = o.watch.onState((name) => queue.add(name));
  for (const s of o.watch.list()) queue.add(s.name);
  const stop = (): void => queue.shutDown();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await queue.runWorkers(
      1,
      async (name) => {
        const state = o.watch.get(name);
        if (!state) return;
        const desired = desiredPolicyStatus(state, o.watch.policyName, new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'));
        if (statusMatches(state.observedStatus, desired)) return;
        try {
          await o.client.request({
            method: 'PATCH',
            path: `/apis/${COLOCATION_POLICY_GROUP}/${COLOCATION_POLICY_VERSION}/${COLOCATION_POLICY_PLURAL}/${encodeURIComponent(name)}/status`,
            contentType: 'application/merge-patch+json',
            body: { status: desired },
            signal,
          });
        } catch (err) {
          if (isNotFound(err)) return; // deleted meanwhile
          throw err;
        }
      },
      signal,
      { onError: (err, item) => log.warn({ err, policy: item.key }, 'ColocationPolicy status write failed; retrying') },
    );
  } finally {
    off();
    signal.removeEventListener('abort', stop);
    queue.shutDown();
  }
}
