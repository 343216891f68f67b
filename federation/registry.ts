/**
 * Where members come from: a config file, and MemberCluster objects (tidepool.dev/v1alpha1,
 * cluster-scoped) in the host cluster, whose status this registry keeps: conditions
 * (SpecValid, Reachable, Synced, Ready), last probe and a capacity summary. Status is written
 * when a condition changes and at most every `statusIntervalMs` otherwise — never per probe.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createInformer, createKubeClient, WorkQueue, type Informer, type KubeClient, type Logger, type RawObject } from '../kube/index.js';
import type { Federation, FederationOptions } from './federation.js';
import { MEMBER_GROUP, MEMBER_PLURAL, MEMBER_VERSION } from '../api/index.js';
import { parseMemberSpec, type MemberAccess, type MemberSpec } from './member-spec.js';
import { SCORE_POLICIES, type ScorePolicy } from './placement.js';
import type { Condition } from './types.js';

export interface FederationConfig {
  members: MemberSpec[];
  readyTimeoutMs?: number;
  scorePolicy?: ScorePolicy;
}

/**
 * Reads the config file:
 *   readyTimeoutSeconds: 30
 *   scorePolicy: most-idle
 *   kubeconfig: ./members.kubeconfig       # default for members without their own
 *   members:
 *     - name: east
 *       context: east
 *       weight: 2
 *       headroom: { fraction: 0.2 }
 * Throws one error listing every problem, each naming its field.
 */
export function loadFederationConfig(path: string): FederationConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`federation config ${path}: ${(err as Error).message}`);
  }
  const errors: string[] = [];
  const doc = (raw ?? {}) as Record<string, unknown>;
  const base = dirname(resolve(path));
  const defaultKubeconfig = typeof doc['kubeconfig'] === 'string' ? resolve(base, doc['kubeconfig']) : undefined;
  const members: MemberSpec[] = [];
  if (!Array.isArray(doc['members'])) errors.push('members: must be a list');
  else {
    doc['members'].forEach((m: unknown, i) => {
      const entry = (m ?? {}) as Record<string, unknown>;
      const name = typeof entry['name'] === 'string' ? entry['name'] : '';
      const withPath = typeof entry['kubeconfig'] === 'string' ? { ...entry, kubeconfig: resolve(base, entry['kubeconfig']) } : entry;
      const r = parseMemberSpec(name, withPath, { prefix: `members[${i}]`, ...(defaultKubeconfig ? { defaultKubeconfig } : {}) });
      if (r.ok) members.push(r.spec);
      else errors.push(...r.errors.map((e) => (e.startsWith('metadata.name') ? `members[${i}].name: ${e.slice(15)}` : e)));
    });
  }
  const out: FederationConfig = { members };
  const t = doc['readyTimeoutSeconds'];
  if (t !== undefined) {
    if (typeof t !== 'number' || !(t > 0)) errors.push(`readyTimeoutSeconds: must be a positive number, got ${JSON.stringify(t)}`);
    else out.readyTimeoutMs = t * 1000;
  }
  const sp = doc['scorePolicy'];
  if (sp !== undefined) {
    if (typeof sp !== 'string' || !SCORE_POLICIES.includes(sp as ScorePolicy)) errors.push(`scorePolicy: must be one of ${SCORE_POLICIES.join(', ')}, got ${JSON.stringify(sp)}`);
    else out.scorePolicy = sp as ScorePolicy;
  }
  if (errors.length > 0) throw new Error(`federation config ${path}:\n  ${errors.join('\n  ')}`);
  return out;
}

export interface RegistryOptions {
  /** Client of the host cluster (MemberCluster objects and kubeconfig Secrets live there). */
  host: KubeClient;
  federation: Federation;
  /** Namespace of kubeconfig Secrets when a ref names none. Default tidepool-system. */
  secretNamespace?: string;
  statusIntervalMs?: number;
  clientOptions?: FederationOptions['client'];
  logger?: Logger;
}

interface Known {
  /** Problems with the spec or its Secret; empty when the member runs. */
  problem: { reason: string; message: string } | undefined;
  generation: number;
  lastWritten: string;
  lastWriteAt: number;
}

/** Watches MemberCluster objects and reconciles each into the federation. */
export class MemberClusterRegistry {
  private informer: Informer<RawObject> | undefined;
  private readonly queue = new WorkQueue({ name: 'memberclusters', baseDelayMs: 500, maxDelayMs: 30_000 });
  private readonly known = new Map<string, Known>();
  private readonly abort = new AbortController();
  private worker: Promise<void> | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: RegistryOptions) {}

  start(): void {
    const informer = createInformer<RawObject>({
      client: this.opts.host,
      name: 'memberclusters',
      resource: { group: MEMBER_GROUP, version: MEMBER_VERSION, resource: MEMBER_PLURAL },
      backoff: { initialMs: 250, maxMs: 5_000 },
      ...(this.opts.logger ? { logger: this.opts.logger } : {}),
    });
    this.informer = informer;
    informer.addHandlers({
      onAdd: (_o, key) => this.queue.add(key, 'add'),
      onUpdate: (_o, _n, key) => this.queue.add(key, 'update'),
      onDelete: (_o, key) => this.queue.add(key, 'delete'),
    });
    informer.start();
    this.worker = this.work();
    // Status follows the model: conditions that flip are written at once (debounced a little).
    let pending: NodeJS.Timeout | undefined;
    this.unsubscribe = this.opts.federation.onChange(() => {
      pending ??= setTimeout(() => {
        pending = undefined;
        void this.writeAllStatus(false);
      }, 200);
    });
    this.statusTimer = setInterval(() => {
      void this.writeAllStatus(true);
      // Re-read every member's Secret now and then: a rotated kubeconfig restarts the member.
      for (const name of this.known.keys()) this.queue.add(name, 'resync');
    }, this.opts.statusIntervalMs ?? 60_000);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.statusTimer);
    this.unsubscribe?.();
    this.queue.shutDown();
    await this.informer?.stop();
    await this.worker;
  }

  waitForSync(timeoutMs: number): Promise<boolean> {
    return this.informer?.waitForSync({ timeoutMs }) ?? Promise.resolve(false);
  }

  private async work(): Promise<void> {
    for (;;) {
      const item = await this.queue.get(this.abort.signal);
      if (!item) return;
      try {
        await this.reconcile(item.key);
        this.queue.forget(item.key);
      } catch (err) {
        this.opts.logger?.warn({ err, membercluster: item.key }, 'reconcile failed; retrying');
        this.queue.addRateLimited(item.key);
      } finally {
        this.queue.done(item.key);
      }
    }
  }

  private async reconcile(name: string): Promise<void> {
    const fed = this.opts.federation;
    const obj = this.informer?.get(name);
    if (!obj) {
      this.known.delete(name);
      await fed.removeMember(name);
      return;
    }
    const generation = Number((obj.metadata as { generation?: number }).generation ?? 0);
    const known: Known = this.known.get(name) ?? { problem: undefined, generation, lastWritten: '', lastWriteAt: 0 };
    known.generation = generation;
    this.known.set(name, known);
    const parsed = parseMemberSpec(name, obj['spec'], { defaultNamespace: this.opts.secretNamespace ?? 'tidepool-system' });
    if (!parsed.ok) {
      known.problem = { reason: 'InvalidSpec', message: parsed.errors.join('; ') };
      await fed.removeMember(name);
      await this.writeStatus(name, true);
      return;
    }
    try {
      let spec = parsed.spec;
      let text: string | undefined;
      if (spec.access.kind === 'secret') {
        text = await this.readKubeconfig(spec.access);
        spec = { ...spec, access: { ...spec.access, digest: createHash('sha256').update(text).digest('hex').slice(0, 16) } };
      }
      await fed.upsertMember(spec, (n, access) => this.clientFor(n, access, text));
      known.problem = undefined;
    } catch (err) {
      known.problem = { reason: 'KubeconfigError', message: (err as Error).message };
      await fed.removeMember(name);
    }
    await this.writeStatus(name, true);
  }

  /** The kubeconfig text in a member's Secret in the host cluster. */
  private async readKubeconfig(access: Extract<MemberAccess, { kind: 'secret' }>): Promise<string> {
    let secret: { data?: Record<string, string> };
    try {
      secret = await this.opts.host.requestJson({ path: `/api/v1/namespaces/${encodeURIComponent(access.namespace)}/secrets/${encodeURIComponent(access.name)}` });
    } catch (err) {
      throw new Error(`kubeconfig Secret ${access.namespace}/${access.name}: ${(err as Error).message}`);
    }
    const b64 = secret.data?.[access.key];
    if (!b64) throw new Error(`kubeconfig Secret ${access.namespace}/${access.name} has no key "${access.key}"`);
    return Buffer.from(b64, 'base64').toString('utf8');
  }

  /** A member client from a kubeconfig file, or from the Secret's text read just before. */
  private async clientFor(name: string, access: MemberAccess, secretText: string | undefined): Promise<KubeClient> {
    if (access.kind === 'file') return createKubeClient({ ...this.opts.clientOptions, cluster: name, config: { kind: 'file', path: access.path, ...(access.context ? { context: access.context } : {}) } });
    const text = secretText ?? (await this.readKubeconfig(access));
    try {
      return createKubeClient({ ...this.opts.clientOptions, cluster: name, config: { kind: 'inline', text, ...(access.context ? { context: access.context } : {}) } });
    } catch (err) {
      throw new Error(`kubeconfig in Secret ${access.namespace}/${access.name} key ${access.key}: ${(err as Error).message}`);
    }
  }

  private async writeAllStatus(force: boolean): Promise<void> {
    for (const name of [...this.known.keys()]) {
      try {
        await this.writeStatus(name, force);
      } catch (err) {
        this.opts.logger?.warn({ err, membercluster: name }, 'status write failed');
      }
    }
  }

  /** The status the object should have now. */
  statusOf(name: string): Record<string, unknown> | undefined {
    const known = this.known.get(name);
    if (!known) return undefined;
    const fed = this.opts.federation;
    const now = new Date().toISOString();
    if (known.problem) {
      const cond = (type: string): Condition => ({ type, status: 'False', reason: known.problem!.reason, message: known.problem!.message, lastTransitionTime: now });
      return { observedGeneration: known.generation, conditions: [cond('SpecValid'), cond('Ready')] };
    }
    const entry = fed.clusterState(name);
    const health = fed.health(name);
    const cap = fed.document({ cluster: name }).clusters[0];
    return {
      observedGeneration: known.generation,
      conditions: [{ type: 'SpecValid', status: 'True', reason: 'Valid', message: 'spec accepted', lastTransitionTime: now }, ...(entry?.conditions ?? [])],
      ...(health?.lastProbeTime ? { lastProbeTime: health.lastProbeTime } : {}),
      ...(cap
        ? {
            capacity: {
              nodes: cap.nodes,
              cpu: { allocatable: cap.cpu.allocatable, idle: cap.cpu.idle, lent: cap.cpu.lent, batch: cap.cpu.batch, largestSlot: cap.cpu.largestSlot },
              memory: { allocatable: cap.memory.allocatable, idle: cap.memory.idle, lent: cap.memory.lent, batch: cap.memory.batch, largestSlot: cap.memory.largestSlot },
            },
          }
        : {}),
    };
  }

  private async writeStatus(name: string, force: boolean): Promise<void> {
    const known = this.known.get(name);
    const status = this.statusOf(name);
    if (!known || !status) return;
    // Compare what matters: conditions' status/reason/message (times and figures move on their own).
    const conds = (status['conditions'] as Condition[]).map((c) => `${c.type}=${c.status}/${c.reason}/${c.message}`).join('|');
    const sig = `${String(status['observedGeneration'])}|${conds}`;
    const now = Date.now();
    if (sig === known.lastWritten && !(force && now - known.lastWriteAt >= (this.opts.statusIntervalMs ?? 60_000) - 50)) return;
    // Keep transition times of conditions whose status did not change since the last write.
    const prev = (this.informer?.get(name)?.['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? [];
    for (const c of status['conditions'] as Condition[]) {
      const p = prev.find((x) => x.type === c.type);
      if (p && p.status === c.status) c.lastTransitionTime = p.lastTransitionTime;
    }
    known.lastWritten = sig;
    known.lastWriteAt = now;
    await this.opts.host.request({
      method: 'PATCH',
      path: `/apis/${MEMBER_GROUP}/${MEMBER_VERSION}/${MEMBER_PLURAL}/${encodeURIComponent(name)}/status`,
      body: { status },
      contentType: 'application/merge-patch+json',
    });
  }
}
