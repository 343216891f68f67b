/**
 * The load sources' flags, validated at start (every problem listed, each naming its flag), and
 * startLoadSources, which starts what they ask for around one LoadStore.
 *
 *   --load-source agent|metrics-api|both     default both (agents where they answer, else metrics.k8s.io)
 *   --metrics-interval-seconds N             metrics.k8s.io poll period, default 15
 *   --agent-port N                           the agents' load stream port on each node, default 9311
 *   --agent-token-file PATH                  bearer token for the agents
 *   --agent-ca-file PATH                     CA of the agents' serving certificates
 *   --agent-cert-file / --agent-key-file     client certificate (mutual TLS)
 *   --agent-plaintext                        no TLS (loopback tests only)
 */
import type { Registry } from 'prom-client';
import { createInformer, NODE_FIELDS, projectNode, readFlagFile, type Informer, type KubeClient, type Logger, type NodeSummary } from '../../kube/index.js';
import { nodeAgentTargets, startAgentSource, type AgentSource, type AgentSourceOptions } from './agent-source.js';
import { startMetricsApiSource, type MetricsApiSource } from './metrics-api-source.js';
import type { LoadStore } from './store.js';

export type LoadSourceKind = 'agent' | 'metrics-api' | 'both';

export interface LoadFlags {
  loadSource?: string;
  metricsIntervalSeconds?: string | number;
  agentPort?: string | number;
  agentTokenFile?: string;
  agentCaFile?: string;
  agentCertFile?: string;
  agentKeyFile?: string;
  agentPlaintext?: boolean;
}

export interface LoadConfig {
  source: LoadSourceKind;
  metricsIntervalMs: number;
  agent: { port: number; token?: string; tls?: { caPem: string; certPem?: string; keyPem?: string }; plaintext: boolean } | null;
}

export class LoadConfigError extends Error {
  override readonly name = 'LoadConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** Validates the load flags; throws LoadConfigError listing every problem. */
export function parseLoadFlags(f: LoadFlags): LoadConfig {
  const problems: string[] = [];
  const source = (f.loadSource ?? 'both') as LoadSourceKind;
  if (!['agent', 'metrics-api', 'both'].includes(source)) problems.push(`--load-source must be agent, metrics-api or both, got "${f.loadSource}"`);
  const interval = Number(f.metricsIntervalSeconds ?? 15);
  if (!(interval >= 1 && interval <= 3600)) problems.push(`--metrics-interval-seconds must be a number of seconds from 1 to 3600, got "${f.metricsIntervalSeconds}"`);
  let agent: LoadConfig['agent'] = null;
  if (source !== 'metrics-api') {
    const port = Number(f.agentPort ?? 9311);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) problems.push(`--agent-port must be a port number 1..65535, got "${f.agentPort}"`);
    const token = f.agentTokenFile === undefined ? undefined : readFlagFile('--agent-token-file', f.agentTokenFile, problems)?.trim();
    if (f.agentTokenFile !== undefined && token === '') problems.push(`--agent-token-file ${f.agentTokenFile} is empty`);
    const caPem = f.agentCaFile === undefined ? undefined : (readFlagFile('--agent-ca-file', f.agentCaFile, problems) ?? undefined);
    const certPem = f.agentCertFile === undefined ? undefined : (readFlagFile('--agent-cert-file', f.agentCertFile, problems) ?? undefined);
    const keyPem = f.agentKeyFile === undefined ? undefined : (readFlagFile('--agent-key-file', f.agentKeyFile, problems) ?? undefined);
    if ((f.agentCertFile === undefined) !== (f.agentKeyFile === undefined)) problems.push('--agent-cert-file and --agent-key-file go together');
    const plaintext = f.agentPlaintext === true;
    if (!plaintext && f.agentCaFile === undefined) problems.push('--agent-ca-file is required to verify the agents (or --agent-plaintext for loopback tests)');
    if (f.agentTokenFile === undefined && f.agentCertFile === undefined) problems.push('the agents refuse anonymous callers: set --agent-token-file or --agent-cert-file/--agent-key-file');
    agent = {
      port,
      plaintext,
      ...(token ? { token } : {}),
      ...(caPem !== undefined && !plaintext ? { tls: { caPem, ...(certPem !== undefined ? { certPem } : {}), ...(keyPem !== undefined ? { keyPem } : {}) } } : {}),
    };
  }
  if (problems.length > 0) throw new LoadConfigError(problems);
  return { source, metricsIntervalMs: Math.round(interval * 1000), agent };
}

export interface LoadSources {
  metrics: MetricsApiSource | undefined;
  agents: AgentSource | undefined;
  stop(): Promise<void>;
}

/** Starts the sources `config` asks for, feeding `store`. */
export function startLoadSources(config: LoadConfig, deps: { client: KubeClient; store: LoadStore; registry?: Registry; logger?: Logger }): LoadSources {
  const common = { store: deps.store, ...(deps.registry ? { registry: deps.registry } : {}), ...(deps.logger ? { logger: deps.logger } : {}) };
  const metrics = config.source === 'agent' ? undefined : startMetricsApiSource({ ...common, client: deps.client, intervalMs: config.metricsIntervalMs });
  let nodes: Informer<NodeSummary> | undefined;
  let agents: AgentSource | undefined;
  if (config.agent) {
    nodes = createInformer<NodeSummary>({ client: deps.client, name: 'load-agent-nodes', resource: { version: 'v1', resource: 'nodes' }, project: projectNode, fields: NODE_FIELDS, ...(deps.logger ? { logger: deps.logger } : {}) });
    nodes.start();
    const a = config.agent;
    const opts: AgentSourceOptions = {
      ...common,
      targets: nodeAgentTargets(nodes, a.port),
      plaintext: a.plaintext,
      ...(a.tls ? { tls: a.tls } : {}),
      ...(a.token ? { token: a.token } : {}),
    };
    agents = startAgentSource(opts);
  }
  return {
    metrics,
    agents,
    async stop() {
      await Promise.all([metrics?.stop(), agents?.stop()]);
      await nodes?.stop();
    },
  };
}
