// `tidepool agent`: the node isolation agent's flags and the process around it (exit codes,
// the --once / --restore report on stdout, SIGTERM/SIGINT). The flags' validation and the agent
// itself are isolation/'s (parseAgentFlags, runAgent).
import type { Command } from 'commander';
import { AgentFlagError, agentLogger, agentPolicyFlags, parseAgentFlags, runAgent, type AgentConfig, type AgentFlags, type RunningAgent } from '../isolation/index.js';
import { untilSignal } from './sim.js';

/** Register `agent` and its flags on the `tidepool` program. */
export function registerAgentCommand(program: Command): Command {
  const cmd = program
    .command('agent')
    .description('run the node isolation agent (a privileged DaemonSet): cpuset, CPU quota, memory protection, L3 cache / memory bandwidth for colocated pods')
    .option('--node-name <name>', 'this node (default: $NODE_NAME)')
    .option('--node <name>', 'same as --node-name')
    .option('--kubeconfig <path>', 'kubeconfig file (default: the in-cluster service account, else $KUBECONFIG)')
    .option('--context <name>', 'kubeconfig context (default: its current-context)')
    .option('--cgroup-root <path>', 'cgroup mount root; every cgroup write stays under it', '/sys/fs/cgroup')
    .option('--cgroup-driver <driver>', 'auto, cgroupfs or systemd (auto: where kubepods is)', 'auto')
    .option('--kubepods-parent <path>', "kubelet's --cgroup-root, relative (default: none)")
    .option('--resctrl-root <path>', 'resctrl mount, or "off"; writes stay under it', '/sys/fs/resctrl')
    .option('--proc-root <path>', 'proc mount (oom_score_adj, PIDs, meminfo)', '/proc')
    .option('--sys-root <path>', 'sys mount (CPU/NUMA topology)', '/sys')
    .option('--state-file <path>', 'where original values are kept so a restarted agent can still restore them')
    .option('--listen <host:port>', 'HTTP /healthz /readyz /metrics /status, or "off"', '0.0.0.0:9310')
    .option('--load-listen <host:port>', 'gRPC node-load stream, or "off"', 'off')
    .option('--load-tls-cert <path>', 'server certificate (PEM) of the load stream')
    .option('--load-tls-key <path>', 'server key (PEM) of the load stream')
    .option('--load-tls-client-ca <path>', 'CA whose client certificates may read the load stream (mutual TLS)')
    .option('--load-token-file <path>', 'bearer tokens (one per line) that may read the load stream')
    .option('--load-plaintext', 'serve the load stream without TLS (loopback addresses only; tests)')
    .option('--interval-seconds <s>', 'reconcile period', '2')
    .option('--dry-run', 'compute and log every intended write; write nothing (no evictions either)')
    .option('--once', 'one reconcile after the pod list arrives, print the report, exit')
    .option('--restore', 'uninstall: put back every value recorded in --state-file, remove resctrl groups, exit')
    .option('--restore-on-exit', 'restore the original values on SIGTERM (default: keep them over restarts)')
    .option('--log-level <level>', 'debug, info, warn or error', 'info');
  for (const { flag, shownDefault } of agentPolicyFlags()) cmd.option(`${flag} <value>`, `policy (default ${shownDefault})`);
  return cmd.action(async (flags: AgentFlags) => {
    let config: AgentConfig;
    try {
      config = parseAgentFlags(flags);
    } catch (err) {
      if (err instanceof AgentFlagError) {
        process.stderr.write(`tidepool agent: invalid flags:\n${err.problems.map((p) => `  ${p}`).join('\n')}\n`);
        process.exitCode = 2;
        return;
      }
      throw err;
    }
    await runAgentCommand(config);
  });
}

/** The process around one agent: run until SIGTERM/SIGINT (or one pass with --once / --restore). */
export async function runAgentCommand(config: AgentConfig): Promise<void> {
  const log = agentLogger(config.logLevel);
  let running: RunningAgent;
  try {
    running = await runAgent(config, { log });
  } catch (err) {
    log.error({ err: (err as Error).message }, 'agent cannot start');
    process.stderr.write(`tidepool agent: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (running.result !== null) {
    process.stdout.write(`${JSON.stringify(running.result)}\n`);
    await running.stop();
    return;
  }
  const signal = await untilSignal();
  log.info({ signal }, 'shutting down');
  await running.stop();
}
