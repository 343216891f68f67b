// The console page in a real browser (Debian chromium via playwright-core): it loads without
// console errors, shows exactly the figures the API returns, follows a member cluster when it
// changes, draws each member's CPU over time (online, offline, daemons, idle), and lists the
// virtual nodes the host cluster really has — none before the virtual node registers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { startSim, type Sim } from '../../sim/index.js';
import { Federation, buildServer, type CapacityDocument, type HistorySample } from '../../federation/index.js';
import type { VirtualNodesDocument } from '../../federation/virtual-nodes.js';
import type { KubeClient } from '../../kube/index.js';
import { startVirtualNode, type RunningVirtualNode } from '../../virtual-node/index.js';
import { clientFor, createPod, podBody } from './helpers.js';
import { openPage, requireChromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/wait.js';


let sim: Sim;
let fed: Federation;
let host: KubeClient;
let vn: RunningVirtualNode | undefined;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  requireChromium();
  sim = await startSim({ clusters: ['host', 'east', 'west'], nodes: 3, nodeShape: { cpu: '8', memory: '32Gi', pods: 110 } });
  fed = new Federation({ readyTimeoutMs: 1_500, probeIntervalMs: 200, usageIntervalMs: 500, historyIntervalMs: 500 });
  fed.start();
  fed.addMemberWithClient('east', clientFor(sim, 'east'));
  fed.addMemberWithClient('west', clientFor(sim, 'west'));
  host = clientFor(sim, 'host');
  app = buildServer({ federation: fed, hostCluster: host });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  await fed.member('east')!.waitForReady(10_000);
  await fed.member('west')!.waitForReady(10_000);
  ({ browser, page } = await openPage(consoleErrors));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await vn?.stop();
  await app?.close();
  host?.close();
  await fed?.stop();
  await sim?.stop();
});

async function api(): Promise<CapacityDocument> {
  return (await (await fetch(`${base}/api/v1/capacity`)).json()) as CapacityDocument;
}

function shown(cluster: string, figure: string): Promise<string | null> {
  return page.locator(`[data-cluster="${cluster}"][data-figure="${figure}"]`).first().getAttribute('data-value');
}

async function shownVnode(node: string, figure: string): Promise<string | null> {
  const l = page.locator(`[data-vnode="${node}"][data-figure="${figure}"]`);
  return (await l.count()) > 0 ? l.first().getAttribute('data-value') : null;
}

async function virtualNodes(): Promise<VirtualNodesDocument> {
  return (await (await fetch(`${base}/api/v1/virtual-nodes`)).json()) as VirtualNodesDocument;
}

async function lastSample(cluster: string): Promise<HistorySample['clusters'][string] | undefined> {
  const h = (await (await fetch(`${base}/api/v1/history`)).json()) as { samples: HistorySample[] };
  return h.samples.at(-1)?.clusters[cluster];
}

describe('console page', { timeout: 60_000 }, () => {
  it('loads with no console errors and shows the figures the API returns', async () => {
    await page.goto(base + '/');
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    expect(await page.title()).toBe('Tidepool — capacity pool');
    // Usage (and with it batch) arrives from metrics.k8s.io after the first sync; settle on a stable document.
    await waitFor('usage to be known', async () => (await api()).clusters.every((c) => c.cpu.usage > 0), 15_000);
    await waitFor('the page to show the current document', async () => {
      const doc = await api();
      for (const c of doc.clusters) {
        if ((await shown(c.name, 'cpu-idle')) !== String(c.cpu.idle)) return false;
        if ((await shown(c.name, 'cpu-batch')) !== String(c.cpu.batch)) return false;
      }
      return true;
    }, 15_000);
    const doc = await api();
    for (const c of doc.clusters) {
      expect(await shown(c.name, 'nodes')).toBe(String(c.nodes));
      expect(await shown(c.name, 'ready')).toBe('true');
      expect(await shown(c.name, 'cpu-allocatable')).toBe(String(c.cpu.allocatable));
      expect(await shown(c.name, 'cpu-requested')).toBe(String(c.cpu.requested));
      expect(await shown(c.name, 'memory-idle')).toBe(String(c.memory.idle));
      expect(await shown(c.name, 'memory-allocatable')).toBe(String(c.memory.allocatable));
      expect(await shown(c.name, 'cpu-largestSlot')).toBe(String(c.cpu.largestSlot));
      // The free-slot histogram has one bar per bucket, holding every schedulable node.
      const bars = await page.locator(`[data-cluster="${c.name}"][data-figure="fragmentation"] i`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-nodes'))));
      expect(bars).toEqual(c.fragmentation!.cpu.map((b) => b.nodes));
    }
    expect(await shown('_total', 'cpu-idle')).toBe(String(doc.total.cpu.idle));
    // The federation samples utilization from its start; a member that joined after the page's
    // last history fetch makes the page fetch the history again, so its chart fills in.
    await waitFor('the utilization charts to have samples', async () => Number(await shown('east', 'utilization-chart')) > 0 && Number(await shown('west', 'utilization-chart')) > 0, 15_000);
    // No virtual node is registered in the host yet: none is listed, and the page says so.
    expect(await page.locator('#vnodes tbody tr').count()).toBe(0);
    await waitFor('the page to say no virtual node exists', async () => (await page.locator('#vnodes-note').textContent()) === 'No virtual node is registered in the host cluster yet.', 15_000);
    await page.screenshot({ path: process.env['TIDEPOOL_SCREENSHOT'] ?? '/dev/null' }).catch(() => undefined);
    expect(consoleErrors).toEqual([]);
  });

  it('updates when a member cluster changes', async () => {
    const before = Number(await shown('east', 'cpu-requested'));
    const east = clientFor(sim, 'east');
    await createPod(east, 'default', podBody('big-job', '3', '4Gi'));
    await waitFor('the API to count the pod', async () => (await api()).clusters.find((c) => c.name === 'east')!.cpu.requested === before + 3000, 15_000);
    await waitFor('the page to follow', async () => (await shown('east', 'cpu-requested')) === String(before + 3000), 15_000);
    const doc = await api();
    expect(await shown('east', 'cpu-idle')).toBe(String(doc.clusters.find((c) => c.name === 'east')!.cpu.idle));
    // A virtual node appearing in a member is listed as ignored, and not counted.
    await east.request({
      method: 'POST',
      path: '/api/v1/nodes',
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'vk-peer', labels: { type: 'virtual-kubelet' } }, status: { allocatable: { cpu: '500', memory: '1000Gi', pods: '1000' }, conditions: [{ type: 'Ready', status: 'True' }] } },
    });
    await waitFor('the ignored virtual node on the page', async () => (await page.locator('#ignored').textContent())?.includes('east/vk-peer'), 15_000);
    expect(await shown('east', 'nodes')).toBe('3');
    east.close();
    expect(consoleErrors).toEqual([]);
  });

  it('draws each member\'s CPU over time, offline work beside online services', async () => {
    const east = clientFor(sim, 'east');
    const node = sim.cluster('east').fleet.nodeNames()[0]!;
    // A Spark executor running on reclaimed CPU, as the webhook leaves it: offline.
    await createPod(east, 'default', podBody('spark-exec-1', '2', '2Gi', { nodeName: node, labels: { 'spark-role': 'executor', 'tidepool.dev/qos': 'offline' }, annotations: { 'sim.tidepool.dev/cpu-usage': '1500m' } }));
    east.close();
    await waitFor('the page to show the offline use the API sampled', async () => {
      const s = await lastSample('east');
      if (!s || s.cpuOfflineUsage !== 1500) return false;
      return (await shown('east', 'util-offline')) === '1500';
    }, 20_000);
    // The bands add up to the member's CPU: online + offline + daemons + idle = allocatable.
    const figures = await Promise.all(['util-online', 'util-offline', 'util-system', 'util-idle'].map(async (f) => Number(await shown('east', f))));
    expect(figures.reduce((a, b) => a + b, 0)).toBe((await api()).clusters.find((c) => c.name === 'east')!.cpu.allocatable);
    expect(figures[0]).toBeGreaterThan(0);
    const bands = await page.locator('[data-cluster="east"][data-figure="utilization-chart"] polygon').evaluateAll((els) => els.map((e) => e.getAttribute('data-band')));
    expect(bands).toEqual(['online', 'offline', 'system', 'idle']);
    expect(consoleErrors).toEqual([]);
  });

  it('lists the virtual nodes once they register in the host cluster, as the host has them', async () => {
    const ca = (await host.connectionOptions()).ca;
    const caPem = Buffer.isBuffer(ca) ? ca.toString() : String(ca);
    vn = await startVirtualNode({
      host,
      hostCluster: 'host',
      provider: fed,
      nodeName: 'tidepool',
      perCluster: true,
      address: '127.0.0.1',
      kubelet: { listenHost: '127.0.0.1', port: 0, clientCaPem: caPem },
      leaderElection: false,
      logger: { warn: () => undefined, info: () => undefined, error: () => undefined, debug: () => undefined },
    });
    const names = ['tidepool', 'tidepool-east', 'tidepool-west'];
    const doc = await waitFor('the host to have the virtual nodes Ready', async () => {
      const d = await virtualNodes();
      return d.nodes.length === 3 && d.nodes.every((n) => n.ready) ? d : undefined;
    }, 20_000);
    await waitFor('the page to list them', async () => (await page.locator('#vnodes tbody tr').count()) === 3, 15_000);
    expect(await page.locator('#vnodes tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-vnode-row')))).toEqual(names);
    for (const n of doc.nodes) {
      await waitFor(`${n.name}'s figures on the page`, async () => {
        const d = (await virtualNodes()).nodes.find((x) => x.name === n.name)!;
        return (await shownVnode(n.name, 'vnode-cpu')) === String(d.allocatable.cpu) && (await shownVnode(n.name, 'vnode-batch')) === String(d.allocatable.batchCpu);
      }, 15_000);
      expect(await shownVnode(n.name, 'vnode-ready')).toBe('true');
    }
    expect(await page.locator('[data-vnode-row="tidepool-east"]').textContent()).toContain('east');
    expect(await page.locator('[data-vnode-row="tidepool"]').textContent()).toContain('all members');
    expect(await page.locator('#vnodes-note').textContent()).toBe('');
    expect(consoleErrors).toEqual([]);
  });

  it('shows a member that stops answering as not ready, with its capacity out of the pool', async () => {
    sim.cluster('west').setFaults({ errorRate: 1, errorCode: 500 });
    try {
      await waitFor('the page to show west not ready', async () => (await shown('west', 'ready')) === 'false', 15_000);
      expect(await shown('west', 'cpu-idle')).toBe('0');
      const doc = await api();
      expect(await shown('_total', 'cpu-idle')).toBe(String(doc.total.cpu.idle));
      expect(await page.locator('[data-cluster-row="west"]').textContent()).toContain('its capacity left the pool');
    } finally {
      sim.cluster('west').clearFaults();
    }
    await waitFor('the page to show west ready again', async () => (await shown('west', 'ready')) === 'true', 15_000);
    expect(consoleErrors).toEqual([]);
  });
});
