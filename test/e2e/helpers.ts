// What the end-to-end files share: starting the product as a user does (`tidepool demo`, or the
// deploy shape `tidepool sim` + `tidepool virtual-node` + `tidepool colocation` as processes),
// Spark-shaped pods as spark-submit makes them, and reading pods and their mirrors through
// kubectl. Every process started here is killed by stop(); every temporary directory removed.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startCli, type CliProcess } from '../helpers/cli-process.js';
import { Kubectl } from '../helpers/kubectl.js';

export const SPARK_NAMESPACE = 'spark';
export const VIRTUAL_NODE_TOLERATION = { key: 'virtual-kubelet.io/provider', operator: 'Exists', effect: 'NoSchedule' };
export const DURATION = 'sim.tidepool.dev/duration';
export const CPU_USAGE = 'sim.tidepool.dev/cpu-usage';

export interface PodJson {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }>;
  };
  spec: {
    nodeName?: string;
    schedulerName?: string;
    priorityClassName?: string;
    containers: Array<{ name: string; resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }>;
  };
  status: { phase?: string; reason?: string; message?: string };
}

export interface EventJson {
  reason: string;
  message: string;
  type: string;
  involvedObject: { name: string; namespace?: string };
  source?: { component?: string };
}

/** A product under test: its processes, its kubeconfig (contexts = cluster names) and kubectl. */
export class Product {
  readonly processes: CliProcess[] = [];
  kubectl!: Kubectl;

  constructor(readonly dir: string) {}

  get kubeconfigPath(): string {
    return join(this.dir, 'kubeconfig');
  }

  /** The sim's admin token (fault injection), written by `tidepool sim` / `tidepool demo` into --dir. */
  adminToken(): string {
    return readFileSync(join(this.dir, 'admin-token'), 'utf8').trim();
  }

  async start(args: string[], ready: RegExp, timeoutMs = 60_000): Promise<CliProcess> {
    const p = await startCli(args, ready, timeoutMs);
    this.processes.push(p);
    return p;
  }

  useKubeconfig(): void {
    this.kubectl = new Kubectl(readFileSync(this.kubeconfigPath, 'utf8'));
  }

  async stop(): Promise<void> {
    for (const p of this.processes.splice(0).reverse()) await p.kill();
    this.kubectl?.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * kubectl's JSON output, which for a few hundred pods passes the 1 MiB that the shared helper's
   * execFile buffers (it then kills kubectl): the same kubectl, with room for the answer.
   */
  kubectlJson<T>(args: string[], timeoutMs = 20_000): Promise<T> {
    const k = this.kubectl;
    return new Promise((resolve, reject) => {
      execFile(
        'kubectl',
        ['--kubeconfig', k.kubeconfigPath, ...args, '-o', 'json'],
        { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, KUBECONFIG: k.kubeconfigPath, HOME: k.dir } },
        (err, stdout, stderr) => (err ? reject(new Error(`kubectl ${args.join(' ')} failed: ${stderr || err.message}`)) : resolve(JSON.parse(stdout) as T)),
      );
    });
  }

  async pods(context: string, namespace = SPARK_NAMESPACE, selector?: string): Promise<PodJson[]> {
    return (await this.kubectlJson<{ items: PodJson[] }>(['--context', context, 'get', 'pods', '-n', namespace, ...(selector ? ['-l', selector] : [])])).items;
  }

  async pod(context: string, name: string, namespace = SPARK_NAMESPACE): Promise<PodJson> {
    return this.kubectlJson<PodJson>(['--context', context, 'get', 'pod', '-n', namespace, name]);
  }

  async events(context: string, namespace = SPARK_NAMESPACE): Promise<EventJson[]> {
    return (await this.kubectlJson<{ items: EventJson[] }>(['--context', context, 'get', 'events', '-n', namespace])).items;
  }

  /** Mirrors of host pods in a member, keyed by the host pod's name (origin annotations). */
  async mirrors(member: string, namespace = SPARK_NAMESPACE): Promise<Map<string, PodJson>> {
    const out = new Map<string, PodJson>();
    for (const p of await this.pods(member, namespace, 'tidepool.dev/origin-cluster')) {
      const origin = p.metadata.annotations?.['tidepool.dev/origin-name'];
      if (origin) out.set(origin, p);
    }
    return out;
  }

  /** Applies objects with kubectl, in the given context, as a YAML stream. */
  async apply(context: string, objects: object[]): Promise<string> {
    return this.kubectl.ok(['--context', context, 'apply', '-f', '-'], { input: objects.map((o) => YAML.stringify(o)).join('---\n') });
  }

  /** POSTs to the sim's admin endpoint (its URL from `tidepool sim`'s ready lines). */
  async admin(adminUrl: string, path: string, body: object): Promise<unknown> {
    const res = await fetch(`${adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${this.adminToken()}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`admin ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  }
}

export function newProduct(name: string): Product {
  return new Product(mkdtempSync(join(tmpdir(), `tidepool-e2e-${name}-`)));
}

/** `tidepool demo` at a small size on free ports; resolves once it says "stop with Ctrl-C". */
export async function startDemo(p: Product, args: string[]): Promise<{ cli: CliProcess; consoleUrl: string }> {
  const cli = await p.start(['demo', '--dir', p.dir, '--console', '127.0.0.1:0', '--host-nodes', '1', '--node-cpu', '16', '--node-memory', '64Gi', ...args], /^stop with Ctrl-C$/m, 70_000);
  p.useKubeconfig();
  const consoleUrl = /^capacity console: (http:\/\/127\.0\.0\.1:\d+)\//m.exec(cli.stdout())?.[1];
  if (!consoleUrl) throw new Error(`the demo printed no console URL: ${cli.stdout()}`);
  return { cli, consoleUrl };
}

/** The admin endpoint `tidepool sim` prints. */
export function adminUrlOf(sim: CliProcess): string {
  const url = /fault injection: curl .* (http:\/\/127\.0\.0\.1:\d+)\/clusters/.exec(sim.stdout())?.[1];
  if (!url) throw new Error(`tidepool sim printed no admin endpoint: ${sim.stdout()}`);
  return url;
}

export interface SparkPodOptions {
  /** Which virtual node: a nodeSelector on its hostname label, as spark.kubernetes.node.selector.* sets it. */
  node: string;
  /** Simulated run time (sim.tidepool.dev/duration), e.g. "6m". */
  duration: string;
  cpu?: string;
  memory?: string;
  annotations?: Record<string, string>;
}

function sparkLabels(app: string, role: 'driver' | 'executor', extra: Record<string, string> = {}): Record<string, string> {
  return { 'spark-app-selector': `spark-${app}`, 'spark-app-name': app, 'spark-role': role, 'spark-version': '3.5.1', ...extra };
}

/** A Spark driver pod as spark-submit creates it in cluster mode. */
export function sparkDriver(app: string, o: SparkPodOptions): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${app}-driver`, namespace: SPARK_NAMESPACE, labels: sparkLabels(app, 'driver'), annotations: { [DURATION]: o.duration, ...o.annotations } },
    spec: {
      restartPolicy: 'Never',
      nodeSelector: { 'kubernetes.io/hostname': o.node },
      tolerations: [VIRTUAL_NODE_TOLERATION],
      containers: [
        {
          name: 'spark-kubernetes-driver',
          image: 'apache/spark:3.5.1',
          args: ['driver', '--class', 'org.apache.spark.examples.SparkPi'],
          env: [{ name: 'SPARK_APPLICATION_ID', value: `spark-${app}` }],
          resources: { requests: { cpu: o.cpu ?? '1', memory: o.memory ?? '1408Mi' }, limits: { memory: o.memory ?? '1408Mi' } },
        },
      ],
    },
  };
}

/**
 * An executor as the driver's ExecutorPodsAllocator creates it: Spark's labels with its exec id,
 * owned by the driver pod (so deleting the driver takes its executors), the driver's node selector.
 */
export function sparkExecutor(app: string, id: number, driverUid: string, o: SparkPodOptions): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${app}-exec-${id}`,
      namespace: SPARK_NAMESPACE,
      labels: sparkLabels(app, 'executor', { 'spark-exec-id': String(id), 'spark-exec-resourceprofile-id': '0' }),
      annotations: { [DURATION]: o.duration, ...o.annotations },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: `${app}-driver`, uid: driverUid, controller: true }],
    },
    spec: {
      restartPolicy: 'Never',
      hostname: `${app}-exec-${id}`,
      nodeSelector: { 'kubernetes.io/hostname': o.node },
      tolerations: [VIRTUAL_NODE_TOLERATION],
      containers: [
        {
          name: 'spark-kubernetes-executor',
          image: 'apache/spark:3.5.1',
          args: ['executor'],
          env: [
            { name: 'SPARK_EXECUTOR_ID', value: String(id) },
            { name: 'SPARK_DRIVER_URL', value: `spark://CoarseGrainedScheduler@${app}-driver-svc.${SPARK_NAMESPACE}.svc:7078` },
          ],
          resources: { requests: { cpu: o.cpu ?? '1', memory: o.memory ?? '1408Mi' }, limits: { memory: o.memory ?? '1408Mi' } },
        },
      ],
    },
  };
}

/** Submits a driver and waits for its uid (executors are owned by it), as spark-submit then the driver do. */
export async function submitDriver(p: Product, app: string, o: SparkPodOptions): Promise<string> {
  await p.apply('host', [sparkDriver(app, o)]);
  return (await p.pod('host', `${app}-driver`)).metadata.uid;
}

export function phases(pods: PodJson[]): Record<string, string> {
  return Object.fromEntries(pods.map((x) => [x.metadata.name, x.status.phase ?? 'Pending']));
}
