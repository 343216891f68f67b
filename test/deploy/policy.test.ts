// What deploy/ promises about itself, read from what kustomize renders for each entry point:
// least-privilege RBAC (no wildcard, no built-in admin role, no dangling reference), the
// control plane's Deployments (replicas, leader election, probes on ports that exist, resources,
// Pod Security "restricted" in tidepool-system), the only privileged pod being the node agent
// with only the host paths it needs, flags every command really has, Services and
// ServiceMonitors that select what exists, the PriorityClasses and the webhook the code itself
// would register, and a dashboard whose every metric has an owner whose test scrapes it.
import { describe, expect, it } from 'vitest';
import { PRIORITY_CLASSES, webhookConfiguration } from '../../cli/colocation-register.js';
import { tidepoolProgram } from '../../cli/program.js';
import { dashboardMetrics, dashboardPanels, ownerOf } from './dashboard.js';
import { ENTRY_POINTS, find, podSpecOf, render, type Container, type K8sObject } from './kustomize.js';

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'Job']);
/** The components whose deploy test scrapes /metrics (see METRIC_OWNERS). */
const SCRAPED = new Set(['virtual-node', 'capacity', 'agent', 'scheduler', 'webhook', 'batch-controller']);
/** Replicas and leader election per Deployment: two replicas, one leader, except where said. */
const DEPLOYMENTS: Record<string, { replicas: number; leaderElected: boolean; why?: string }> = {
  'tidepool-virtual-node': { replicas: 2, leaderElected: true },
  'tidepool-scheduler': { replicas: 2, leaderElected: true },
  'tidepool-batch-controller': { replicas: 2, leaderElected: true },
  'tidepool-webhook': { replicas: 2, leaderElected: false, why: 'stateless: every replica answers reviews' },
  'tidepool-capacity': { replicas: 1, leaderElected: false, why: 'a read API; the virtual node, not it, places pods' },
};
const AGENT_HOST_PATHS = ['/sys/fs/cgroup', '/sys/fs/resctrl', '/var/lib/tidepool-agent'];

async function everything(): Promise<Array<{ ep: string; objects: K8sObject[] }>> {
  return Promise.all(ENTRY_POINTS.map(async (ep) => ({ ep, objects: await render(ep) })));
}

function workloads(objects: readonly K8sObject[]): K8sObject[] {
  return objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
}

function containers(o: K8sObject): Container[] {
  const s = podSpecOf(o);
  return [...(s.initContainers ?? []), ...s.containers];
}

function knownFlags(): Map<string, Set<string>> {
  const program = tidepoolProgram();
  return new Map(program.commands.map((c) => [c.name(), new Set(c.options.map((o) => o.long!).filter(Boolean))]));
}

describe('deploy/ RBAC', () => {
  it('grants no wildcard and binds no built-in role: every rule names its verbs, groups and resources', async () => {
    const problems: string[] = [];
    for (const { ep, objects } of await everything()) {
      for (const r of objects.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')) {
        for (const rule of (r['rules'] as Array<Record<string, string[]>>) ?? []) {
          for (const field of ['verbs', 'apiGroups', 'resources', 'nonResourceURLs']) {
            if ((rule[field] ?? []).some((v) => v.includes('*'))) problems.push(`${ep}: ${r.kind} ${r.metadata.name} has a wildcard in ${field}`);
          }
          if (!rule['verbs']?.length || (!rule['resources']?.length && !rule['nonResourceURLs']?.length)) problems.push(`${ep}: ${r.kind} ${r.metadata.name} has an empty rule`);
        }
        if (r['aggregationRule']) problems.push(`${ep}: ${r.kind} ${r.metadata.name} aggregates other roles`);
      }
      for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
        const ref = b['roleRef'] as { kind: string; name: string };
        if (['cluster-admin', 'admin', 'edit', 'view'].includes(ref.name) || ref.name.startsWith('system:')) problems.push(`${ep}: ${b.kind} ${b.metadata.name} binds the built-in ${ref.name}`);
        const there = objects.some((o) => o.kind === ref.kind && o.metadata.name === ref.name && (ref.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace));
        if (!there) problems.push(`${ep}: ${b.kind} ${b.metadata.name} refers to ${ref.kind} ${ref.name}, which it does not ship`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs every workload as a ServiceAccount it ships, never the namespace default', async () => {
    for (const { ep, objects } of await everything()) {
      for (const w of workloads(objects)) {
        const sa = podSpecOf(w).serviceAccountName;
        expect(sa, `${ep}: ${w.kind} ${w.metadata.name}`).toMatch(/^tidepool-/);
        expect(() => find(objects, 'ServiceAccount', sa!, w.metadata.namespace)).not.toThrow();
      }
    }
  });
});

describe('deploy/ workloads', () => {
  it('runs the control plane as Deployments with their replicas, leader election on a Lease in tidepool-system, probes and resources', async () => {
    const objects = await render('base');
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(Object.keys(DEPLOYMENTS).sort());
    for (const d of deployments) {
      const want = DEPLOYMENTS[d.metadata.name]!;
      expect((d['spec'] as { replicas: number }).replicas, d.metadata.name).toBe(want.replicas);
      const c = podSpecOf(d).containers[0]!;
      const args = c.args ?? [];
      if (want.leaderElected) {
        expect(args, d.metadata.name).toContain('--leader-election-namespace=tidepool-system');
        expect(args).not.toContain('--no-leader-elect');
        const role = find(objects, 'Role', d.metadata.name, 'tidepool-system');
        expect(role['rules'], d.metadata.name).toContainEqual({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] });
      }
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        const port = (probe?.['httpGet'] as { port?: string } | undefined)?.port;
        expect(port && ports.has(port), `${d.metadata.name}: a probe on a named port of the container`).toBe(true);
      }
      expect(c.resources?.requests?.['cpu'], d.metadata.name).toBeDefined();
      expect(c.resources?.requests?.['memory']).toBeDefined();
      expect(c.resources?.limits?.['memory']).toBeDefined();
    }
  });

  it('meets Pod Security "restricted" in tidepool-system: non-root, no privilege, no escalation, all capabilities dropped, RuntimeDefault seccomp, no host namespaces or paths', async () => {
    const problems: string[] = [];
    for (const { ep, objects } of await everything()) {
      const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === 'tidepool-system');
      if (ns) expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
      for (const w of workloads(objects).filter((o) => o.metadata.namespace === 'tidepool-system')) {
        const s = podSpecOf(w);
        const podSc = s.securityContext ?? {};
        const where = `${ep}: ${w.kind} ${w.metadata.name}`;
        if (s.hostPID || s.hostNetwork || s.hostIPC) problems.push(`${where}: host namespaces`);
        if ((s.volumes ?? []).some((v) => v.hostPath)) problems.push(`${where}: hostPath volume`);
        for (const c of containers(w)) {
          const sc = c.securityContext ?? {};
          const runAsNonRoot = sc['runAsNonRoot'] ?? podSc['runAsNonRoot'];
          const runAsUser = (sc['runAsUser'] ?? podSc['runAsUser']) as number | undefined;
          const seccomp = (sc['seccompProfile'] ?? podSc['seccompProfile']) as { type?: string } | undefined;
          if (runAsNonRoot !== true || runAsUser === 0) problems.push(`${where}/${c.name}: may run as root`);
          if (sc['privileged'] === true) problems.push(`${where}/${c.name}: privileged`);
          if (sc['allowPrivilegeEscalation'] !== false) problems.push(`${where}/${c.name}: allowPrivilegeEscalation is not false`);
          if (!((sc['capabilities'] as { drop?: string[] } | undefined)?.drop ?? []).includes('ALL')) problems.push(`${where}/${c.name}: capabilities not dropped`);
          if (seccomp?.type !== 'RuntimeDefault' && seccomp?.type !== 'Localhost') problems.push(`${where}/${c.name}: no seccomp profile`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('makes only the node agent privileged, in tidepool-node, with hostPID and only the cgroup, resctrl and state host paths', async () => {
    for (const { ep, objects } of await everything()) {
      for (const w of workloads(objects)) {
        const s = podSpecOf(w);
        const privileged = containers(w).filter((c) => c.securityContext?.['privileged'] === true);
        const hostPaths = (s.volumes ?? []).flatMap((v) => (v.hostPath ? [v.hostPath.path] : []));
        if (w.metadata.name !== 'tidepool-agent') {
          expect({ w: `${ep}: ${w.metadata.name}`, privileged: privileged.length, hostPaths, hostPID: s.hostPID ?? false }).toEqual({ w: `${ep}: ${w.metadata.name}`, privileged: 0, hostPaths: [], hostPID: false });
          continue;
        }
        expect(w.kind).toBe('DaemonSet');
        expect(w.metadata.namespace).toBe('tidepool-node');
        expect(find(objects, 'Namespace', 'tidepool-node').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
        expect(privileged.map((c) => c.name)).toEqual(['agent']);
        expect(s.hostPID).toBe(true);
        expect(s.hostNetwork ?? false).toBe(false);
        expect(hostPaths.sort()).toEqual([...AGENT_HOST_PATHS].sort());
        const args = s.containers[0]!.args!;
        expect(args).toContain('--cgroup-root=/host/sys/fs/cgroup');
        expect(args).toContain('--resctrl-root=/host/sys/fs/resctrl');
      }
    }
  });

  it('passes each command only flags it has', async () => {
    const known = knownFlags();
    for (const { ep, objects } of await everything()) {
      for (const w of workloads(objects)) {
        const args = podSpecOf(w).containers[0]!.args ?? [];
        const flags = known.get(args[0]!);
        expect(flags, `${ep}: ${w.metadata.name} runs "${args[0]}"`).toBeDefined();
        for (const a of args.slice(1)) expect(flags!.has(a.split('=')[0]!), `${ep}: ${w.metadata.name}: ${a}`).toBe(true);
      }
    }
  });

  it('runs one image everywhere, which the overlays pin', async () => {
    for (const { ep, objects } of await everything()) {
      for (const w of workloads(objects)) for (const c of containers(w)) expect(c.image, `${ep}: ${w.metadata.name}`).toBe('ghcr.io/tidepool/tidepool:0.1.0');
    }
  });
});

describe('deploy/ services, webhook and priority classes', () => {
  it('points every Service at pods that exist, on container ports that exist', async () => {
    for (const { ep, objects } of await everything()) {
      for (const svc of objects.filter((o) => o.kind === 'Service')) {
        const spec = svc['spec'] as { selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> };
        const pods = workloads(objects).filter((w) => {
          const labels = (w['spec'] as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
          return w.metadata.namespace === svc.metadata.namespace && Object.entries(spec.selector).every(([k, v]) => labels[k] === v);
        });
        expect(pods.length, `${ep}: Service ${svc.metadata.name} selects a workload`).toBe(1);
        const portNames = new Set(podSpecOf(pods[0]!).containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
        for (const p of spec.ports) expect(portNames.has(p.targetPort), `${ep}: ${svc.metadata.name} → ${p.targetPort}`).toBe(true);
      }
    }
  });

  it('scrapes with ServiceMonitors that select Tidepool Services on ports they have', async () => {
    for (const ep of ['overlays/all', 'overlays/federation', 'overlays/colocation'] as const) {
      const objects = await render(ep);
      const services = objects.filter((o) => o.kind === 'Service');
      for (const sm of objects.filter((o) => o.kind === 'ServiceMonitor')) {
        const spec = sm['spec'] as { selector: { matchLabels: Record<string, string> }; namespaceSelector?: { matchNames: string[] }; endpoints: Array<{ port: string }> };
        const namespaces = spec.namespaceSelector?.matchNames ?? [sm.metadata.namespace!];
        const selected = services.filter((s) => namespaces.includes(s.metadata.namespace!) && Object.entries(spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
        expect(selected.length, `${ep}: ServiceMonitor ${sm.metadata.name}`).toBeGreaterThan(0);
        for (const s of selected) {
          const ports = (s['spec'] as { ports: Array<{ name: string }> }).ports.map((p) => p.name);
          for (const e of spec.endpoints) expect(ports, `${ep}: ${sm.metadata.name} → ${s.metadata.name}`).toContain(e.port);
        }
      }
    }
  });

  it('ships the PriorityClasses the webhook names, as --register-webhook would create them', async () => {
    const objects = await render('base');
    const shipped = objects.filter((o) => o.kind === 'PriorityClass').map((o) => ({ name: o.metadata.name, value: o['value'], preemptionPolicy: o['preemptionPolicy'], globalDefault: o['globalDefault'], description: o['description'] }));
    const code = PRIORITY_CLASSES.map((p) => ({ name: p.metadata.name, value: p.value, preemptionPolicy: p.preemptionPolicy, globalDefault: p.globalDefault, description: p.description }));
    expect(shipped.sort((a, b) => a.name.localeCompare(b.name))).toEqual([...code].sort((a, b) => a.name.localeCompare(b.name)));
  });

  it('registers the webhook --register-webhook would, through the Service to the port the webhook serves', async () => {
    const objects = await render('overlays/all');
    const mwc = find(objects, 'MutatingWebhookConfiguration', 'tidepool-colocation');
    const [ours] = mwc['webhooks'] as Array<Record<string, unknown>>;
    const [theirs] = webhookConfiguration({ url: 'https://x/mutate-pods', caPem: 'x' })['webhooks'] as Array<Record<string, unknown>>;
    const { clientConfig, namespaceSelector, ...rest } = ours!;
    const { clientConfig: _c, namespaceSelector: codeSelector, ...codeRest } = theirs!;
    expect(rest).toEqual(codeRest);
    // The same selector, with Tidepool's own namespaces also left alone.
    const values = (namespaceSelector as { matchExpressions: Array<{ values: string[] }> }).matchExpressions[0]!.values;
    expect(values).toEqual(expect.arrayContaining((codeSelector as { matchExpressions: Array<{ values: string[] }> }).matchExpressions[0]!.values));
    expect(values).toEqual(expect.arrayContaining(['tidepool-system', 'tidepool-node']));
    const svcRef = (clientConfig as { service: { name: string; namespace: string; path: string; port: number } }).service;
    expect(svcRef).toEqual({ name: 'tidepool-webhook', namespace: 'tidepool-system', path: '/mutate-pods', port: 443 });
    const svc = find(objects, 'Service', 'tidepool-webhook', 'tidepool-system');
    const target = (svc['spec'] as { ports: Array<{ port: number; targetPort: string }> }).ports.find((p) => p.port === 443)!.targetPort;
    const c = podSpecOf(find(objects, 'Deployment', 'tidepool-webhook', 'tidepool-system')).containers[0]!;
    const containerPort = c.ports!.find((p) => p.name === target)!.containerPort;
    expect(c.args).toContain(`--secure-port=${containerPort}`);
    // cert-manager fills in the CA and makes the Secret the webhook mounts.
    expect(mwc.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe('tidepool-system/tidepool-webhook');
    expect((find(objects, 'Certificate', 'tidepool-webhook', 'tidepool-system')['spec'] as { secretName: string; dnsNames: string[] })).toMatchObject({ secretName: 'tidepool-webhook-tls', dnsNames: expect.arrayContaining(['tidepool-webhook.tidepool-system.svc']) });
  });
});

describe('the Grafana dashboard', () => {
  it('queries only metrics a component owns, and each owner\'s deploy test scrapes it', () => {
    const metrics = dashboardMetrics();
    expect(metrics.length).toBeGreaterThan(10);
    const orphans = metrics.filter((m) => !ownerOf(m) || !SCRAPED.has(ownerOf(m)!));
    expect(orphans).toEqual([]);
    for (const c of SCRAPED) expect(metrics.some((m) => ownerOf(m) === c), `a panel for ${c}`).toBe(true);
  });

  it('has a Prometheus query on every panel, through the datasource variable', () => {
    for (const p of dashboardPanels().filter((x) => x.type !== 'row')) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.expr, p.title).toMatch(/tidepool_/);
    }
  });

  it('is shipped as a ConfigMap Grafana\'s sidecar picks up', async () => {
    const cm = find(await render('overlays/all'), 'ConfigMap', 'tidepool-grafana-dashboard', 'tidepool-system');
    expect(cm.metadata.labels?.['grafana_dashboard']).toBe('1');
    expect(JSON.parse((cm['data'] as Record<string, string>)['tidepool-dashboard.json']!)).toHaveProperty('uid', 'tidepool-overview');
  });
});
