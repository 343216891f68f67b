// What `kubectl kustomize` makes of deploy/: the entry points users apply (`kubectl apply -k`),
// their objects, and the pieces of them the tests run components with (container args, the
// in-cluster kubeconfig, the RBAC objects).
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';

const run = promisify(execFile);

export const REPO = resolve(import.meta.dirname, '../..');
export const DEPLOY = join(REPO, 'deploy');

/** What users run `kubectl apply -k` on, relative to deploy/. */
export const ENTRY_POINTS = ['base', 'overlays/federation', 'overlays/colocation', 'overlays/all', 'member'] as const;
export type EntryPoint = (typeof ENTRY_POINTS)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

const rendered = new Map<string, Promise<K8sObject[]>>();

/** The objects `kubectl kustomize deploy/<dir>` renders (once per process). */
export function render(dir: string): Promise<K8sObject[]> {
  let p = rendered.get(dir);
  if (!p) {
    p = run('kubectl', ['kustomize', join(DEPLOY, dir)], { timeout: 60_000, maxBuffer: 16 << 20 }).then(({ stdout }) =>
      YAML.parseAllDocuments(stdout)
        .map((d) => d.toJS() as K8sObject | null)
        .filter((o): o is K8sObject => o !== null),
    );
    rendered.set(dir, p);
  }
  return p;
}

export function toYaml(objects: readonly K8sObject[]): string {
  return objects.map((o) => YAML.stringify(o)).join('---\n');
}

export function find(objects: readonly K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name && (namespace === undefined || x.metadata.namespace === namespace));
  if (!o) throw new Error(`no ${kind} ${namespace ? `${namespace}/` : ''}${name} in the rendered manifests`);
  return o;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean; mountPropagation?: string }>;
}

export interface PodSpec {
  serviceAccountName?: string;
  hostPID?: boolean;
  hostNetwork?: boolean;
  hostIPC?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; hostPath?: { path: string; type?: string }; [k: string]: unknown }>;
}

/** The pod template of a Deployment, DaemonSet or Job. */
export function podSpecOf(o: K8sObject): PodSpec {
  return ((o['spec'] as { template: { spec: PodSpec } }).template.spec);
}

/** The container args of a workload, with $(VAR) and flag values replaced as a test runs it locally. */
export function argsOf(o: K8sObject, replace: Record<string, string | null> = {}, vars: Record<string, string> = {}): string[] {
  const args = podSpecOf(o).containers[0]!.args ?? [];
  const out: string[] = [];
  for (const a of args) {
    const flag = a.split('=')[0]!;
    if (flag in replace) {
      const v = replace[flag];
      if (v !== null && v !== undefined) out.push(v);
      continue;
    }
    out.push(a.replace(/\$\(([A-Z_]+)\)/g, (m, name: string) => vars[name] ?? m));
  }
  return out;
}

const RBAC_KINDS = new Set(['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

/** The objects that say who a component is and what it may do (no workloads, no webhooks). */
export function identityObjects(objects: readonly K8sObject[]): K8sObject[] {
  return objects.filter((o) => RBAC_KINDS.has(o.kind));
}

/**
 * The in-cluster kubeconfig the virtual node and the capacity API are given, pointed at a test
 * cluster instead of the kubernetes Service and at a directory holding the pod's `token` and
 * `ca.crt` instead of the projected ServiceAccount volume.
 */
export function inClusterKubeconfig(objects: readonly K8sObject[], server: string, serviceAccountDir: string): string {
  const cm = find(objects, 'ConfigMap', 'tidepool-in-cluster-kubeconfig', 'tidepool-system');
  const text = (cm['data'] as Record<string, string>)['kubeconfig']!;
  return text.replaceAll('https://kubernetes.default.svc', server).replaceAll('/var/run/secrets/kubernetes.io/serviceaccount', serviceAccountDir);
}
