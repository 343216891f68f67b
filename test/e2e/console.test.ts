// The capacity console of a running `tidepool demo`, opened in headless Chromium, shows the same
// figures as `tidepool capacity --server <console> -o json` prints for the same moment: every
// member's nodes, readiness, CPU and memory (idle, lent, batch, requested, allocatable), largest
// free slots and free-slot histogram, and the pool's totals — the numbers exact (each figure
// carries its integer in data-value) and the text a reader sees formatted from them. Pods placed
// through the virtual node first, so "lent" is not zero.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapacityDocument } from '../../federation/index.js';
import { openPage, requireChromium } from '../helpers/browser.js';
import { runCliToEnd } from '../helpers/cli-process.js';
import { waitFor } from '../helpers/wait.js';
import { newProduct, startDemo, VIRTUAL_NODE_TOLERATION, type Product } from './helpers.js';


let p: Product;
let consoleUrl: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  requireChromium();
  p = newProduct('console');
  ({ consoleUrl } = await startDemo(p, ['--clusters', 'host,east,west', '--nodes', '2', '--no-apps', '--time-scale', '60']));
  ({ browser, page } = await openPage(pageErrors));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await p?.stop();
});

/** `tidepool capacity --server <console> -o json`, run to its end (bounded). */
async function capacityCli(): Promise<CapacityDocument> {
  const r = await runCliToEnd(['capacity', '--server', consoleUrl, '-o', 'json'], 30_000);
  if (r.code !== 0) throw new Error(`tidepool capacity exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as CapacityDocument;
}

const RESOURCE_FIGURES = ['idle', 'lent', 'batch', 'requested', 'allocatable'] as const;

/** Every figure the page draws from the capacity document, as "<cluster>/<figure>" → value. */
function expectedFigures(doc: CapacityDocument): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of doc.clusters) {
    out[`${c.name}/nodes`] = String(c.nodes);
    out[`${c.name}/ready`] = String(c.ready);
    for (const res of ['cpu', 'memory'] as const) {
      for (const f of RESOURCE_FIGURES) out[`${c.name}/${res}-${f}`] = String(c[res][f]);
      out[`${c.name}/${res}-largestSlot`] = String(c[res].largestSlot);
    }
    out[`${c.name}/fragmentation`] = (c.fragmentation?.cpu ?? []).map((b) => b.nodes).join(',');
  }
  out['_total/cpu-idle'] = String(doc.total.cpu.idle);
  out['_total/memory-idle'] = String(doc.total.memory.idle);
  out['_total/cpu-lent'] = String(doc.total.cpu.lent);
  out['_total/cpu-batch'] = String(doc.total.cpu.batch);
  out['_total/ready'] = String(doc.clusters.filter((c) => c.ready).length);
  return out;
}

/** The same figures as the page shows them now (utilization history and virtual nodes aside). */
async function shownFigures(): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {};
    for (const e of Array.from(document.querySelectorAll('[data-cluster][data-figure]'))) {
      const figure = e.getAttribute('data-figure')!;
      if (figure.startsWith('util') || figure === 'utilization-chart') continue;
      const key = `${e.getAttribute('data-cluster')}/${figure}`;
      out[key] = figure === 'fragmentation' ? Array.from(e.querySelectorAll('i')).map((i) => i.getAttribute('data-nodes')).join(',') : (e.getAttribute('data-value') ?? '');
    }
    return out;
  });
}

function same(a: Record<string, string>, b: Record<string, string>): boolean {
  return Object.keys(b).length > 0 && Object.keys(a).length === Object.keys(b).length && Object.keys(b).every((k) => a[k] === b[k]);
}

function cores(m: number): string {
  return `${Math.round(m / 100) / 10} cores`;
}

describe('the capacity console in a browser', { timeout: 90_000 }, () => {
  it('shows the figures `tidepool capacity --server <console> -o json` prints', async () => {
    // Work placed through the aggregate virtual node: its requests are lent by a member.
    await p.apply('host', [1, 2, 3].map((i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i}`, namespace: 'default', labels: { app: 'web' } },
      spec: { nodeSelector: { 'kubernetes.io/hostname': 'tidepool' }, tolerations: [VIRTUAL_NODE_TOLERATION], containers: [{ name: 'nginx', image: 'nginx:1.27', resources: { requests: { cpu: '1500m', memory: '2Gi' } } }] },
    })));
    await waitFor('three web pods Running', async () => (await p.pods('host', 'default', 'app=web')).filter((x) => x.status.phase === 'Running').length === 3, 30_000, 500);

    await page.goto(`${consoleUrl}/`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 });
    // Usage (and batch with it) moves with the simulated day, and the page refreshes every second:
    // compare the CLI's document with the page as it shows that same document.
    let doc!: CapacityDocument;
    let expected: Record<string, string> = {};
    let shown: Record<string, string> = {};
    for (let attempt = 0; attempt < 6 && !same(shown, expected); attempt++) {
      doc = await capacityCli();
      expected = expectedFigures(doc);
      const deadline = Date.now() + 3_000;
      while (!same((shown = await shownFigures()), expected) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    }
    expect(shown).toEqual(expected);
    expect(Object.keys(shown)).toHaveLength(35);
    expect(doc.clusters.map((c) => c.name)).toEqual(['east', 'west']);
    expect(doc.total.cpu.lent).toBe(4500);
    expect(doc.clusters.every((c) => c.ready && c.cpu.batch > 0)).toBe(true);

    // What a reader sees is formatted from the same numbers.
    expect(await page.locator('[data-cluster="_total"][data-figure="cpu-idle"]').textContent()).toBe(cores(doc.total.cpu.idle));
    expect(await page.locator('[data-cluster="_total"][data-figure="cpu-lent"]').textContent()).toBe('4.5 cores');
    expect(pageErrors).toEqual([]);
  });
});
