// A Spark app through the whole product, as a Spark user meets it: `tidepool demo` (one process:
// simulated host and members with online services, the federation, the virtual nodes, colocation
// in every member), and a spark-submit-shaped app applied with kubectl to the host cluster's
// aggregate virtual node — a driver, then executors owned by it carrying Spark's labels. The app
// runs in one member (executors follow their driver's cluster); there the executors' mirrors are
// turned into batch work by the admission webhook and bound by tidepool-scheduler while the driver
// stays online work for the default scheduler; the pods run to completion and kubectl shows the
// host's pods Completed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { newProduct, phases, sparkExecutor, startDemo, submitDriver, SPARK_NAMESPACE, type PodJson, type Product } from './helpers.js';

const APP = 'pi';
const EXECUTORS = 3;
// Simulated time runs 120× faster: the executors work 3 s, the driver outlives them (20 s).
const TIME_SCALE = '120';
const EXECUTOR_RUN = '6m';
const DRIVER_RUN = '40m';

let p: Product;
let driverUid: string;

beforeAll(async () => {
  p = newProduct('spark');
  await startDemo(p, ['--clusters', 'host,east,west', '--nodes', '2', '--no-apps', '--time-scale', TIME_SCALE]);
  await p.kubectl.ok(['create', 'namespace', SPARK_NAMESPACE]);
}, 80_000);

afterAll(async () => {
  await p?.stop();
});

const names = [`${APP}-driver`, ...Array.from({ length: EXECUTORS }, (_, i) => `${APP}-exec-${i + 1}`)];

/** The member holding the app's mirrors, and the mirrors by host pod name. */
async function appMirrors(): Promise<{ member: string; mirrors: Map<string, PodJson> } | undefined> {
  for (const member of ['east', 'west']) {
    const mirrors = await p.mirrors(member);
    if (mirrors.has(`${APP}-driver`)) return { member, mirrors };
  }
  return undefined;
}

describe('a Spark app on the virtual node', { timeout: 60_000 }, () => {
  it('is bound to the virtual node in the host, executors owned by the driver as spark-submit made them', async () => {
    driverUid = await submitDriver(p, APP, { node: 'tidepool', duration: DRIVER_RUN });
    await waitFor('the driver Running', async () => (await p.pod('host', `${APP}-driver`)).status.phase === 'Running', 30_000, 500);
    // The driver, once up, asks for its executors.
    await p.apply('host', Array.from({ length: EXECUTORS }, (_, i) => sparkExecutor(APP, i + 1, driverUid, { node: 'tidepool', duration: EXECUTOR_RUN })));
    const pods = await p.pods('host');
    expect(pods.map((x) => x.metadata.name).sort()).toEqual([...names].sort());
    for (const x of pods) if (x.metadata.labels?.['spark-role'] === 'executor') expect(x.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Pod', name: `${APP}-driver`, uid: driverUid })]);
    await waitFor('every pod bound to the virtual node', async () => (await p.pods('host')).every((x) => x.spec.nodeName === 'tidepool'), 20_000, 500);
  });

  it('runs in one member: executors as batch work bound by tidepool-scheduler, the driver online', async () => {
    const found = await waitFor('the app mirrored into a member, all Running or done', async () => {
      const m = await appMirrors();
      return m && names.every((n) => ['Running', 'Succeeded'].includes(m.mirrors.get(n)?.status.phase ?? '')) ? m : undefined;
    }, 30_000, 500);
    const { member, mirrors } = found;
    // Executors follow their driver's cluster; none went to the other member.
    const other = member === 'east' ? 'west' : 'east';
    expect([...(await p.mirrors(other)).keys()]).toEqual([]);

    for (const n of names.slice(1)) {
      const m = mirrors.get(n)!;
      expect(m.spec.schedulerName).toBe('tidepool-scheduler');
      expect(m.spec.priorityClassName).toBe('tidepool-offline');
      expect(m.metadata.labels).toMatchObject({ 'spark-role': 'executor', 'tidepool.dev/qos': 'offline', 'spark-app-selector': `spark-${APP}` });
      // 1 cpu and 1408Mi became batch resources (1000 millicores print as 1k).
      expect(m.spec.containers[0]!.resources).toEqual({
        requests: { 'kubernetes.io/batch-cpu': '1k', 'kubernetes.io/batch-memory': '1476395008' },
        limits: { 'kubernetes.io/batch-memory': '1476395008' },
      });
      expect(m.spec.nodeName).toMatch(new RegExp(`^${member}-node-\\d$`));
      // The host's ownership stays in the host: a mirror is owned by no pod of the member.
      expect(m.metadata.ownerReferences).toBeUndefined();
    }
    const driver = mirrors.get(`${APP}-driver`)!;
    expect(driver.spec.schedulerName).toBe('default-scheduler');
    expect(driver.metadata.labels?.['tidepool.dev/qos']).toBeUndefined();
    expect(driver.spec.containers[0]!.resources?.requests).toEqual({ cpu: '1', memory: '1408Mi' });

    // Who bound whom, as kubectl shows it in the member.
    const scheduled = (await p.events(member)).filter((e) => e.reason === 'Scheduled');
    const binder = (n: string): string | undefined => scheduled.find((e) => e.involvedObject.name === mirrors.get(n)!.metadata.name)?.source?.component;
    expect(names.map(binder)).toEqual(['default-scheduler', ...names.slice(1).map(() => 'tidepool-scheduler')]);
  });

  it('runs to completion: executors first, then the driver; the host pods and their mirrors Succeeded', async () => {
    await waitFor('the executors Succeeded in the host', async () => (await p.pods('host', SPARK_NAMESPACE, 'spark-role=executor')).every((x) => x.status.phase === 'Succeeded'), 30_000, 500);
    expect((await p.pod('host', `${APP}-driver`)).status.phase).toBe('Running');
    await waitFor('the driver Succeeded in the host', async () => (await p.pod('host', `${APP}-driver`)).status.phase === 'Succeeded', 40_000, 500);
    expect(phases(await p.pods('host'))).toEqual(Object.fromEntries(names.map((n) => [n, 'Succeeded'])));
    const { mirrors } = (await appMirrors())!;
    expect(Object.fromEntries([...mirrors].map(([n, m]) => [n, m.status.phase]))).toEqual(Object.fromEntries(names.map((n) => [n, 'Succeeded'])));
    const table = await p.kubectl.ok(['get', 'pods', '-n', SPARK_NAMESPACE, '-o', 'wide']);
    for (const n of names) expect(table).toMatch(new RegExp(`^${n}\\s+0/1\\s+Completed\\s+0\\s+\\S+\\s+\\S+\\s+tidepool\\s`, 'm'));
  });
});
