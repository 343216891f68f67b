// The real kubectl (1.32, on PATH) against the sim, unmodified: apply, get (json, wide,
// watch), label, annotate, patch, describe, logs, graceful delete, events, CRDs with
// printer columns and a status subresource, and a Deployment + Service manifest.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { sleep, startTestSim, waitFor, type TestSim } from './helpers.js';

let t: TestSim;
let k: Kubectl;

const POD = (image: string, labels: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {${labels}}
spec:
  schedulerName: default-scheduler
  containers:
  - name: app
    image: ${image}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
`;

/** Splits kubectl's column output into rows of cells. */
function table(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

interface PodJson {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion: string; deletionTimestamp?: string };
  spec: { nodeName?: string; containers: Array<{ name: string; image: string; env?: Array<{ name: string; value: string }> }> };
  status: { phase: string; podIP?: string };
}

async function getPod(name: string): Promise<PodJson> {
  return JSON.parse(await k.ok(['get', 'pod', name, '-o', 'json'])) as PodJson;
}

// Each test runs several kubectl processes; a loaded CI machine gets headroom.
describe.skipIf(!hasKubectl)('kubectl against the sim', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    t = await startTestSim({ clusters: ['host'], nodes: 2, startDelayMs: 100, terminationDelayMs: 200 });
    k = new Kubectl(t.sim.kubeconfig);
  });

  afterAll(async () => {
    k?.cleanup();
    await t?.stop();
  });

  it('get nodes shows NAME STATUS ROLES AGE VERSION', async () => {
    const rows = table(await k.ok(['get', 'nodes']));
    expect(rows[0]).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[4]])).toEqual([
      ['host-node-0', 'Ready', '<none>', 'v1.32.0-sim'],
      ['host-node-1', 'Ready', '<none>', 'v1.32.0-sim'],
    ]);
  });

  it('apply creates a pod, re-apply of a change configures it, re-apply unchanged is a no-op', async () => {
    const path = k.writeFile('pod.yaml', POD('nginx:1.27', 'app: web'));
    expect((await k.ok(['apply', '-f', path])).trim()).toBe('pod/web created');
    const first = await getPod('web');
    expect(first.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('"name":"web"');
    k.writeFile('pod.yaml', POD('nginx:1.27', 'app: web, tier: front'));
    expect((await k.ok(['apply', '-f', path])).trim()).toBe('pod/web configured');
    const second = await getPod('web');
    expect(second.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect((await k.ok(['apply', '-f', path])).trim()).toBe('pod/web unchanged');
    // Removing a label from the manifest removes it from the object (three-way merge).
    k.writeFile('pod.yaml', POD('nginx:1.27', 'app: web'));
    expect((await k.ok(['apply', '-f', path])).trim()).toBe('pod/web configured');
    expect((await getPod('web')).metadata.labels).toEqual({ app: 'web' });
  });

  it('get -o json shows the running pod; get -o wide has IP and NODE', async () => {
    const pod = await waitFor('Running', async () => {
      const p = await getPod('web');
      return p.status.phase === 'Running' ? p : undefined;
    });
    expect(pod.spec.nodeName).toMatch(/^host-node-\d$/);
    const rows = table(await k.ok(['get', 'pods', '-o', 'wide']));
    expect(rows[0]!.slice(0, 7)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
    const row = rows.find((r) => r[0] === 'web')!;
    expect([row[1], row[2], row[3], row[5], row[6]]).toEqual(['1/1', 'Running', '0', pod.status.podIP, pod.spec.nodeName]);
    const plain = table(await k.ok(['get', 'pods']));
    expect(plain[0]).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  });

  it('label and annotate, including overwrite and removal', async () => {
    expect(await k.ok(['label', 'pod', 'web', 'team=blue'])).toContain('pod/web labeled');
    expect((await k.run(['label', 'pod', 'web', 'team=red'])).code).not.toBe(0);
    await k.ok(['label', 'pod', 'web', 'team=red', '--overwrite']);
    expect(await k.ok(['annotate', 'pod', 'web', 'owner=alice'])).toContain('pod/web annotated');
    let pod = await getPod('web');
    expect(pod.metadata.labels?.['team']).toBe('red');
    expect(pod.metadata.annotations?.['owner']).toBe('alice');
    await k.ok(['label', 'pod', 'web', 'team-']);
    await k.ok(['annotate', 'pod', 'web', 'owner-']);
    pod = await getPod('web');
    expect(pod.metadata.labels?.['team']).toBeUndefined();
    expect(pod.metadata.annotations?.['owner']).toBeUndefined();
    const selected = await k.ok(['get', 'pods', '-l', 'app=web', '-o', 'name']);
    expect(selected.trim()).toBe('pod/web');
  });

  it('patch: merge, json and strategic (containers merged by name)', async () => {
    await k.ok(['patch', 'pod', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']);
    await k.ok(['patch', 'pod', 'web', '--type=json', '-p', '[{"op":"add","path":"/metadata/labels/j","value":"2"}]']);
    await k.ok(['patch', 'pod', 'web', '-p', '{"spec":{"containers":[{"name":"app","image":"nginx:1.28"}]}}']);
    const pod = await getPod('web');
    expect(pod.metadata.labels).toMatchObject({ app: 'web', m: '1', j: '2' });
    // Strategic merge replaced the image of the container named "app" and kept its other fields.
    expect(pod.spec.containers).toHaveLength(1);
    expect(pod.spec.containers[0]).toMatchObject({ name: 'app', image: 'nginx:1.28' });
    const bad = await k.run(['patch', 'pod', 'web', '--type=json', '-p', '[{"op":"replace","path":"/metadata/nope/x","value":1}]']);
    expect(bad.code).not.toBe(0);
    // kube answers a patch that cannot be applied with 422, which kubectl prints this way.
    expect(bad.stderr).toMatch(/^The request is invalid: .*\/metadata\/nope\/x/);
  });

  it('describe pod and describe node', async () => {
    const pod = await getPod('web');
    const dp = await k.ok(['describe', 'pod', 'web']);
    expect(dp).toMatch(/^Name:\s+web$/m);
    expect(dp).toMatch(new RegExp(`^Node:\\s+${pod.spec.nodeName}/`, 'm'));
    expect(dp).toMatch(/^Status:\s+Running$/m);
    expect(dp).toMatch(/^QoS Class:\s+Burstable$/m);
    expect(dp).toMatch(/Scheduled\s+.*default-scheduler\s+Successfully assigned default\/web/);
    const dn = await k.ok(['describe', 'node', pod.spec.nodeName!]);
    expect(dn).toMatch(new RegExp(`^Name:\\s+${pod.spec.nodeName}$`, 'm'));
    expect(dn).toMatch(/Ready\s+True\s+.*KubeletReady/);
    expect(dn).toMatch(/HolderIdentity:\s+host-node-\d/);
    expect(dn).toMatch(/Non-terminated Pods:\s+\(1 in total\)/);
    expect(dn).toMatch(/default\s+web\s+100m \(0%\)/);
  });

  it('logs: tail, timestamps and follow', async () => {
    const tail = (await k.ok(['logs', 'web', '--tail=2'])).trimEnd().split('\n');
    expect(tail).toHaveLength(2);
    expect(tail[0]).toMatch(/default\/web/);
    const ts = (await k.ok(['logs', 'web', '--tail=1', '--timestamps'])).trim();
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z .*default\/web/);
    // follow: the stream stays open and delivers new lines; we stop it ourselves.
    const child = spawn('kubectl', ['--kubeconfig', k.kubeconfigPath, 'logs', '-f', 'web', '--tail=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('two followed lines', () => out.split('\n').filter(Boolean).length >= 2, 8000);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('exec on a simulated node runs its built-in shell; an unknown command is "not found"', async () => {
    expect(await k.ok(['exec', 'web', '--', 'echo', 'hi'])).toBe('hi\n');
    const r = await k.run(['exec', 'web', '--', 'ls']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('ls: command not found');
  });

  it('get -w streams changes until stopped', async () => {
    const child = spawn('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pods', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('initial row', () => /web/.test(out));
      await k.ok(['label', 'pod', 'web', 'watched=yes']);
      await k.ok(['apply', '-f', k.writeFile('w2.yaml', POD('nginx:1.27', 'app: w2').replace('name: web', 'name: w2'))]);
      await waitFor('MODIFIED web and ADDED w2', () => /MODIFIED\s+web/.test(out) && /ADDED\s+w2/.test(out), 8000);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
    await k.ok(['delete', 'pod', 'w2', '--grace-period=0', '--force']);
  });

  it('delete with a grace period: Terminating first, then gone', async () => {
    // Watch the pod while deleting it: the kubelet may finish before a second `get` runs.
    const watch = spawn('kubectl', ['--kubeconfig', k.kubeconfigPath, 'get', 'pod', 'web', '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('initial row', () => /ADDED\s+web/.test(out));
      expect((await k.ok(['delete', 'pod', 'web', '--grace-period=5', '--wait=false'])).trim()).toBe('pod "web" deleted');
      await waitFor('Terminating, then DELETED', () => /MODIFIED\s+web\s+\S+\s+Terminating[\s\S]*DELETED\s+web/.test(out), 10_000);
    } finally {
      watch.kill('SIGTERM');
    }
    expect((await k.run(['get', 'pod', 'web'])).stderr).toContain('NotFound');
    // --wait (the default) returns once it is gone.
    await k.ok(['apply', '-f', k.writeFile('w3.yaml', POD('nginx:1.27', 'app: w3').replace('name: web', 'name: w3'))]);
    await waitFor('w3 running', async () => (await getPod('w3')).status.phase === 'Running');
    await k.ok(['delete', 'pod', 'w3', '--grace-period=2'], { timeoutMs: 20_000 });
    expect((await k.run(['get', 'pod', 'w3'])).stderr).toContain('NotFound');
  });

  it('get events lists what the scheduler recorded', async () => {
    const rows = table(await k.ok(['get', 'events']));
    expect(rows[0]).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    expect(rows.some((r) => r[2] === 'Scheduled' && r[3] === 'pod/web')).toBe(true);
    const filtered = table(await k.ok(['get', 'events', '--field-selector', 'reason=Scheduled,involvedObject.name=web']));
    expect(filtered.slice(1).every((r) => r[3] === 'pod/web')).toBe(true);
  });

  it('a CRD and its custom resources: apply, printer columns, status subresource', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Phase, type: string, jsonPath: .status.phase}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}, color: {type: string}}}
          status: {type: object, properties: {phase: {type: string}}}
`;
    const widget = (size: number): string => `apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
spec: {size: ${size}, color: red}
`;
    expect(await k.ok(['apply', '-f', k.writeFile('crd.yaml', crd)])).toContain('customresourcedefinition.apiextensions.k8s.io/widgets.example.com created');
    // kubectl caches discovery; the new group must show up in it.
    await waitFor('widget created', async () => (await k.run(['apply', '-f', k.writeFile('w1.yaml', widget(3))])).code === 0, 10_000);
    let rows = table(await k.ok(['get', 'widgets']));
    expect(rows[0]).toEqual(['NAME', 'SIZE', 'PHASE', 'AGE']);
    expect(rows[1]!.slice(0, 2)).toEqual(['w1', '3']);
    await k.ok(['patch', 'widget', 'w1', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Ready"}}']);
    // Status written through the main resource is ignored.
    await k.ok(['patch', 'wd', 'w1', '--type=merge', '-p', '{"status":{"phase":"Hacked"}}']);
    expect((await k.ok(['apply', '-f', k.writeFile('w1.yaml', widget(5))])).trim()).toBe('widget.example.com/w1 configured');
    rows = table(await k.ok(['get', 'wd']));
    expect(rows[1]!.slice(0, 3)).toEqual(['w1', '5', 'Ready']);
    const obj = JSON.parse(await k.ok(['get', 'widget', 'w1', '-o', 'json'])) as { metadata: { generation: number }; spec: unknown };
    expect(obj.spec).toEqual({ size: 5, color: 'red' });
    expect(obj.metadata.generation).toBe(2);
    await k.ok(['delete', 'crd', 'widgets.example.com']);
  });

  // kube's OpenAPI lists no strategic merge patch for custom resources, so kubectl re-applies them with a JSON merge patch.
  it('re-apply of a changed custom resource (kubectl falls back to a merge patch)', async () => {
    await k.ok(['apply', '-f', k.writeFile('crd2.yaml', `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`)]);
    const gizmo = (size: number): string => `apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g1}\nspec: {size: ${size}}\n`;
    await waitFor('gizmo created', async () => (await k.run(['apply', '-f', k.writeFile('g1.yaml', gizmo(1))])).code === 0, 10_000);
    expect((await k.ok(['apply', '-f', k.writeFile('g1.yaml', gizmo(2))])).trim()).toBe('gizmo.example.com/g1 configured');
    expect((await k.ok(['apply', '-f', k.writeFile('g1.yaml', gizmo(2))])).trim()).toBe('gizmo.example.com/g1 unchanged');
    expect(JSON.parse(await k.ok(['get', 'gizmo', 'g1', '-o', 'jsonpath={.spec}']))).toEqual({ size: 2 });
    await k.ok(['delete', 'crd', 'gizmos.example.com']);
  });

  it('a Deployment + Service manifest applies and is stored with no controller', async () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: nginx:1.27, ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
`;
    const path = k.writeFile('app.yaml', manifest);
    const out = await k.ok(['apply', '-f', path]);
    expect(out).toContain('deployment.apps/web created');
    expect(out).toContain('service/web created');
    const again = await k.ok(['apply', '-f', path]);
    expect(again).toContain('deployment.apps/web unchanged');
    expect(again).toContain('service/web unchanged');
    const dep = JSON.parse(await k.ok(['get', 'deployment', 'web', '-o', 'json'])) as { spec: { replicas: number }; metadata: { generation: number } };
    expect(dep.spec.replicas).toBe(2);
    expect(dep.metadata.generation).toBe(1);
    // The scale subresource: kubectl scale patches it, HPAs read it.
    expect((await k.ok(['scale', 'deployment', 'web', '--replicas=3'])).trim()).toBe('deployment.apps/web scaled');
    const scale = JSON.parse(await k.ok(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale'])) as { kind: string; spec: { replicas: number }; status: { selector: string } };
    expect(scale).toMatchObject({ kind: 'Scale', spec: { replicas: 3 }, status: { selector: 'app=web' } });
    const guarded = await k.run(['scale', 'deployment', 'web', '--replicas=1', '--current-replicas=2']);
    expect(guarded.code).not.toBe(0);
    const scaled = JSON.parse(await k.ok(['get', 'deployment', 'web', '-o', 'json'])) as { spec: { replicas: number }; metadata: { generation: number } };
    expect(scaled.spec.replicas).toBe(3);
    expect(scaled.metadata.generation).toBe(2);
    const rows = table(await k.ok(['get', 'svc', 'web']));
    expect(rows[0]!.slice(0, 3)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP']);
    expect(rows[1]![1]).toBe('ClusterIP');
    // No controller: no pods appear for the Deployment.
    await sleep(200);
    expect((await k.ok(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim()).toBe('');
  });

  it('create namespace/configmap/secret/serviceaccount/priorityclass/deployment/job/service (typed clients send protobuf)', async () => {
    expect((await k.ok(['create', 'namespace', 'team-a'])).trim()).toBe('namespace/team-a created');
    const ns = JSON.parse(await k.ok(['get', 'namespace', 'team-a', '-o', 'json'])) as { metadata: { labels: Record<string, string> }; status: { phase: string } };
    expect(ns.metadata.labels['kubernetes.io/metadata.name']).toBe('team-a');
    expect(ns.status.phase).toBe('Active');
    await k.ok(['-n', 'team-a', 'create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two', '--dry-run=server']);
    expect((await k.run(['-n', 'team-a', 'get', 'configmap', 'cfg'])).code).not.toBe(0);
    await k.ok(['-n', 'team-a', 'create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two']);
    expect(JSON.parse(await k.ok(['-n', 'team-a', 'get', 'configmap', 'cfg', '-o', 'jsonpath={.data}']))).toEqual({ a: '1', b: 'two' });
    await k.ok(['-n', 'team-a', 'create', 'secret', 'generic', 'sec', '--from-literal=pw=hunter2']);
    const pw = (await k.ok(['-n', 'team-a', 'get', 'secret', 'sec', '-o', 'jsonpath={.data.pw}'])).trim();
    expect(Buffer.from(pw, 'base64').toString()).toBe('hunter2');
    expect((await k.ok(['-n', 'team-a', 'get', 'secret', 'sec', '-o', 'jsonpath={.type}'])).trim()).toBe('Opaque');
    await k.ok(['-n', 'team-a', 'create', 'serviceaccount', 'bot']);
    expect((await k.ok(['-n', 'team-a', 'get', 'serviceaccount', 'bot', '-o', 'name'])).trim()).toBe('serviceaccount/bot');
    await k.ok(['create', 'priorityclass', 'offline', '--value=-10', '--description=batch work', '--preemption-policy=Never']);
    const pc = JSON.parse(await k.ok(['get', 'priorityclass', 'offline', '-o', 'json'])) as { value: number; description: string; preemptionPolicy: string; globalDefault?: boolean };
    expect(pc).toMatchObject({ value: -10, description: 'batch work', preemptionPolicy: 'Never' });
    await k.ok(['-n', 'team-a', 'create', 'deployment', 'api', '--image=nginx:1.27', '--replicas=2', '--port=80']);
    const dep = JSON.parse(await k.ok(['-n', 'team-a', 'get', 'deployment', 'api', '-o', 'json'])) as {
      spec: { replicas: number; selector: unknown; template: { spec: { containers: Array<{ name: string; image: string; ports: unknown }> } } };
    };
    expect(dep.spec.replicas).toBe(2);
    expect(dep.spec.selector).toEqual({ matchLabels: { app: 'api' } });
    expect(dep.spec.template.spec.containers[0]).toMatchObject({ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] });
    await k.ok(['-n', 'team-a', 'create', 'job', 'once', '--image=busybox', '--', 'echo', 'hi']);
    const job = JSON.parse(await k.ok(['-n', 'team-a', 'get', 'job', 'once', '-o', 'json'])) as { spec: { template: { spec: { restartPolicy: string; containers: Array<{ command: string[] }> } } } };
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(job.spec.template.spec.containers[0]!.command).toEqual(['echo', 'hi']);
    await k.ok(['-n', 'team-a', 'expose', 'deployment', 'api', '--port=81', '--target-port=http', '--name=api']);
    const svc = JSON.parse(await k.ok(['-n', 'team-a', 'get', 'service', 'api', '-o', 'json'])) as { spec: { ports: unknown; selector: unknown } };
    expect(svc.spec.ports).toEqual([{ port: 81, protocol: 'TCP', targetPort: 'http' }]);
    expect(svc.spec.selector).toEqual({ app: 'api' });
    await k.ok(['-n', 'team-a', 'create', 'service', 'clusterip', 'plain', '--tcp=8080:80']);
    expect(JSON.parse(await k.ok(['-n', 'team-a', 'get', 'service', 'plain', '-o', 'jsonpath={.spec.ports}']))).toEqual([{ name: '8080-80', port: 8080, protocol: 'TCP', targetPort: 80 }]);
    const dup = await k.run(['create', 'namespace', 'team-a']);
    expect(dup.stderr.trim()).toBe('Error from server (AlreadyExists): namespaces "team-a" already exists');
  });

  it('cordon, drain (eviction over protobuf) and uncordon a node', async () => {
    await k.ok(['apply', '-f', k.writeFile('d1.yaml', POD('nginx:1.27', 'app: d1').replace('name: web', 'name: d1'))]);
    const pod = await waitFor('d1 running', async () => {
      const p = await getPod('d1');
      return p.status.phase === 'Running' ? p : undefined;
    });
    const node = pod.spec.nodeName!;
    const out = await k.ok(['drain', node, '--force', '--ignore-daemonsets', '--grace-period=1', '--timeout=20s'], { timeoutMs: 30_000 });
    expect(out).toContain(`node/${node} cordoned`);
    expect(out).toContain('pod/d1 evicted');
    expect(out).toContain(`node/${node} drained`);
    expect((await k.run(['get', 'pod', 'd1'])).stderr).toContain('NotFound');
    const rows = table(await k.ok(['get', 'node', node]));
    expect(rows[1]![1]).toBe('Ready,SchedulingDisabled');
    await k.ok(['uncordon', node]);
    expect(table(await k.ok(['get', 'node', node]))[1]![1]).toBe('Ready');
  });

  it('errors come back as kubectl prints a real server\'s', async () => {
    const nf = await k.run(['get', 'pod', 'does-not-exist']);
    expect(nf.code).not.toBe(0);
    expect(nf.stderr.trim()).toBe('Error from server (NotFound): pods "does-not-exist" not found');
    const unknown = await k.run(['get', 'doodads']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/the server doesn't have a resource type "doodads"/);
  });
});
