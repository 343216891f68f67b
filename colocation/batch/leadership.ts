/**
 * Runs a component's writing work only while it holds its Lease (kube/leader-election), so two
 * replicas never both write; with leader election off, runs it until stopped. A lost lease ends
 * one term and the replica campaigns again.
 */
import { LeaderElector, leaseClientFor, type Clock, type KubeClient, type Logger } from '../../kube/index.js';

export interface LeaderElectionSettings {
  namespace: string;
  /** Lease name; each component has its own default. */
  name?: string;
  /** Unique per process (pod name + random suffix). */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface LeadershipOptions {
  client: KubeClient;
  settings: LeaderElectionSettings | false;
  defaultLeaseName: string;
  logger: Logger;
  clock?: Clock;
}

/** Resolves once `signal` aborts and the current term's work has ended. */
export async function runWhileLeading(o: LeadershipOptions, signal: AbortSignal, work: (term: AbortSignal) => Promise<void>): Promise<void> {
  if (o.settings === false) {
    await work(signal);
    return;
  }
  const s = o.settings;
  if (!s.identity) throw new RangeError('leader election: identity must not be empty');
  const elector = new LeaderElector({
    client: leaseClientFor(o.client),
    namespace: s.namespace,
    name: s.name ?? o.defaultLeaseName,
    identity: s.identity,
    ...(s.leaseDurationMs !== undefined ? { leaseDurationMs: s.leaseDurationMs } : {}),
    ...(s.renewDeadlineMs !== undefined ? { renewDeadlineMs: s.renewDeadlineMs } : {}),
    ...(s.retryPeriodMs !== undefined ? { retryPeriodMs: s.retryPeriodMs } : {}),
    callbacks: { onStartedLeading: (term) => work(term) },
    logger: o.logger,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  while (!signal.aborted) await elector.run(signal);
}
