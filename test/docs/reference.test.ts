// docs/metrics.md and docs/configuration.md, held against the code both ways, so neither can go
// stale in silence. Metrics: every component's metric set is built (no server started) and
// compared with its table (names, types, labels); every metric name the page mentions exists;
// the Grafana dashboard's metrics are the ones the page says. Configuration: the `tidepool`
// program is built as cli/main.ts builds it and every command's flags are compared with its
// section, defaults included; the CRD spec fields with deploy/crds; the environment variables
// with what the sources read.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command, type Option } from 'commander';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { tidepoolProgram } from '../../cli/program.js';
import { batchMetrics } from '../../colocation/batch/metrics.js';
import { evictionMetrics } from '../../colocation/eviction/metrics.js';
import { loadMetrics } from '../../colocation/load/index.js';
import { DEFAULT_SETTINGS } from '../../colocation/scheduler/index.js';
import { schedulerMetrics } from '../../colocation/scheduler/metrics.js';
import { WebhookMetrics } from '../../colocation/webhook/metrics.js';
import { FederationModel, federationMetrics } from '../../federation/index.js';
import { AgentMetrics } from '../../isolation/metrics.js';
import { EventRecorder, WorkQueue, clientMetricsFor, type EventSink } from '../../kube/index.js';
import { virtualNodeMetrics } from '../../virtual-node/index.js';
import type { Summary } from '../../virtual-node/kubelet-api/index.js';
import { renderResourceMetrics } from '../../virtual-node/kubelet-api/metrics-resource.js';
import { kubeletApiMetrics } from '../../virtual-node/kubelet-api/metrics.js';
import { dashboardMetrics } from '../deploy/dashboard.js';

const REPO = join(import.meta.dirname, '../..');
/** The product's sources (what runs), as opposed to tests and benchmarks. */
const PRODUCT_DIRS = ['api', 'cli', 'colocation', 'federation', 'isolation', 'kube', 'sim', 'virtual-node'];

// ---------------------------------------------------------------- reading the pages

interface Section {
  heading: string;
  rows: string[][];
}

/** The page cut at its `##` and `###` headings, each with its table rows (cells trimmed). */
function sections(file: string): Section[] {
  const out: Section[] = [{ heading: '', rows: [] }];
  for (const line of readFileSync(join(REPO, file), 'utf8').split('\n')) {
    const h = /^#{2,3} (.*)$/.exec(line);
    if (h) out.push({ heading: h[1]!, rows: [] });
    else if (line.startsWith('|') && !/^\|[-| ]+\|$/.test(line)) out.at(-1)!.rows.push(line.slice(1, line.endsWith('|') ? -1 : undefined).split('|').map((c) => c.trim()));
  }
  return out;
}

function codeSpans(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

function sectionOf(all: Section[], headingStart: string): Section {
  const found = all.filter((s) => s.heading.startsWith(headingStart));
  expect(found.map((s) => s.heading), `one section headed "${headingStart}..."`).toHaveLength(1);
  return found[0]!;
}

function productFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return walk(p);
      return e.name.endsWith('.ts') ? [p] : [];
    });
  return PRODUCT_DIRS.flatMap((d) => walk(join(REPO, d)));
}

// ---------------------------------------------------------------- metrics

interface Family {
  name: string;
  type: string;
  labels: string[];
}

type RegisteredMetric = ReturnType<Registry['getMetricsAsArray']>[number];

/** What a registry holds, read without collecting (no scrape-time callbacks run). */
function familiesOf(registry: Registry): Family[] {
  return registry.getMetricsAsArray().map((m) => ({
    name: m.name,
    type: String(m.type),
    // prom-client keeps the label names on the metric object; its typings do not declare them.
    labels: [...((m as RegisteredMetric & { labelNames?: readonly string[] }).labelNames ?? [])],
  }));
}

/** The families a Prometheus text exposition declares, with the label names its samples carry. */
function familiesOfText(text: string): Family[] {
  const out = new Map<string, Family>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, { name: m[1]!, type: m[2]!, labels: [] });
  for (const m of text.matchAll(/^([a-z_:][a-z0-9_:]*)\{([^}]*)\}/gm)) {
    const f = out.get(m[1]!);
    for (const l of m[2]!.matchAll(/([a-z_][a-z0-9_]*)="/g)) if (f && !f.labels.includes(l[1]!)) f.labels.push(l[1]!);
  }
  return [...out.values()];
}

/** A kubelet Summary with one pod and one container, so every resource family has a sample. */
function sampleSummary(): Summary {
  const time = '2025-01-01T00:00:00Z';
  const cpu = { time, usageCoreNanoSeconds: 2e9 };
  const memory = { time, workingSetBytes: 1 << 20 };
  return {
    node: { nodeName: 'tidepool', startTime: time, cpu, memory },
    pods: [{ podRef: { name: 'p', namespace: 'ns', uid: 'u' }, startTime: time, containers: [{ name: 'c', startTime: time, cpu, memory }], cpu, memory }],
  };
}

const refusingSink: EventSink = {
  create: () => Promise.reject(new Error('this test records no Event')),
  patch: () => Promise.reject(new Error('this test records no Event')),
};

interface Component {
  /** How the component's heading in docs/metrics.md starts. */
  section: string;
  /** The source files that define its metrics. */
  files: string[];
  families(): Promise<Family[]>;
}

/** Every component's metrics, built the way its process builds them, each on a fresh registry. */
const COMPONENTS: Component[] = [
  { section: 'The Kubernetes API client', files: ['kube/client-metrics.ts'], families: async () => familiesOf(clientMetricsFor(new Registry()).registry) },
  {
    section: 'Work queues',
    files: ['kube/workqueue.ts'],
    async families() {
      const registry = new Registry();
      new WorkQueue({ name: 'reference', registry }).shutDown();
      return familiesOf(registry);
    },
  },
  {
    section: 'Kubernetes Events',
    files: ['kube/event-recorder.ts'],
    async families() {
      const registry = new Registry();
      await new EventRecorder({ sink: refusingSink, component: 'reference', registry }).close();
      return familiesOf(registry);
    },
  },
  { section: 'Virtual node (', files: ['virtual-node/metrics.ts'], families: async () => familiesOf(virtualNodeMetrics(new Registry()).registry) },
  {
    section: 'Virtual node kubelet API',
    files: ['virtual-node/kubelet-api/metrics.ts'],
    async families() {
      const registry = new Registry();
      kubeletApiMetrics(registry);
      return familiesOf(registry);
    },
  },
  { section: 'Kubelet resource metrics', files: ['virtual-node/kubelet-api/metrics-resource.ts'], families: async () => familiesOfText(renderResourceMetrics(sampleSummary(), false)) },
  { section: 'Federation', files: ['federation/metrics.ts'], families: async () => familiesOf(federationMetrics(new FederationModel(), new Registry())) },
  {
    section: 'Colocation scheduler',
    files: ['colocation/scheduler/metrics.ts'],
    async families() {
      const registry = new Registry();
      const none = { online: 0, offline: 0 };
      schedulerMetrics(registry, { depth: () => ({ active: none, backoff: none, unschedulable: none }), reservations: () => 0, bindingsInFlight: () => 0, starvationHolds: () => 0 });
      return familiesOf(registry);
    },
  },
  {
    section: 'Admission webhook',
    files: ['colocation/webhook/metrics.ts'],
    async families() {
      const registry = new Registry();
      new WebhookMetrics(registry);
      return familiesOf(registry);
    },
  },
  {
    section: 'Batch capacity',
    files: ['colocation/batch/metrics.ts'],
    async families() {
      const registry = new Registry();
      batchMetrics(registry, { breakdowns: () => [], isLeader: () => false });
      return familiesOf(registry);
    },
  },
  {
    section: 'Offline eviction',
    files: ['colocation/eviction/metrics.ts'],
    async families() {
      const registry = new Registry();
      evictionMetrics(registry, () => false);
      return familiesOf(registry);
    },
  },
  {
    section: 'Node load data',
    files: ['colocation/load/metrics.ts'],
    async families() {
      const registry = new Registry();
      loadMetrics(registry);
      return familiesOf(registry);
    },
  },
  { section: 'Isolation agent (', files: ['isolation/metrics.ts'], families: async () => familiesOf(new AgentMetrics({ defaultMetrics: false }).registry) },
  {
    // The agent process's defaults (prom-client's collectDefaultMetrics): what the agent adds
    // beyond its own metrics. Collecting them holds no handle open.
    section: 'Isolation agent: Node.js process',
    files: ['isolation/metrics.ts'],
    async families() {
      const own = new Set(familiesOf(new AgentMetrics({ defaultMetrics: false }).registry).map((f) => f.name));
      return familiesOf(new AgentMetrics().registry).filter((f) => !own.has(f.name));
    },
  },
];

const METRIC_NAME = /^[a-z_:][a-z0-9_:]*$/;

/** A metric table row: `name` | type | labels | meaning. */
function metricRows(s: Section): Family[] {
  return s.rows
    .filter((r) => r.length === 4 && codeSpans(r[0]!).length === 1 && METRIC_NAME.test(codeSpans(r[0]!)[0]!))
    .map((r) => ({ name: codeSpans(r[0]!)[0]!, type: r[1]!, labels: codeSpans(r[2]!) }));
}

function describeFamily(f: Family): string {
  return `${f.name} ${f.type} {${f.labels.join(',')}}`;
}

async function everyFamily(): Promise<Map<string, Family>> {
  const all = new Map<string, Family>();
  for (const c of COMPONENTS) for (const f of await c.families()) all.set(f.name, f);
  return all;
}

describe('docs/metrics.md', () => {
  const page = sections('docs/metrics.md');

  it('lists every metric of each component under its heading, with its type and labels, and no other', async () => {
    for (const c of COMPONENTS) {
      const code = (await c.families()).map(describeFamily).sort();
      expect(code.length, `${c.section}: the component registers metrics`).toBeGreaterThan(0);
      expect(metricRows(sectionOf(page, c.section)).map(describeFamily).sort(), `the table under "${c.section}..."`).toEqual(code);
    }
  });

  it('has metric tables only under a component heading', async () => {
    const headings = COMPONENTS.map((c) => c.section);
    const stray = page.filter((s) => !headings.some((h) => s.heading.startsWith(h))).flatMap((s) => metricRows(s).map((f) => `${f.name} under "${s.heading}"`));
    expect(stray).toEqual([]);
  });

  it('mentions only metrics that exist (a histogram also by its _bucket, _sum and _count series)', async () => {
    const families = await everyFamily();
    const series = new Set([...families.values()].flatMap((f) => (f.type === 'histogram' ? [f.name, `${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`] : [f.name])));
    const names = new Set(codeSpans(readFileSync(join(REPO, 'docs/metrics.md'), 'utf8')).filter((t) => /^tidepool_[a-z0-9_]*[a-z0-9]$/.test(t)));
    expect(names.size).toBeGreaterThan(50);
    expect([...names].filter((n) => !series.has(n))).toEqual([]);
  });

  it('builds every metric the sources define: no file or metric name is left out of this test', async () => {
    const covered = new Set(COMPONENTS.flatMap((c) => c.files));
    const families = await everyFamily();
    const definers: string[] = [];
    const unknown: string[] = [];
    for (const file of productFiles()) {
      const src = readFileSync(file, 'utf8');
      const rel = relative(REPO, file);
      if (/new (Counter|Gauge|Histogram|Summary)\b|collectDefaultMetrics\(|# TYPE /.test(src)) definers.push(rel);
      for (const m of src.matchAll(/['"`](tidepool_[a-z0-9_]*[a-z0-9])['"`]/g)) if (!families.has(m[1]!)) unknown.push(`${rel}: ${m[1]}`);
    }
    expect(definers.length).toBeGreaterThanOrEqual(covered.size);
    expect(definers.filter((f) => !covered.has(f))).toEqual([]);
    expect(unknown).toEqual([]);
  });

  it('names the metrics the shipped Grafana dashboard charts, and only those', async () => {
    const families = await everyFamily();
    const charted = new Set(dashboardMetrics().map((s) => (families.has(s) ? s : s.replace(/_(bucket|sum|count)$/, ''))));
    expect(charted.size).toBeGreaterThan(0);
    const listed = new Set(sectionOf(page, 'The Grafana dashboard').rows.flatMap((r) => codeSpans(r[1] ?? '')).filter((t) => t.startsWith('tidepool_')));
    expect([...listed].sort()).toEqual([...charted].sort());
  });
});

// ---------------------------------------------------------------- flags

/** The command a `tidepool <name>` in a heading means (an alias names its command). */
function commandNamed(program: Command, name: string): Command | undefined {
  return program.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

/** Per command: each flag docs/configuration.md lists for it and that row's default cell. */
function documentedFlags(program: Command): { flags: Map<string, Map<string, string>>; problems: string[] } {
  const flags = new Map<string, Map<string, string>>();
  const problems: string[] = [];
  for (const s of sections('docs/configuration.md')) {
    const names = codeSpans(s.heading).flatMap((t) => /^tidepool (\S+)$/.exec(t)?.[1] ?? []);
    const commands = new Set<string>();
    for (const n of names) {
      const c = commandNamed(program, n);
      if (c) commands.add(c.name());
      else problems.push(`"${s.heading}" names tidepool ${n}, which is no command`);
    }
    for (const row of s.rows) {
      const rowFlags = codeSpans(row[0]!).flatMap((t) => /(?:^|[\s,])(--[a-z0-9][a-z0-9-]*)/.exec(t)?.[1] ?? []);
      if (rowFlags.length === 0) continue;
      if (commands.size === 0) problems.push(`${rowFlags.join(', ')} listed under "${s.heading}", which names no command`);
      for (const c of commands) {
        const m = flags.get(c) ?? new Map<string, string>();
        for (const f of rowFlags) {
          if (m.has(f)) problems.push(`${f} is listed twice for tidepool ${c}`);
          m.set(f, row[1] ?? '');
        }
        flags.set(c, m);
      }
    }
  }
  return { flags, problems };
}

/** A commander default as a user reads it in a table. */
function shownDefault(o: Option): string | undefined {
  if (o.defaultValueDescription) return o.defaultValueDescription;
  const v: unknown = o.defaultValue;
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'object' && v !== null && 'host' in v && 'port' in v) return `${String(v.host)}:${String(v.port)}`;
  return String(v);
}

/** The scheduler's defaults live in its settings, not in commander. */
const SCHEDULER_DEFAULTS: Readonly<Record<string, number | string>> = {
  '--percentage-of-nodes-to-score': DEFAULT_SETTINGS.percentageOfNodesToScore,
  '--offline-placement': DEFAULT_SETTINGS.offlinePlacement,
  '--offline-max-wait-ms': DEFAULT_SETTINGS.offlineMaxWaitMs,
  '--backoff-initial-ms': DEFAULT_SETTINGS.backoffInitialMs,
  '--backoff-max-ms': DEFAULT_SETTINGS.backoffMaxMs,
  '--max-unschedulable-ms': DEFAULT_SETTINGS.maxUnschedulableMs,
  '--max-in-flight-bindings': DEFAULT_SETTINGS.maxInFlightBindings,
  '--assume-ttl-ms': DEFAULT_SETTINGS.assumeTtlMs,
  '--estimate-cpu-factor': DEFAULT_SETTINGS.estimation.cpuFactor,
  '--estimate-memory-factor': DEFAULT_SETTINGS.estimation.memoryFactor,
  '--estimate-startup-grace-ms': DEFAULT_SETTINGS.estimation.startupGraceMs,
  '--gang-min-workers': DEFAULT_SETTINGS.gang.minWorkers,
  '--gang-reservation-timeout-ms': DEFAULT_SETTINGS.gang.reservationTimeoutMs,
  '--gang-permit-timeout-ms': DEFAULT_SETTINGS.gang.permitTimeoutMs,
};

describe('docs/configuration.md', () => {
  it("lists every flag of every command in that command's section, and no flag a command lacks", () => {
    const program = tidepoolProgram();
    const { flags, problems } = documentedFlags(program);
    expect(problems).toEqual([]);
    expect([...flags.keys()].sort()).toEqual(program.commands.map((c) => c.name()).sort());
    for (const c of program.commands) {
      const declared = c.options.map((o) => o.long!).sort();
      expect(declared.length, `tidepool ${c.name()} has flags`).toBeGreaterThan(0);
      expect([...(flags.get(c.name())?.keys() ?? [])].sort(), `the flags of tidepool ${c.name()}`).toEqual(declared);
    }
  });

  it('gives every flag the default the code applies', () => {
    const program = tidepoolProgram();
    const { flags } = documentedFlags(program);
    const wrong: string[] = [];
    let checked = 0;
    for (const c of program.commands) {
      for (const o of c.options) {
        const cell = flags.get(c.name())?.get(o.long!) ?? '';
        const expected: string[] = [];
        const shown = shownDefault(o);
        if (shown !== undefined) expected.push(`\`${shown}\``);
        // Defaults the room applies after commander, as the flag's help text gives them.
        const told = /\(default:? ([^\s()]+)\)/.exec(o.description)?.[1];
        if (told !== undefined) expected.push(told);
        const setting = SCHEDULER_DEFAULTS[o.long!];
        if (setting !== undefined) expected.push(`\`${String(setting)}\``);
        for (const e of expected) {
          checked++;
          if (!cell.includes(e)) wrong.push(`tidepool ${c.name()} ${o.long}: default cell "${cell}" lacks ${e}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });

  interface Schema {
    type?: string;
    properties?: Record<string, Schema>;
    items?: Schema;
  }

  /** The leaf fields of a CRD's spec, as `spec.a.b` and `spec.list[].field`. */
  function specLeaves(crdFile: string): string[] {
    const crd = YAML.parse(readFileSync(join(REPO, crdFile), 'utf8')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
    const leaves = (s: Schema, path: string): string[] => {
      if (s.properties) return Object.entries(s.properties).flatMap(([k, v]) => leaves(v, `${path}.${k}`));
      if (s.type === 'array' && s.items?.properties) return leaves(s.items, `${path}[]`);
      return [path];
    };
    return leaves(crd.spec.versions[0]!.schema.openAPIV3Schema.properties!['spec']!, 'spec').sort();
  }

  it.each([
    ['ColocationPolicy', 'deploy/crds/colocationpolicy.yaml'],
    ['MemberCluster', 'deploy/crds/membercluster.yaml'],
  ])('lists every spec field of the %s CRD, and only those', (kind, file) => {
    const fields = specLeaves(file);
    expect(fields.length).toBeGreaterThan(5);
    const listed = sectionOf(sections('docs/configuration.md'), kind).rows.flatMap((r) => codeSpans(r[0]!).filter((t) => t.startsWith('spec.')));
    expect([...listed].sort()).toEqual(fields);
  });

  it('lists every environment variable the sources read, and only those', () => {
    const read = new Set<string>();
    for (const file of productFiles()) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\benv(?:\[['"]([A-Z][A-Z0-9_]*)['"]\]|\.([A-Z][A-Z0-9_]*)\b)/g)) read.add((m[1] ?? m[2])!);
    }
    expect(read.size).toBeGreaterThan(0);
    const listed = sectionOf(sections('docs/configuration.md'), 'Environment variables').rows.flatMap((r) => codeSpans(r[0]!).filter((t) => /^[A-Z][A-Z0-9_]*$/.test(t)));
    expect(listed.sort()).toEqual([...read].sort());
  });
});
