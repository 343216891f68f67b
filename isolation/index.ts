// isolation/: the node agent. Other rooms import only from here: the agent's configuration and
// its entry (runAgent) for the `tidepool agent` command (cli/agent.ts), and the node-load stream
// client and types the colocation scheduler consumes.
export { parseAgentFlags, agentPolicyFlags, AgentFlagError } from './agent-config.js';
export type { AgentConfig, AgentFlags, HostPort } from './agent-config.js';
export { runAgent, agentLogger } from './run-agent.js';
export type { RunningAgent } from './run-agent.js';
export { streamNodeLoad, LoadStreamError } from './load-client.js';
export type { LoadClientOptions } from './load-client.js';
export type { NodeLoadReport, ClassLoad } from './load-report.js';
export { STATUS_ANNOTATION, statusAnnotation } from './kube-adapters.js';
export type { NodeIsolationStatus } from './agent.js';
export { DEFAULT_POLICY, makePolicy, validatePolicy, PolicyValidationError } from './policy.js';
export type { IsolationPolicy } from './policy.js';
