/**
 * ColocationPolicy objects (tidepool.dev/v1alpha1, cluster-scoped) as the rest of colocation
 * reads them: `forNode(labels)` is the settings in effect for a node, what the batch controller,
 * the scheduler's load filter and offline eviction all act on.
 *
 * One policy is in effect: the one named `policyName` ("default"); without it, the built-in
 * defaults (api's DEFAULT_COLOCATION_SETTINGS). Every object is validated with api's
 * validateColocationPolicy. A policy edited into something invalid does not take effect: the
 * last valid generation seen stays in force (a typo must not turn colocation off, or worse,
 * loosen it), and the object's status says so (policy-status.ts writes it). The leader also
 * records the policy in force in `status.inEffect`, so a restarted controller facing an invalid
 * spec resumes the last valid one instead of falling back to the defaults.
 *
 * Read-only: every replica runs one; only the leader writes status.
 */
import {
  COLOCATION_POLICY_GROUP,
  COLOCATION_POLICY_PLURAL,
  COLOCATION_POLICY_VERSION,
  colocationFor,
  DEFAULT_COLOCATION_SETTINGS,
  validateColocationPolicy,
  type ColocationPolicy,
  type ColocationPolicySpec,
  type EffectiveColocation,
} from '../../api/index.js';
import { createInformer, silentLogger, type Informer, type KubeClient, type Logger, type RawObject } from '../../kube/index.js';

export const DEFAULT_POLICY_NAME = 'default';

/** The settings for one node and the policy they came from (null: built-in defaults). */
export interface NodeColocation extends EffectiveColocation {
  policy: string | null;
}

/** What other parts (scheduler, eviction) read. */
export interface PolicySource {
  forNode(labels: Readonly<Record<string, string>>): NodeColocation;
  /** Called when the policy in effect changes. Returns the unsubscribe function. */
  onChange(cb: () => void): () => void;
}

/** What is known about one ColocationPolicy object. */
export interface PolicyState {
  name: string;
  generation: number;
  /** validateColocationPolicy's errors for the current generation; empty when valid. */
  errors: string[];
  /** The last valid generation's policy (this one when valid). */
  lastGood: ColocationPolicy | undefined;
  lastGoodGeneration: number | undefined;
  /** The status the object carries now (to write only what differs). */
  observedStatus: unknown;
}

const NO_POOLS: ColocationPolicySpec = { ...structuredClone(DEFAULT_COLOCATION_SETTINGS), nodePools: [] };

/** A fixed policy (tests, or parts run without the CRD). */
export function staticPolicySource(spec: ColocationPolicySpec = NO_POOLS, name: string | null = null): PolicySource {
  return { forNode: (labels) => ({ ...colocationFor(spec, labels), policy: name }), onChange: () => () => undefined };
}

export interface PolicyWatchOptions {
  client: KubeClient;
  /** The policy in effect. Default "default". */
  policyName?: string;
  logger?: Logger;
}

export class ColocationPolicyWatch implements PolicySource {
  readonly policyName: string;
  private readonly informer: Informer<RawObject>;
  private readonly states = new Map<string, PolicyState>();
  private readonly listeners = new Set<() => void>();
  private readonly stateListeners = new Set<(name: string) => void>();
  private readonly log: Logger;
  private effective: { spec: ColocationPolicySpec; name: string | null } = { spec: NO_POOLS, name: null };

  constructor(o: PolicyWatchOptions) {
    this.policyName = o.policyName ?? DEFAULT_POLICY_NAME;
    this.log = o.logger ?? silentLogger;
    this.informer = createInformer<RawObject>({
      client: o.client,
      name: 'colocationpolicies',
      resource: { group: COLOCATION_POLICY_GROUP, version: COLOCATION_POLICY_VERSION, resource: COLOCATION_POLICY_PLURAL },
      backoff: { initialMs: 500, maxMs: 10_000 },
      logger: this.log,
    });
    this.informer.addHandlers({
      onAdd: (obj, key) => this.observe(key, obj),
      onUpdate: (_old, obj, key) => this.observe(key, obj),
      onDelete: (_obj, key) => this.forget(key),
    });
  }

  start(): void {
    this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** True once the policies were listed; false on timeout (no CRD installed: defaults apply). */
  waitForSync(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync({ timeoutMs, ...(signal ? { signal } : {}) });
  }

  forNode(labels: Readonly<Record<string, string>>): NodeColocation {
    return { ...colocationFor(this.effective.spec, labels), policy: this.effective.name };
  }

  /** The policy in effect (null: built-in defaults). */
  inEffect(): { name: string | null; spec: ColocationPolicySpec } {
    return this.effective;
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Every known object's state. */
  list(): PolicyState[] {
    return [...this.states.values()];
  }

  get(name: string): PolicyState | undefined {
    return this.states.get(name);
  }

  /** Called with an object's name whenever what is known about it changes (status writers). */
  onState(cb: (name: string) => void): () => void {
    this.stateListeners.add(cb);
    return () => this.stateListeners.delete(cb);
  }

  private observe(name: string, obj: RawObject): void {
    const generation = Number((obj.metadata as { generation?: unknown } | undefined)?.generation ?? 0);
    const prior = this.states.get(name);
    const result = validateColocationPolicy(obj);
    const recorded = result.policy || prior?.lastGood ? undefined : recordedInEffect(name, obj['status']);
    const state: PolicyState = {
      name,
      generation,
      errors: result.errors ?? [],
      lastGood: result.policy ?? prior?.lastGood ?? recorded?.policy,
      lastGoodGeneration: result.policy ? generation : (prior?.lastGoodGeneration ?? recorded?.generation),
      observedStatus: obj['status'],
    };
    this.states.set(name, state);
    if (result.errors && (prior?.generation !== generation || prior.errors.join() !== result.errors.join())) {
      this.log.warn(
        { policy: name, generation, errors: result.errors, keeping: state.lastGoodGeneration ?? 'built-in defaults' },
        name === this.policyName ? 'invalid ColocationPolicy: the last valid one stays in effect' : 'invalid ColocationPolicy',
      );
    }
    this.recompute();
    for (const cb of this.stateListeners) cb(name);
  }

  private forget(name: string): void {
    this.states.delete(name);
    this.recompute();
    for (const cb of this.stateListeners) cb(name);
  }

  private recompute(): void {
    const good = this.states.get(this.policyName)?.lastGood;
    const next = good ? { spec: good.spec, name: good.name } : { spec: NO_POOLS, name: null };
    if (next.name === this.effective.name && JSON.stringify(next.spec) === JSON.stringify(this.effective.spec)) return;
    this.effective = next;
    this.log.info({ policy: next.name ?? 'built-in defaults' }, 'colocation policy in effect changed');
    for (const cb of this.listeners) {
      try {
        cb();
      } catch (err) {
        this.log.warn({ err }, 'policy change listener threw');
      }
    }
  }
}

/** The policy a status records as in force (status.inEffect), when it is itself valid. */
function recordedInEffect(name: string, status: unknown): { policy: ColocationPolicy; generation: number } | undefined {
  const rec = (status as { inEffect?: { generation?: unknown; spec?: unknown } } | undefined)?.inEffect;
  if (!rec || typeof rec.generation !== 'number') return undefined;
  const r = validateColocationPolicy({ metadata: { name }, spec: rec.spec });
  return r.policy ? { policy: r.policy, generation: rec.generation } : undefined;
}

export function startPolicySource(o: PolicyWatchOptions): ColocationPolicyWatch {
  const w = new ColocationPolicyWatch(o);
  w.start();
  return w;
}
