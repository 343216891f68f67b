// The schema describes what the sim itself writes: every object its kubelets, scheduler
// and setup store passes the decode checks with no unknown fields and no type errors, so
// client writes of the same shapes (a virtual kubelet patching status) are not pruned.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { schemaFor } from '../../../sim/admission.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { checkFields } from '../../../sim/validation/fields.js';
import { waitFor } from '../e2e/helpers.js';

let sim: Sim;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tidepool-schema-'));
  sim = await startSim({ clusters: ['host'], nodes: 2, dir, startDelayMs: 10 });
});

afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('every stored object of the running sim matches its schema', async () => {
  const c = sim.cluster('host');
  const podsRt = c.registry.lookup('', 'v1', 'pods')!;
  c.api.create(podsRt, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', annotations: { 'sim.tidepool.dev/cpu-usage': '50%' } },
    spec: { containers: [{ name: 'a', image: 'nginx', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '32Mi' } } }] },
  });
  await waitFor('the pod to run', () => {
    const o = c.api.tryGet(podsRt, 'default', 'probe');
    return o && (JSON.parse(o.json) as { status?: { phase?: string } }).status?.phase === 'Running';
  });
  const problems: string[] = [];
  let checked = 0;
  for (const rt of c.registry.all()) {
    const root = schemaFor(rt);
    if (!root || !c.store.hasCollection(rt.storageKey)) continue;
    for (const o of c.store.values(rt.storageKey)) {
      const report = checkFields(root, JSON.parse(o.json) as Record<string, unknown>, { builtin: !rt.custom, prune: false });
      checked++;
      for (const u of report.unknown) problems.push(`${rt.resource}/${o.name}: unknown field ${u}`);
      for (const t of report.typeErrors) problems.push(`${rt.resource}/${o.name}: ${t.decodeMessage}`);
    }
  }
  expect(problems).toEqual([]);
  // nodes, leases, namespaces, service accounts, priority classes, the pod, its events
  expect(checked).toBeGreaterThan(10);
});
