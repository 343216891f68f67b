// ColocationPolicy objects in a simulated cluster: the one named "default" is in effect; a bad
// edit is refused with a Valid=False condition naming every problem while the last valid
// generation stays in force (also for a controller started afresh); other policies are marked
// not selected; deleting the policy falls back to the built-in defaults.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_COLOCATION_SETTINGS } from '../../../api/index.js';
import { startBatchController, startPolicySource, type BatchController, type ColocationPolicyWatch, type PolicyCondition } from '../../../colocation/batch/index.js';
import { LoadStore } from '../../../colocation/load/index.js';
import type { KubeClient } from '../../../kube/index.js';
import { startSim, type Sim } from '../../../sim/index.js';
import { hasKubectl, Kubectl } from '../../helpers/kubectl.js';
import { waitFor } from '../../helpers/wait.js';
import { simClient } from '../load/sim-helpers.js';

const CP = '/apis/tidepool.dev/v1alpha1/colocationpolicies';
const NODE_LABELS = { 'kubernetes.io/hostname': 'p-node-0' };

let sim: Sim;
let client: KubeClient;
let policies: ColocationPolicyWatch;
let controller: BatchController;

interface PolicyObject {
  metadata: { generation: number };
  status?: { observedGeneration?: number; conditions?: PolicyCondition[]; inEffect?: { generation: number; spec: { thresholds: { reclaimPercent: { cpu: number } } } } | null };
}

async function read(name: string): Promise<PolicyObject> {
  return client.requestJson<PolicyObject>({ path: `${CP}/${name}` });
}

function condition(p: PolicyObject, type: string): PolicyCondition | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

async function statusFor(name: string, generation: number): Promise<PolicyObject> {
  return waitFor(`status of ${name} for generation ${generation}`, async () => {
    const p = await read(name);
    return p.status?.observedGeneration === generation ? p : undefined;
  });
}

async function patchSpec(name: string, spec: object): Promise<void> {
  await client.request({ method: 'PATCH', path: `${CP}/${name}`, contentType: 'application/merge-patch+json', body: { spec } });
}

beforeAll(async () => {
  sim = await startSim({ clusters: ['p'], nodes: 1, scheduler: false });
  client = simClient(sim, 'p');
  const crd = parseYaml(readFileSync(new URL('../../../deploy/crds/colocationpolicy.yaml', import.meta.url), 'utf8')) as object;
  await client.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd });
  await waitFor('the ColocationPolicy resource to be served', async () => (await client.request({ path: CP })).status === 200, 15_000);
  policies = startPolicySource({ client });
  // The batch controller's leader writes the policies' status.
  controller = startBatchController({ client, load: new LoadStore(), policies, leaderElection: false, policySyncTimeoutMs: 5_000 });
});

afterAll(async () => {
  await controller?.stop();
  await policies?.stop();
  client?.close();
  await sim?.stop();
});

describe('ColocationPolicy', () => {
  it('has the built-in defaults in effect while there is no policy', async () => {
    await policies.waitForSync(5_000);
    expect(policies.forNode(NODE_LABELS)).toMatchObject({ policy: null, pool: null, thresholds: DEFAULT_COLOCATION_SETTINGS.thresholds });
  });

  it('puts the policy named "default" in effect and marks it Valid and Active', async () => {
    await client.request({ method: 'POST', path: CP, body: { apiVersion: 'tidepool.dev/v1alpha1', kind: 'ColocationPolicy', metadata: { name: 'default' }, spec: { thresholds: { reclaimPercent: { cpu: 50 } } } } });
    await waitFor('the policy in effect', () => policies.forNode(NODE_LABELS).policy === 'default');
    expect(policies.forNode(NODE_LABELS).thresholds.reclaimPercent).toEqual({ cpu: 50, memory: 65 });
    const p = await statusFor('default', 1);
    expect(condition(p, 'Valid')).toMatchObject({ status: 'True', reason: 'Valid' });
    expect(condition(p, 'Active')).toMatchObject({ status: 'True', reason: 'InEffect' });
    expect(p.status?.inEffect?.generation).toBe(1);
  });

  it('marks a policy with another name as not selected', async () => {
    await client.request({ method: 'POST', path: CP, body: { apiVersion: 'tidepool.dev/v1alpha1', kind: 'ColocationPolicy', metadata: { name: 'staging' }, spec: {} } });
    const p = await statusFor('staging', 1);
    expect(condition(p, 'Valid')?.status).toBe('True');
    expect(condition(p, 'Active')).toMatchObject({ status: 'False', reason: 'NotSelected', message: 'the controller applies the ColocationPolicy named "default"' });
    expect(p.status?.inEffect ?? null).toBeNull();
    expect(policies.forNode(NODE_LABELS).policy).toBe('default');
  });

  it('refuses a bad edit with every problem named, and keeps the last valid generation in effect', async () => {
    const before = await read('default');
    const validSince = condition(before, 'Valid')!.lastTransitionTime;
    await patchSpec('default', { thresholds: { reclaimPercent: { cpu: 90 }, evictionPercent: { cpu: 70 } }, usageWindowSeconds: 0, windowSecs: 30 });
    const p = await statusFor('default', 2);
    const valid = condition(p, 'Valid')!;
    expect(valid).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(valid.message).toMatch(/spec\.thresholds\.evictionPercent\.cpu: must be at least 10 above offlineLoadPercent\.cpu \(65\), got 70/);
    expect(valid.message).toMatch(/spec\.usageWindowSeconds: must be a whole number of seconds between 1 and 86400, got 0/);
    expect(valid.message).toMatch(/spec\.windowSecs: unknown field/);
    expect(Date.parse(valid.lastTransitionTime)).toBeGreaterThanOrEqual(Date.parse(validSince));
    expect(condition(p, 'Active')).toMatchObject({ status: 'True', reason: 'LastValidInEffect', message: 'generation 2 is invalid; generation 1 stays in effect' });
    expect(p.status?.inEffect).toMatchObject({ generation: 1, spec: { thresholds: { reclaimPercent: { cpu: 50 } } } });
    expect(policies.forNode(NODE_LABELS).thresholds.reclaimPercent.cpu).toBe(50);
  });

  it('keeps the last valid generation in effect for a controller started while the policy is bad', async () => {
    const fresh = startPolicySource({ client });
    try {
      expect(await fresh.waitForSync(5_000)).toBe(true);
      expect(fresh.forNode(NODE_LABELS)).toMatchObject({ policy: 'default', thresholds: { reclaimPercent: { cpu: 50 } } });
      expect(fresh.get('default')?.errors.length).toBeGreaterThan(0);
    } finally {
      await fresh.stop();
    }
  });

  it.skipIf(!hasKubectl)('shows validity and what is in effect in kubectl get', async () => {
    const kubectl = new Kubectl(sim.kubeconfig);
    try {
      const out = await kubectl.ok(['get', 'colocationpolicies']);
      expect(out).toMatch(/NAME\s+VALID\s+ACTIVE/);
      expect(out).toMatch(/default\s+False\s+LastValidInEffect/);
      expect(out).toMatch(/staging\s+True\s+NotSelected/);
    } finally {
      kubectl.cleanup();
    }
  });

  it('takes a fixed policy into effect, and falls back to the defaults once it is deleted', async () => {
    await patchSpec('default', { thresholds: { reclaimPercent: { cpu: 55 }, evictionPercent: { cpu: 80 } }, usageWindowSeconds: 60, windowSecs: null });
    const p = await statusFor('default', 3);
    expect(condition(p, 'Valid')?.status).toBe('True');
    expect(condition(p, 'Active')?.reason).toBe('InEffect');
    await waitFor('the fixed policy in effect', () => policies.forNode(NODE_LABELS).thresholds.reclaimPercent.cpu === 55);
    expect(policies.forNode(NODE_LABELS).usageWindowSeconds).toBe(60);
    await client.request({ method: 'DELETE', path: `${CP}/default` });
    await waitFor('the defaults back', () => policies.forNode(NODE_LABELS).policy === null);
    expect(policies.forNode(NODE_LABELS).thresholds).toEqual(DEFAULT_COLOCATION_SETTINGS.thresholds);
  });
});
