// The `tidepool` program: every command with its flags and wiring, built without parsing anything,
// so cli/main.ts runs it and the tests read the same commands (docs/configuration.md, deploy/'s args).
import { Command } from 'commander';
import { registerAgentCommand } from './agent.js';
import { registerCapacityCommand } from './capacity.js';
import { registerColocationCommands } from './colocation.js';
import { registerDemoCommand } from './demo.js';
import { addSimFlags, runSim, type SimCliOptions } from './sim.js';
import { registerVirtualNodeCommand } from './virtual-node.js';

export function tidepoolProgram(): Command {
  const program = new Command()
    .name('tidepool')
    .description('Pool idle capacity from many Kubernetes clusters into one virtual node, colocate offline work, isolate it on shared nodes.')
    .showHelpAfterError();

  addSimFlags(program.command('sim').description('run simulated Kubernetes control planes (one HTTPS API server per cluster) until SIGINT/SIGTERM'))
    .action(async (o: SimCliOptions) => runSim(o));

  // `tidepool demo` (npm start; `tidepool start` is its alias): the whole product on simulated clusters (cli/demo.ts).
  registerDemoCommand(program);

  // `tidepool agent`: the node isolation agent (flags and wiring in cli/agent.ts).
  registerAgentCommand(program);

  // `tidepool capacity`: the federation's capacity view (flags and wiring in cli/capacity.ts).
  registerCapacityCommand(program);

  // `tidepool virtual-node`: the virtual-kubelet (flags and wiring in cli/virtual-node.ts).
  registerVirtualNodeCommand(program);

  // `tidepool colocation`, `scheduler`, `webhook`, `batch-controller` (flags and wiring in cli/colocation.ts).
  registerColocationCommands(program);
  return program;
}
