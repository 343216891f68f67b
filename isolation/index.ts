// isolation/: the node agent. Other rooms import only from here: the `tidepool agent`
// command, and the node-load stream client and types the colocation scheduler consumes.
export { registerAgentCommand, parseAgentFlags, runAgent, runAgentCommand, AgentFlagError } from './cli.js';
export type { AgentConfig, AgentFlags, RunningAgent } from './cli.js';
export { streamNodeLoad, LoadStreamError } from './load-client.js';
export type { LoadClientOptions } from './load-client.js';
export type { NodeLoadReport, ClassLoad } from './load-report.js';
export { STATUS_ANNOTATION, statusAnnotation } from './kube-adapters.js';
export type { NodeIsolationStatus } from './agent.js';
export { DEFAULT_POLICY, makePolicy, validatePolicy, PolicyValidationError } from './policy.js';
export type { IsolationPolicy } from './policy.js';
