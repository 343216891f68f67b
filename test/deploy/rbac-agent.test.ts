// The isolation agent as deploy/'s DaemonSet runs it (its args, with the host paths pointed at a
// node laid out on disk), as the tidepool-agent ServiceAccount, on a simulated cluster while
// every request it makes is recorded: it isolates the pods of its node, publishes what the node
// supports, reports a pod with a bad QoS label in an Event, and evicts an offline pod under
// memory pressure. Its RBAC must match what it used, both ways.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../kube/index.js';
import { renderKubeconfig } from '../../sim/index.js';
import { Kubectl, hasKubectl } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/wait.js';
import { DiskNode } from '../isolation/disk-node.js';
import { startTestSim, type TestSim } from '../sim/e2e/helpers.js';
import { freePort, startComponent, type ComponentProcess } from './component-process.js';
import { missingFromExport } from './dashboard.js';
import { argsOf, find, identityObjects, render, toYaml, type K8sObject } from './kustomize.js';
import { audit, grantsOf, recordRequests, type Recording } from './rbac-audit.js';

const NS = 'tidepool-node';
const USER = `system:serviceaccount:${NS}:tidepool-agent`;

let t: TestSim;
let dir: string;
let kubectl: Kubectl;
let admin: KubeClient;
let objects: K8sObject[];
let agent: ComponentProcess;
let rec: Recording;
let port: number;
let metricsText = '';

async function createPod(name: string, labels: Record<string, string>, requests: Record<string, string> | null, nodeName: string): Promise<string> {
  const pod = await admin.requestJson<{ metadata: { uid: string } }>({
    method: 'POST',
    path: '/api/v1/namespaces/default/pods',
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox', ...(requests ? { resources: { requests } } : {}) }] } },
  });
  return pod.metadata.uid;
}

beforeAll(async () => {
  if (!hasKubectl) return;
  dir = mkdtempSync(join(tmpdir(), 'tidepool-deploy-agent-'));
  t = await startTestSim({ clusters: ['host'], nodes: 1, scheduler: false, startDelayMs: 0 });
  kubectl = new Kubectl(t.sim.kubeconfig);
  admin = new KubeClient({ config: { kind: 'inline', text: t.sim.kubeconfig, context: 'host' }, timeoutMs: 10_000 });
  objects = await render('overlays/colocation');
  await kubectl.ok(['apply', '--server-side', '-f', kubectl.writeFile('identity.yaml', toYaml(identityObjects(objects)))], { timeoutMs: 60_000 });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  rec?.stop();
  admin?.close();
  kubectl?.cleanup();
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasKubectl)('the isolation agent with the RBAC deploy/ gives it', () => {
  it('isolates its node, reports bad input and evicts under memory pressure as tidepool-agent', { timeout: 120_000 }, async () => {
    const host = t.sim.cluster('host');
    const nodeName = host.fleet.nodeNames()[0]!;
    // 16 GiB, 1 GiB available: past the DaemonSet's --evict-memory-threshold-percent=90.
    const node = new DiskNode(mkdtempSync(join(dir, 'node-')), 4, 16 * 1024 * 1024, 1024 * 1024);
    const online = await createPod('web', { 'tidepool.dev/qos': 'online' }, { cpu: '500m', memory: '256Mi' }, nodeName);
    const offline = await createPod('spark-exec', { 'tidepool.dev/qos': 'offline' }, null, nodeName);
    const typo = await createPod('typo', { 'tidepool.dev/qos': 'ofline' }, { cpu: '100m' }, nodeName);
    node.addPod(online, 'burstable');
    const o = node.addPod(offline, 'besteffort');
    node.addPod(typo, 'burstable');
    writeFileSync(join(node.cgroupRoot, 'memory', o.dir, 'memory.usage_in_bytes'), String(4 * 1024 ** 3));

    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, renderKubeconfig([{ ...host.kubeconfigEntry(), token: host.issueToken(NS, 'tidepool-agent', { expirationSeconds: 3600 }) }]));
    port = await freePort();
    const ds = find(objects, 'DaemonSet', 'tidepool-agent', NS);
    const args = [
      ...argsOf(ds, {
        '--cgroup-root': `--cgroup-root=${node.cgroupRoot}`,
        '--resctrl-root': '--resctrl-root=off',
        '--proc-root': `--proc-root=${node.procRoot}`,
        '--sys-root': `--sys-root=${node.sysRoot}`,
        '--cgroup-driver': '--cgroup-driver=cgroupfs',
        '--state-file': `--state-file=${join(dir, 'state.json')}`,
        '--listen': `--listen=127.0.0.1:${port}`,
      }),
      // In the pod: the in-cluster ServiceAccount. Here: the same identity from a kubeconfig.
      `--kubeconfig=${kubeconfig}`,
      '--interval-seconds=0.2',
    ];
    rec = recordRequests(host, USER);
    agent = startComponent(args, { NODE_NAME: nodeName });

    await waitFor('the offline cpuset written', () => node.read(o.dir, 'cpuset.cpus') !== '0-3', 60_000, 200);
    await waitFor('the status annotation on the node', async () => {
      const n = await admin.requestJson<{ metadata: { annotations?: Record<string, string> } }>({ path: `/api/v1/nodes/${nodeName}` });
      return n.metadata.annotations?.['tidepool.dev/isolation-status'];
    }, 30_000, 200);
    await waitFor('an InvalidQosLabel Event', async () => (await kubectl.ok(['get', 'events', '--field-selector', 'involvedObject.name=typo', '-o', 'jsonpath={.items[*].reason}'])).includes('InvalidQosLabel'), 30_000, 200);
    await waitFor('the offline pod evicted', async () => {
      const list = await admin.requestJson<{ items: Array<{ metadata: { deletionTimestamp?: string } }> }>({ path: '/api/v1/namespaces/default/pods', query: { fieldSelector: 'metadata.name=spark-exec' } });
      return list.items.length === 0 || list.items[0]!.metadata.deletionTimestamp !== undefined;
    }, 30_000, 200);
    metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await agent.stop();
  });

  it('was refused nothing and holds no permission it did not use', () => {
    const a = audit(rec.records, grantsOf(objects, NS, 'tidepool-agent'), {
      'patch core/events': 'an Event repeated within the recorder window is a PATCH of its count (kube/event-recorder.ts); this run\'s Events all differed',
    });
    expect({ missing: a.missing, unused: a.unused, staleExcuses: a.staleExcuses }, JSON.stringify(a.asked, null, 1)).toEqual({ missing: [], unused: [], staleExcuses: [] });
  });

  it('exports every agent metric the Grafana dashboard queries', () => {
    expect(metricsText).toContain('tidepool_agent_');
    expect(missingFromExport('agent', metricsText)).toEqual([]);
  });
});
