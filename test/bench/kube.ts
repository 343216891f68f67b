// Benchmark of kube/: `npm run bench -- kube [--quick] [--pods N] [--profile]` (quick: 10,000 pods).
//
// The simulated API server runs in a child process (test/bench/_kube-sim.ts, pods created
// through its in-process API), so what this process measures is the client alone, as against
// a real API server on another machine.
//
// 1. Informer initial sync of N pods (default 100,000) over HTTPS, with the pod projection and
//    without it (the whole object cached), side by side: time, and heap / RSS bytes per cached
//    pod (after a full GC, against a baseline taken after a full GC).
// 2. Steady-state events: every pod modified once; informer -> work queue -> handler.
//    Run twice, side by side: decoding whole events with JSON.parse, and skimming only the
//    fields the projection reads (POD_FIELDS). eventsPerSec is events per second of the main
//    thread's CPU time: the rate one core sustains, whatever else shares the machine (the
//    whole process's CPU time, which adds V8's GC helper threads on other cores, is reported
//    too). The wall-clock rate is bounded by how fast the sim produces events.
// 3. Queue priority: every cached pod queued in the resync lane, a worker doing ~20 µs of work
//    per key, and a live pod created meanwhile: how many resync items ran between the
//    informer's add of the live pod and its handling.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FieldSchema, KubeClient, PodSummary, RawObject } from '../../kube/index.js';
import { loadCompiled } from './_compiled.js';

/** kube/ as users run it: compiled (dist/) when the build is fresh, see _compiled.ts. Set by main(). */
let K: typeof import('../../kube/index.js');

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory(): { heap: number; rss: number } {
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

/** The sim child process and a typed request/answer over IPC. */
class SimProcess {
  private readonly child: ChildProcess;
  private readonly waiting: Array<{ key: string; resolve: (m: Record<string, unknown>) => void }> = [];

  constructor(eventWindow: number) {
    const here = dirname(fileURLToPath(import.meta.url));
    this.child = fork(join(here, '_kube-sim.ts'), [String(eventWindow)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: Record<string, unknown>) => {
      const i = this.waiting.findIndex((w) => m[w.key] !== undefined);
      if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(m);
    });
  }

  next(key: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`sim process exited (${code}) while waiting for ${key}`));
      this.child.once('exit', onExit);
      this.waiting.push({
        key,
        resolve: (m) => {
          this.child.off('exit', onExit);
          resolve(m);
        },
      });
    });
  }

  send(m: object): void {
    this.child.send(m);
  }

  async request(m: object, answer: string): Promise<Record<string, unknown>> {
    const p = this.next(answer);
    this.send(m);
    return p;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

interface SyncFigures {
  syncMs: number;
  heapBytesPerPod: number;
  rssBytesPerPod: number;
}

async function measureSync(client: KubeClient, n: number, project: ((o: RawObject) => unknown) | undefined, fields?: FieldSchema): Promise<SyncFigures> {
  const before = memory();
  const t0 = performance.now();
  const informer = new K.Informer<unknown>({ client, resource: { version: 'v1', resource: 'pods' }, ...(project ? { project } : {}), ...(fields ? { fields } : {}) });
  informer.start();
  await informer.waitForSync();
  const syncMs = performance.now() - t0;
  await informer.stop();
  const after = memory();
  // Read after measuring, so the cache is alive (and counted) at measurement time.
  if (informer.size !== n) throw new Error(`informer holds ${informer.size} pods, expected ${n}`);
  return {
    syncMs: Math.round(syncMs),
    heapBytesPerPod: Math.round((after.heap - before.heap) / n),
    rssBytesPerPod: Math.round((after.rss - before.rss) / n),
  };
}

/** `--profile`: a V8 CPU profile of one section, written to the temp directory. */
async function startProfile(): Promise<() => Promise<string>> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    const file = join(tmpdir(), `kube-bench-${process.pid}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    return file;
  };
}

/** Busy work standing in for a reconcile that reads the cache and decides (no I/O). */
function work(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {
    // spin
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * CPU time of the main thread alone (Linux: /proc/self/task/<pid>/stat, 10 ms ticks), the
 * "one core" the informer, queue and handlers run on. process.cpuUsage() also counts V8's GC
 * helper and compiler threads, which run on other cores. undefined where /proc is missing.
 */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the state field.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

async function steadyState(sim: SimProcess, client: KubeClient, n: number, fields: FieldSchema | undefined) {
  const queue = new K.WorkQueue({ name: 'bench' });
  const informer = new K.Informer<PodSummary>({
    client,
    resource: { version: 'v1', resource: 'pods' },
    project: K.projectPod,
    ...(fields ? { fields } : {}),
    indexers: { node: K.indexBy.node, namespace: K.indexBy.namespace },
  });
  let updates = 0;
  informer.addHandlers({
    onAdd: (_p, key) => queue.add(key, 'add'),
    onUpdate: (_o, _p, key) => {
      updates++;
      queue.add(key, 'update');
    },
    onDelete: (_p, key) => queue.add(key, 'delete'),
  });
  informer.start();
  await informer.waitForSync();
  let handled = 0;
  let scheduled = 0;
  let onHandled: (() => void) | undefined;
  const workers = queue.runWorkers(1, async (key) => {
    const pod = informer.get(key);
    if (pod?.node) scheduled++;
    handled++;
    onHandled?.();
  });
  while (queue.len() > 0 || queue.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  handled = 0;
  const BATCH = 2_000;
  let simMs = 0;
  let sent = 0;
  let inFlight = false;
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const t0 = performance.now();
  // Event-driven (no polling, which would burn the CPU being measured): keep about two
  // batches ahead of the handler, enough to never starve it and little enough that the sim
  // never cuts a watcher that falls 64 MB behind.
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (handled >= n) {
        onHandled = undefined;
        resolve();
        return;
      }
      if (inFlight || sent >= n || sent - handled > BATCH) return;
      const to = Math.min(n, sent + BATCH);
      inFlight = true;
      void sim.request({ cmd: 'mutate', from: sent, to }, 'mutated').then((m) => {
        simMs += Number(m['ms']);
        inFlight = false;
        pump();
      });
      sent = to;
    };
    onHandled = pump;
    pump();
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const main1 = mainThreadCpuMs();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const mainMs = main0 !== undefined && main1 !== undefined ? main1 - main0 : cpuMs;
  const eventsPerSec = Math.round(n / (mainMs / 1000));
  const eventsPerProcessCpuSec = Math.round(n / (cpuMs / 1000));
  const wallEventsPerSec = Math.round(n / (wallMs / 1000));
  if (updates !== n) throw new Error(`informer saw ${updates} updates, expected ${n}`);
  console.log(`steady state (${fields ? 'skimming only the projected fields' : 'full JSON.parse'}): ${n} MODIFIED events, informer -> queue -> handler`);
  console.log(`  ${eventsPerSec} events per CPU-second of the main thread (${Math.round(mainMs)} ms); ${eventsPerProcessCpuSec} per CPU-second of the whole process, GC helper threads included (${Math.round(cpuMs)} ms)`);
  console.log(`  ${wallEventsPerSec} events/s wall clock (${Math.round(wallMs)} ms; the sim spent ${Math.round(simMs)} ms producing them)`);
  await queue.shutDownWithDrain();
  await workers;
  return { informer, eventsPerSec, eventsPerProcessCpuSec, wallEventsPerSec, scheduled };
}


export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const podsArg = args.indexOf('--pods');
  const n = podsArg >= 0 ? Number(args[podsArg + 1]) : quick ? 10_000 : 100_000;
  const loaded = await loadCompiled<typeof import('../../kube/index.js')>('kube/index.js', ['kube']);
  K = loaded.mod;
  console.log(`kube/ code: ${loaded.from}`);
  const sim = new SimProcess(Math.max(50_000, n + 10_000));
  let client: KubeClient | undefined;
  try {
    const ready = await sim.next('ready');
    client = new K.KubeClient({ config: { kind: 'inline', text: String(ready['kubeconfig']), context: 'bench' }, qps: 1000, burst: 1000, timeoutMs: 120_000 });
    const seeded = await sim.request({ cmd: 'seed', n }, 'seeded');
    const podJsonBytes = Number(seeded['podJsonBytes']);
    console.log(`sim (child process) seeded ${n} pods in ${(Number(seeded['ms']) / 1000).toFixed(1)} s; one pod is ${podJsonBytes} bytes of JSON`);
    // Warm the sim's paginated-list snapshot and our connection pool so neither run pays for it.
    await client.request({ path: '/api/v1/pods', query: { limit: 1 } });

    // ------------------------------------------------------------ 1. initial sync
    const projected = await measureSync(client, n, K.projectPod, K.POD_FIELDS);
    const unprojected = await measureSync(client, n, undefined);
    const ratio = unprojected.heapBytesPerPod / projected.heapBytesPerPod;
    console.log('initial sync          projected   unprojected');
    console.log(`  time (ms)          ${String(projected.syncMs).padStart(10)}  ${String(unprojected.syncMs).padStart(12)}`);
    console.log(`  heap bytes/pod     ${String(projected.heapBytesPerPod).padStart(10)}  ${String(unprojected.heapBytesPerPod).padStart(12)}   (${ratio.toFixed(1)}x smaller)`);
    console.log(`  RSS bytes/pod      ${String(projected.rssBytesPerPod).padStart(10)}  ${String(unprojected.rssBytesPerPod).padStart(12)}`);

    // ------------------------------------------------------------ 2. steady-state events
    const full = await steadyState(sim, client, n, undefined);
    await full.informer.stop();
    const profile = args.includes('--profile') ? await startProfile() : undefined;
    const skim = await steadyState(sim, client, n, K.POD_FIELDS);
    if (profile) console.log(`CPU profile of the skimming pass: ${await profile()}`);
    const { informer, eventsPerSec, scheduled } = skim;

    // ------------------------------------------------------------ 3. live add vs resync burst
    const ITEM_US = 20;
    const q2 = new K.WorkQueue({ name: 'priority' });
    let resyncDone = 0;
    let liveAddedAt = -1;
    let doneAtLiveAdd = -1;
    let itemsAhead = -1;
    let liveDelayMs = -1;
    let resyncWaiting = -1;
    informer.addHandlers({
      onAdd: (_p, key) => {
        if (!key.endsWith('/live-pod')) return;
        liveAddedAt = performance.now();
        doneAtLiveAdd = resyncDone;
        q2.add(key, 'add');
      },
    });
    for (const key of informer.keys()) q2.add(key, 'resync');
    const resyncQueued = q2.len('resync');
    const w2 = q2.runWorkers(1, async (key) => {
      if (key.endsWith('/live-pod')) {
        liveDelayMs = performance.now() - liveAddedAt;
        itemsAhead = resyncDone - doneAtLiveAdd;
        resyncWaiting = q2.len('resync');
        q2.shutDown();
        return;
      }
      work(ITEM_US);
      resyncDone++;
      // A real reconcile awaits I/O now and then; that is when the watch gets to deliver.
      if (resyncDone % 100 === 0) await tick();
    });
    while (resyncDone < Math.min(1_000, n / 10)) await tick();
    sim.send({ cmd: 'live', n: n + 1 });
    await w2;
    console.log(
      `priority: ${resyncQueued} resync keys queued; the live add was handled after ${itemsAhead} resync item(s) ran ` +
        `(${liveDelayMs.toFixed(2)} ms; one item ~${ITEM_US} µs), with ${resyncWaiting} resync keys still waiting`,
    );
    await informer.stop();

    const result = {
      pods: n,
      quick,
      podJsonBytes,
      projectedBytesPerPod: projected.heapBytesPerPod,
      unprojectedBytesPerPod: unprojected.heapBytesPerPod,
      projectionRatio: Number(ratio.toFixed(2)),
      projectedRssBytesPerPod: projected.rssBytesPerPod,
      unprojectedRssBytesPerPod: unprojected.rssBytesPerPod,
      projectedSyncMs: projected.syncMs,
      unprojectedSyncMs: unprojected.syncMs,
      eventsPerSec,
      eventsPerSecFullParse: full.eventsPerSec,
      eventsPerProcessCpuSec: skim.eventsPerProcessCpuSec,
      wallEventsPerSec: skim.wallEventsPerSec,
      liveAddResyncItemsAhead: itemsAhead,
      liveAddDelayMs: Number(liveDelayMs.toFixed(3)),
      resyncKeysQueued: resyncQueued,
      resyncKeysStillWaiting: resyncWaiting,
      resyncItemUs: ITEM_US,
      scheduledPodsHandled: scheduled,
    };
    await sim.request({ cmd: 'stop' }, 'stopped').catch(() => undefined);
    console.log(`BENCH kube ${JSON.stringify(result)}`);
  } finally {
    client?.close();
    sim.kill();
  }
}
