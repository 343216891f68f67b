// The colocation room for each member cluster of the demo, wired by `tidepool colocation`'s own
// startColocation (cli/colocation.ts) as if `tidepool colocation` ran once per member with:
//   --kubeconfig <dir>/kubeconfig --context <member> --no-leader-elect --listen 127.0.0.1:0
//   --bind-address 127.0.0.1 --secure-port 0 --register-webhook --metrics-interval-seconds 5
//   --no-extender
// so the member gets the admission webhook (registered with its API server, with the
// PriorityClasses), node load from metrics.k8s.io, batch capacity, the load-aware scheduler and
// offline eviction — in this process rather than one process per member. Before it, the
// ColocationPolicy CRD goes in as deploy/ installs it (the parts wait for policies to list);
// with no ColocationPolicy object the defaults apply.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { createKubeClient, KubeApiError } from '../kube/index.js';
import { COLOCATION_COMMANDS, startColocation, type RunningColocation } from './colocation.js';
import { parseColocationFlags, type LogLevel, type RawColocationFlags } from './colocation-flags.js';

/** How often node load is read: often enough that batch capacity appears within seconds. */
const METRICS_INTERVAL_SECONDS = 5;

export function demoColocationFlags(kubeconfigPath: string, member: string, logLevel: LogLevel): RawColocationFlags {
  return {
    kubeconfig: kubeconfigPath,
    context: member,
    qps: 100,
    burst: 200,
    listen: { host: '127.0.0.1', port: 0 },
    logLevel,
    leaderElect: false,
    metricsIntervalSeconds: String(METRICS_INTERVAL_SECONDS),
    extender: false,
    bindAddress: '127.0.0.1',
    securePort: 0,
    registerWebhook: true,
  };
}

const CRD_FILE = join('deploy', 'crds', 'colocationpolicy.yaml');
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** The CRD manifest from the repository's deploy/, looked for from here up (cli/ in the sources, dist/cli/ once built). */
function colocationPolicyCrd(): object {
  for (let d = import.meta.dirname, i = 0; i < 4; i++, d = dirname(d)) {
    const f = join(d, CRD_FILE);
    if (existsSync(f)) return parseYaml(readFileSync(f, 'utf8')) as object;
  }
  throw new Error(`cannot find ${CRD_FILE} above ${import.meta.dirname}: run the demo from a Tidepool checkout`);
}

/** Creates the ColocationPolicy CRD in the member; one already there is left as it is. */
async function installColocationPolicyCrd(kubeconfigPath: string, member: string): Promise<void> {
  const client = createKubeClient({ config: { kind: 'file', path: kubeconfigPath, context: member }, cluster: member });
  try {
    await client.request({ method: 'POST', path: CRD_PATH, body: colocationPolicyCrd() });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.code === 409)) throw new Error(`installing the ColocationPolicy CRD: ${(err as Error).message}`, { cause: err });
  } finally {
    client.close();
  }
}

/** Starts the colocation parts for one member; stop() ends them. */
export async function startMemberColocation(kubeconfigPath: string, member: string, logger: Logger, logLevel: LogLevel): Promise<RunningColocation> {
  const command = COLOCATION_COMMANDS.find((c) => c.name === 'colocation')!;
  // An empty environment: the demo's members are the kubeconfig's contexts, never the cluster
  // this process might run in (KUBERNETES_SERVICE_HOST) or $KUBECONFIG.
  const config = parseColocationFlags(`colocation (${member})`, demoColocationFlags(kubeconfigPath, member, logLevel), command.groups, {});
  await installColocationPolicyCrd(kubeconfigPath, member);
  return startColocation(config, logger.child({ member }));
}
