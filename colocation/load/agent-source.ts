/**
 * Node load from the isolation agents' gRPC streams (isolation/'s streamNodeLoad), one stream
 * per node with an agent. The agent measures per QoS class from cgroups: online usage is its
 * online + online-exclusive classes, system usage its system class; memory is the working set
 * (usage minus inactive file) as the agent reads it, never page cache.
 *
 * Each stream reconnects with backoff when it breaks, so a restarting agent costs a gap, not a
 * dead source; the gap shows as the node's sample age, which is what the batch controller
 * degrades on. A report naming another node than the one dialled is dropped: a misrouted
 * address must not make one node's load look like another's.
 */
import type { Registry } from 'prom-client';
import { streamNodeLoad, type LoadClientOptions, type NodeLoadReport } from '../../isolation/index.js';
import { Backoff, silentLogger, sleep, systemClock, type BackoffOptions, type Clock, type Informer, type Logger, type NodeSummary } from '../../kube/index.js';
import { loadMetrics, type LoadMetrics } from './metrics.js';
import type { LoadStore } from './store.js';
import type { NodeLoadSample } from './types.js';

/** Where one node's agent listens. */
export interface AgentTarget {
  node: string;
  /** host:port */
  address: string;
}

/** The set of agents to stream from, and news of changes to it. */
export interface AgentTargets {
  list(): readonly AgentTarget[];
  /** Calls `cb` when the list may have changed. Returns the unsubscribe function. */
  onChange(cb: () => void): () => void;
}

/** A fixed list (tests, or agents behind known addresses). */
export function staticAgentTargets(targets: readonly AgentTarget[]): AgentTargets {
  return { list: () => targets, onChange: () => () => undefined };
}

/**
 * Every node in a node informer, its agent at `<node address>:<port>`: what a DaemonSet with
 * hostNetwork gives. Nodes without an address are left out until they have one.
 */
export function nodeAgentTargets(nodes: Informer<NodeSummary>, port: number): AgentTargets {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`agent port must be 1..65535, got ${port}`);
  return {
    list: () =>
      nodes
        .list()
        .filter((n) => n.address !== '')
        .map((n) => ({ node: n.name, address: n.address.includes(':') ? `[${n.address}]:${port}` : `${n.address}:${port}` })),
    onChange: (cb) => nodes.addHandlers({ onAdd: cb, onUpdate: (a, b) => a.address !== b.address && cb(), onDelete: cb }),
  };
}

export interface AgentSourceOptions {
  store: LoadStore;
  targets: AgentTargets;
  /** How the streams authenticate (as streamNodeLoad takes them). */
  tls?: LoadClientOptions['tls'];
  plaintext?: boolean;
  token?: string;
  /** Report interval to ask the agents for. Default: the agent's own (2 s). */
  intervalMs?: number;
  /** Reconnect backoff. Default 500 ms first ceiling, 30 s at most. */
  backoff?: BackoffOptions;
  logger?: Logger;
  registry?: Registry;
  clock?: Clock;
}

export interface AgentSource {
  /** Nodes whose stream is open and has delivered a report since it (re)connected. */
  connected(): string[];
  stop(): Promise<void>;
}

/** Turns an agent report into a sample; undefined for a first report (no CPU measured yet). */
export function sampleFromReport(r: NodeLoadReport): NodeLoadSample | undefined {
  // The agent's first report covers no interval: its CPU figures are 0, not measured.
  if (r.windowMs <= 0) return undefined;
  let onlineCpu = 0;
  let onlineMemory = 0;
  let systemCpu = 0;
  let systemMemory = 0;
  for (const c of r.classes) {
    if (c.qos === 'online' || c.qos === 'online-exclusive') {
      onlineCpu += c.cpuMilli;
      onlineMemory += c.memoryBytes;
    } else if (c.qos === 'system') {
      systemCpu += c.cpuMilli;
      systemMemory += c.memoryBytes;
    }
  }
  return {
    node: r.nodeName,
    sampledAt: r.timestampMs,
    cpu: r.usage.cpuMilli,
    memory: r.usage.memoryBytes,
    onlineCpu,
    onlineMemory,
    systemCpu,
    systemMemory,
    source: 'agent',
  };
}

interface Stream {
  target: AgentTarget;
  abort: AbortController;
  done: Promise<void>;
  connected: boolean;
}

export function startAgentSource(o: AgentSourceOptions): AgentSource {
  const log = o.logger ?? silentLogger;
  const clock = o.clock ?? systemClock;
  const metrics: LoadMetrics | undefined = o.registry ? loadMetrics(o.registry) : undefined;
  metrics?.stores.add(o.store);
  if (o.tls === undefined && o.plaintext !== true) throw new Error('agent load source needs TLS (tls.caPem) or plaintext: true');
  const streams = new Map<string, Stream>();
  let stopped = false;

  const updateGauge = (): void => {
    if (!metrics) return;
    const up = [...streams.values()].filter((s) => s.connected).length;
    metrics.streams.set({ state: 'connected' }, up);
    metrics.streams.set({ state: 'retrying' }, streams.size - up);
  };

  const run = async (s: Stream): Promise<void> => {
    const { signal } = s.abort;
    const backoff = new Backoff({ initialMs: 500, maxMs: 30_000, ...o.backoff });
    while (!signal.aborted) {
      let why = 'stream ended';
      try {
        const reports = streamNodeLoad({
          address: s.target.address,
          ...(o.tls ? { tls: o.tls } : {}),
          ...(o.plaintext ? { plaintext: true } : {}),
          ...(o.token !== undefined ? { token: o.token } : {}),
          ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
          signal,
        });
        for await (const r of reports) {
          if (r.nodeName !== s.target.node) {
            metrics?.samples.inc({ source: 'agent', outcome: 'invalid' });
            log.warn({ node: s.target.node, address: s.target.address, reported: r.nodeName }, 'agent reports for another node; report dropped');
            continue;
          }
          if (!s.connected) {
            s.connected = true;
            backoff.reset();
            updateGauge();
            log.info({ node: s.target.node, address: s.target.address }, 'agent load stream connected');
          }
          const sample = sampleFromReport(r);
          if (!sample) continue;
          try {
            const outcome = o.store.add(sample);
            metrics?.samples.inc({ source: 'agent', outcome });
          } catch (err) {
            metrics?.samples.inc({ source: 'agent', outcome: 'invalid' });
            log.warn({ err, node: s.target.node }, 'malformed agent report dropped');
          }
        }
      } catch (err) {
        why = (err as Error).message;
      }
      if (signal.aborted) return;
      metrics?.sourceErrors.inc({ source: 'agent' });
      if (s.connected) {
        s.connected = false;
        updateGauge();
      }
      const delay = backoff.next();
      // The first failure after a good spell is news; repeats while the agent stays away are not.
      (backoff.attempts === 1 ? log.warn : log.debug).call(log, { node: s.target.node, address: s.target.address, reason: why, retryInMs: Math.round(delay) }, 'agent load stream lost; reconnecting');
      try {
        await sleep(delay, signal, clock);
      } catch {
        return;
      }
    }
  };

  const open = (t: AgentTarget): void => {
    const s: Stream = { target: t, abort: new AbortController(), done: Promise.resolve(), connected: false };
    s.done = run(s);
    streams.set(t.node, s);
  };

  const close = (s: Stream): Promise<void> => {
    s.abort.abort();
    streams.delete(s.target.node);
    return s.done;
  };

  const sync = (): void => {
    if (stopped) return;
    const wanted = new Map(o.targets.list().map((t) => [t.node, t]));
    for (const s of [...streams.values()]) {
      const w = wanted.get(s.target.node);
      if (!w || w.address !== s.target.address) void close(s);
    }
    for (const t of wanted.values()) if (!streams.has(t.node)) open(t);
    updateGauge();
  };

  const unsubscribe = o.targets.onChange(sync);
  sync();

  return {
    connected: () => [...streams.values()].filter((s) => s.connected).map((s) => s.target.node),
    async stop() {
      stopped = true;
      unsubscribe();
      await Promise.all([...streams.values()].map(close));
      updateGauge();
      metrics?.stores.delete(o.store);
    },
  };
}
