// Wiring an Agent over a FakeNode the way runAgent wires it over the real node.
import { Agent, type StatusPublisher } from '../../isolation/agent.js';
import { detectCapabilities } from '../../isolation/capabilities.js';
import type { Evictor } from '../../isolation/eviction.js';
import { Executor, type ExecutorOptions } from '../../isolation/executor.js';
import { AgentMetrics } from '../../isolation/metrics.js';
import { StaticPodSource, type PodInfo } from '../../isolation/pods.js';
import { makePolicy, type IsolationPolicy } from '../../isolation/policy.js';
import { readResctrlInfo } from '../../isolation/resctrl-info.js';
import { readTopology } from '../../isolation/topology.js';
import type { Logger } from '../../kube/index.js';
import type { FakeNode } from './fake-node.js';

export interface TestAgent {
  agent: Agent;
  executor: Executor;
  source: StaticPodSource;
  metrics: AgentMetrics;
}

export async function makeAgent(
  node: FakeNode,
  opts: {
    policy?: Partial<IsolationPolicy>;
    evictor?: Evictor;
    publisher?: StatusPublisher;
    dryRun?: boolean;
    log?: Logger;
    now?: () => number;
    executor?: Partial<ExecutorOptions>;
    onInvalidPod?: (pod: PodInfo, reason: string) => void;
  } = {},
): Promise<TestAgent> {
  const topology = await readTopology(node.fs, node.sysRoot);
  const resctrl = node.resctrl === null ? null : await readResctrlInfo(node.fs, node.resctrlRoot, node.procRoot);
  const capabilities = await detectCapabilities(node.fs, node.layout, node.procRoot, topology, resctrl);
  const metrics = new AgentMetrics({ defaultMetrics: false });
  const executor = new Executor({
    fs: node.fs,
    layout: node.layout,
    procRoot: node.procRoot,
    resctrlRoot: node.resctrl === null ? null : node.resctrlRoot,
    dryRun: opts.dryRun ?? false,
    hooks: metrics.executorHooks(),
    ...(opts.log === undefined ? {} : { log: opts.log }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
    ...opts.executor,
  });
  const source = new StaticPodSource();
  const agent = new Agent({
    nodeName: 'node-a',
    fs: node.fs,
    layout: node.layout,
    procRoot: node.procRoot,
    topology,
    capabilities,
    resctrl,
    policy: makePolicy(opts.policy),
    podSource: source,
    executor,
    evictor: opts.evictor ?? null,
    statusPublisher: opts.publisher ?? null,
    metrics,
    dryRun: opts.dryRun ?? false,
    ...(opts.log === undefined ? {} : { log: opts.log }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
    ...(opts.onInvalidPod === undefined ? {} : { onInvalidPod: opts.onInvalidPod }),
  });
  return { agent, executor, source, metrics };
}

/** A logger that keeps every record, for asserting on what was logged. */
export function captureLog(): Logger & { records: { level: string; obj: object; msg?: string }[] } {
  const records: { level: string; obj: object; msg?: string }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      records.push({ level, obj, ...(msg === undefined ? {} : { msg }) });
    };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
