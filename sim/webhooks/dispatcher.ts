// The mutating webhook stage of the simulated apiserver, as k8s.io/apiserver's mutating
// dispatcher runs it: webhooks in order, each one only when its rules, namespaceSelector and
// objectSelector say so; its JSON patch applied before the next one is asked; its warnings
// collected for Warning headers; `allowed: false` ends the request with the webhook's status;
// a failed call ends it with 500 under failurePolicy Fail and is skipped under Ignore; one
// reinvocation round for IfNeeded webhooks when a later webhook changed the object.
//
// The stored configurations are compiled once per change (a store subscription marks them
// stale), and `active` is a plain boolean: a cluster with no MutatingWebhookConfiguration
// pays one property read per write.
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import type { ClusterApi } from '../api.js';
import { ApiError, badRequest } from '../errors.js';
import { isRecord, type KubeObject } from '../object.js';
import { jsonPatch } from '../patch/json-patch.js';
import { PatchError } from '../patch/index.js';
import type { ResourceType } from '../resources.js';
import { SelectorError, type LabelMatcher } from '../selectors.js';
import { callWebhook, CallError, REVIEW_API_VERSION } from './client.js';
import { compileConfigurations, rulesMatch, type CompiledWebhook, type Operation, type RequestTarget } from './configurations.js';

/** Who made a request, as an AdmissionReview's request.userInfo tells the webhook (sim/auth's users are ones). */
export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** One request as the webhooks see it. */
export interface AdmissionAttributes {
  operation: Operation;
  rt: ResourceType;
  /** '' for the main resource. */
  subresource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  /** '' on a create that uses generateName (kube sends it empty too). */
  name: string;
  /** The object as it would be written; undefined for DELETE. */
  object: KubeObject | undefined;
  /** The stored object for UPDATE and DELETE. */
  oldObject: KubeObject | undefined;
  dryRun: boolean;
  /** CreateOptions / UpdateOptions / DeleteOptions, as kube sends them in request.options. */
  options: Record<string, unknown> | undefined;
  userInfo: UserInfo;
}

export interface AdmissionOutcome {
  /** The object after every patch (the input itself when no webhook changed it). */
  object: KubeObject | undefined;
  warnings: string[];
  /** How many webhooks were called (reinvocations included). */
  calls: number;
}

/** Counters a test or the admin endpoint can read. */
export interface WebhookStats {
  calls: number;
  rejected: number;
  /** Failed calls let through by failurePolicy Ignore. */
  failedOpen: number;
  /** Failed calls that failed the request (failurePolicy Fail). */
  failedClosed: number;
}

function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** k8s.io/apiserver webhook errors' ToStatusErr: the webhook's status, named and at least a 400. */
function rejection(webhook: string, status: Record<string, unknown> | undefined): ApiError {
  const s = status ?? {};
  const denied = `admission webhook ${JSON.stringify(webhook)} denied the request`;
  const message = typeof s['message'] === 'string' && s['message'] !== '' ? `${denied}: ${s['message']}` : typeof s['reason'] === 'string' && s['reason'] !== '' ? `${denied}: ${s['reason']}` : `${denied} without explanation`;
  const code = typeof s['code'] === 'number' && s['code'] >= 400 ? s['code'] : 400;
  const details = isRecord(s['details']) ? (s['details'] as ConstructorParameters<typeof ApiError>[3]) : undefined;
  return new ApiError(code, typeof s['reason'] === 'string' ? s['reason'] : '', message, details);
}

function labelsOf(o: KubeObject | undefined): Readonly<Record<string, string>> | undefined {
  if (!o || !isRecord(o.metadata)) return undefined;
  return isRecord(o.metadata.labels) ? o.metadata.labels : {};
}

export class AdmissionWebhooks {
  readonly stats: WebhookStats = { calls: 0, rejected: 0, failedOpen: 0, failedClosed: 0 };
  /** True while at least one MutatingWebhookConfiguration is stored. */
  active = false;
  private compiled: CompiledWebhook[] | undefined;
  private readonly storageKey: string;
  private readonly unsubscribe: () => void;
  // One keep-alive pool for every webhook: Node keys pooled sockets by host, port, CA and
  // server name, so webhooks never share a connection they should not.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly closing = new AbortController();

  constructor(private readonly api: ClusterApi) {
    this.storageKey = api.registry.lookup('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations')!.storageKey;
    this.unsubscribe = api.store.subscribe(this.storageKey, () => this.refresh());
    this.refresh();
  }

  private refresh(): void {
    this.compiled = undefined;
    this.active = !this.emptyCollection();
  }

  private emptyCollection(): boolean {
    for (const _ of this.api.store.values(this.storageKey)) return false;
    return true;
  }

  private webhooks(): CompiledWebhook[] {
    if (!this.compiled) this.compiled = compileConfigurations([...this.api.store.values(this.storageKey)].map((o) => this.api.parse(o)));
    return this.compiled;
  }

  /** Cheap pre-check: false unless a stored webhook has a rule for this kind of request. */
  mayCall(rt: ResourceType, operation: Operation, subresource: string | undefined): boolean {
    if (!this.active) return false;
    // Any non-empty namespace stands for the request's own: only the rules' scope reads it.
    const t: RequestTarget = { operation, rt, subresource: subresource ?? '', namespace: rt.namespaced ? '-' : '' };
    return this.webhooks().some((w) => rulesMatch(w, t));
  }

  /** True when the request would call at least one webhook (rules and selectors). */
  anyMatch(a: AdmissionAttributes): boolean {
    return this.webhooks().some((w) => this.shouldCall(w, a));
  }

  private namespaceLabels(a: AdmissionAttributes): Readonly<Record<string, string>> | undefined {
    if (a.rt.group === '' && a.rt.resource === 'namespaces') return labelsOf(a.object ?? a.oldObject);
    if (a.namespace === '') return undefined;
    const ns = this.api.store.get('/namespaces', a.namespace);
    return ns ? ns.labels : {};
  }

  private shouldCall(w: CompiledWebhook, a: AdmissionAttributes): boolean {
    if (!rulesMatch(w, { operation: a.operation, rt: a.rt, subresource: a.subresource, namespace: a.namespace })) return false;
    const nsSel = this.selector(w, w.namespaceSelector, 'namespaceSelector');
    const nsLabels = this.namespaceLabels(a);
    if (nsLabels !== undefined && !nsSel(nsLabels)) return false;
    const objSel = this.selector(w, w.objectSelector, 'objectSelector');
    if (objSel.requirements.length === 0 && !objSel.matchesNothing) return true;
    const now = labelsOf(a.object);
    const before = labelsOf(a.oldObject);
    return (now !== undefined && objSel(now)) || (before !== undefined && objSel(before));
  }

  private selector(w: CompiledWebhook, s: LabelMatcher | SelectorError, field: string): LabelMatcher {
    // kube-apiserver answers 500 for a selector it cannot parse, whatever the failurePolicy.
    if (s instanceof SelectorError) throw internalError(`webhook ${JSON.stringify(w.name)}: invalid ${field}: ${s.message}`);
    return s;
  }

  /**
   * Runs the webhooks on `a` and returns the patched object and the warnings; throws the
   * ApiError the request must fail with (rejection, failed call under Fail, bad patch).
   */
  async admit(a: AdmissionAttributes): Promise<AdmissionOutcome> {
    const hooks = this.webhooks();
    const warnings: string[] = [];
    let object = a.object;
    let calls = 0;
    // Reinvocation as kube does it: a change makes every IfNeeded webhook called before it
    // due for one more call, in a second round, after everything else.
    const invokedSinceChange = new Set<string>();
    const reinvoke = new Set<string>();
    let changedAny = false;
    for (const round of [0, 1]) {
      if (round === 1 && (!changedAny || reinvoke.size === 0)) break;
      for (const w of hooks) {
        if (round === 1 && !reinvoke.has(w.key)) continue;
        const current: AdmissionAttributes = { ...a, object };
        if (!this.shouldCall(w, current)) continue;
        calls++;
        const result = await this.callOne(w, current, warnings);
        if (result !== undefined && JSON.stringify(result) !== JSON.stringify(object)) {
          object = result;
          changedAny = true;
          for (const k of invokedSinceChange) reinvoke.add(k);
          invokedSinceChange.clear();
        }
        if (w.reinvocationPolicy === 'IfNeeded') invokedSinceChange.add(w.key);
      }
    }
    return { object, warnings, calls };
  }

  /** One webhook: the patched object, undefined when it sent no patch (or failed open). */
  private async callOne(w: CompiledWebhook, a: AdmissionAttributes, warnings: string[]): Promise<KubeObject | undefined> {
    if (a.dryRun) {
      if (w.sideEffects === undefined) return this.callFailed(w, new CallError('Webhook SideEffects is nil'));
      if (w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun') throw badRequest(`admission webhook ${JSON.stringify(w.name)} does not support dry run`);
    }
    if (!w.admissionReviewVersions.includes('v1')) {
      return this.callFailed(w, new CallError(`could not create admission objects: the simulated apiserver sends only admission.k8s.io/v1 reviews; the webhook accepts ${JSON.stringify(w.admissionReviewVersions)}`));
    }
    const uid = randomUUID();
    this.stats.calls++;
    let answer;
    try {
      answer = await callWebhook(this.api, this.agent, w, uid, JSON.stringify(this.review(uid, a)), this.closing.signal);
    } catch (e) {
      if (e instanceof CallError) return this.callFailed(w, e);
      throw e;
    }
    warnings.push(...answer.warnings);
    if (!answer.allowed) {
      this.stats.rejected++;
      throw rejection(w.name, answer.status);
    }
    if (!answer.patch || answer.patch.length === 0) return undefined;
    if (a.object === undefined) throw internalError(`admission webhook ${JSON.stringify(w.name)} attempted to modify the object, which is not supported for this operation`);
    let patched: unknown;
    try {
      patched = jsonPatch(a.object, answer.patch);
    } catch (e) {
      if (e instanceof PatchError) throw internalError(e.message);
      throw e;
    }
    if (!isRecord(patched) || !isRecord(patched['metadata'])) throw internalError(`admission webhook ${JSON.stringify(w.name)} returned a patch that leaves no object metadata`);
    return patched as KubeObject;
  }

  private callFailed(w: CompiledWebhook, e: CallError): undefined {
    if (w.failurePolicy === 'Ignore') {
      this.stats.failedOpen++;
      return undefined;
    }
    this.stats.failedClosed++;
    throw internalError(`failed calling webhook ${JSON.stringify(w.name)}: ${e.message}`);
  }

  /** The AdmissionReview v1 request kube-apiserver sends (CreateV1AdmissionReview). */
  private review(uid: string, a: AdmissionAttributes): Record<string, unknown> {
    const { group, version, kind, resource } = a.rt;
    return {
      apiVersion: REVIEW_API_VERSION,
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: { group, version, kind },
        resource: { group, version, resource },
        ...(a.subresource ? { subResource: a.subresource } : {}),
        requestKind: { group, version, kind },
        requestResource: { group, version, resource },
        ...(a.subresource ? { requestSubResource: a.subresource } : {}),
        ...(a.name ? { name: a.name } : {}),
        ...(a.namespace ? { namespace: a.namespace } : {}),
        operation: a.operation,
        userInfo: {
          username: a.userInfo.username,
          ...(a.userInfo.uid ? { uid: a.userInfo.uid } : {}),
          groups: a.userInfo.groups,
          ...(a.userInfo.extra && Object.keys(a.userInfo.extra).length > 0 ? { extra: a.userInfo.extra } : {}),
        },
        object: a.object ?? null,
        oldObject: a.oldObject ?? null,
        dryRun: a.dryRun,
        options: a.options ?? null,
      },
    };
  }

  /** Cuts in-flight calls and pooled connections; the cluster is stopping. */
  close(): void {
    this.unsubscribe();
    this.closing.abort();
    this.agent.destroy();
  }
}
