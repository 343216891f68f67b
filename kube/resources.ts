/**
 * Pod resource math: effective requests and limits, the Kubernetes QoS class, and the integer
 * arithmetic every capacity figure is built from. Plumbing only: Tidepool's own QoS classes
 * are decided in api/qos.ts on top of this.
 *
 * Inputs are plain Kubernetes JSON (or @kubernetes/client-node objects, which have the same
 * shape). Outputs are integers: `cpu` in millicores, every other resource (memory,
 * ephemeral-storage, hugepages-*, pods, extended resources such as kubernetes.io/batch-cpu) in
 * whole units, rounded up as Kubernetes' MilliValue()/Value() do.
 */
import { QuantityError, formatBytes, formatCpuMilli, parseQuantity, toMilli, toUnits } from './quantity.js';

/** Integer amounts per resource name: cpu in millicores, everything else in whole units. */
export type ResourceAmounts = Record<string, number>;

/** A resource list as it is on the wire: quantity strings (or JSON numbers) per resource name. */
export type ResourceList = Readonly<Record<string, string | number>>;

export interface ResourceRequirementsLike {
  readonly requests?: ResourceList;
  readonly limits?: ResourceList;
}

export interface ContainerLike {
  readonly name?: string;
  readonly resources?: ResourceRequirementsLike;
  /** "Always" on an init container makes it a restartable sidecar (Kubernetes 1.29+). */
  readonly restartPolicy?: string;
}

/** The part of a Pod this module reads; a V1Pod is one. */
export interface PodLike {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly spec?: {
    readonly containers?: readonly ContainerLike[];
    readonly initContainers?: readonly ContainerLike[];
    readonly overhead?: ResourceList;
    readonly priorityClassName?: string;
    /** Pod-level resources (PodLevelResources feature): when set they win over the container sum. */
    readonly resources?: ResourceRequirementsLike;
  };
  readonly status?: { readonly qosClass?: string };
}

export type KubeQosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export const RESOURCE_CPU = 'cpu';
export const RESOURCE_MEMORY = 'memory';
/**
 * Parsed amounts by quantity string ("m500m" = cpu millis of "500m", "u1Gi" = units of "1Gi").
 * A cluster's pods use a few hundred distinct quantities, and informers parse every pod on
 * every change: exact (bigint) parsing of each one showed up as the informer's top cost.
 */
const amountMemo = new Map<string, number>();
const AMOUNT_MEMO_SIZE = 10_000;

/**
 * Parses a resource list into integer amounts. A malformed quantity throws a QuantityError
 * whose message also says where it was found (`context`, e.g. "pod default/web container app").
 */
export function parseResourceList(list: ResourceList | undefined, context?: string): ResourceAmounts {
  const out: ResourceAmounts = {};
  if (!list) return out;
  for (const name in list) {
    const value = list[name]!;
    const memoKey = (name === RESOURCE_CPU ? 'm' : 'u') + value;
    const known = amountMemo.get(memoKey);
    if (known !== undefined) {
      out[name] = known;
      continue;
    }
    try {
      const q = parseQuantity(value);
      const amount = name === RESOURCE_CPU ? toMilli(q) : toUnits(q);
      if (amountMemo.size >= AMOUNT_MEMO_SIZE) amountMemo.clear();
      amountMemo.set(memoKey, amount);
      out[name] = amount;
    } catch (err) {
      if (err instanceof QuantityError && context !== undefined) {
        throw new QuantityError(err.input, `${err.reason} (${context}, resource ${name})`);
      }
      throw err;
    }
  }
  return out;
}

/** Amounts back to wire quantities: cpu as "250m"/"2", memory-like as "1Gi" or plain bytes. */
export function formatResourceList(amounts: Readonly<ResourceAmounts>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(amounts)) {
    if (name === RESOURCE_CPU) out[name] = formatCpuMilli(value);
    else if (isByteResource(name)) out[name] = formatBytes(value);
    else out[name] = String(value);
  }
  return out;
}

/**
 * A container's requests after API defaulting: a resource with only a limit requests its
 * limit. The API server does this on create, but admission webhooks and the scheduler's
 * in-flight pods can still see the un-defaulted spec.
 */
export function containerRequests(container: ContainerLike, where?: string): ResourceAmounts {
  return containerRequestsAndLimits(container, where).requests;
}

/** Both at once, for callers that need both: the limits are parsed once and default the requests. */
function containerRequestsAndLimits(
  container: ContainerLike,
  where: string | undefined,
): { requests: ResourceAmounts; limits: ResourceAmounts } {
  const ctx = describeContainer(container, where);
  const limits = parseResourceList(container.resources?.limits, `${ctx} limits`);
  return { requests: { ...limits, ...parseResourceList(container.resources?.requests, `${ctx} requests`) }, limits };
}

export function containerLimits(container: ContainerLike, where?: string): ResourceAmounts {
  return parseResourceList(container.resources?.limits, `${describeContainer(container, where)} limits`);
}

function describeContainer(container: ContainerLike, where: string | undefined): string {
  return `${where ? `${where} ` : ''}container ${container.name ?? '(unnamed)'}`;
}

/**
 * What the scheduler reserves for the pod, per Kubernetes' rules:
 *   max( Σ containers + Σ sidecars,  max over init containers of (it + sidecars started before it) )
 *   + spec.overhead
 * Init containers run one at a time before the app containers, so only the largest counts; a
 * restartable sidecar (init container with restartPolicy Always) keeps running beside every
 * later init container and the app containers, so it adds to both. Pod-level resources, when
 * given, replace the aggregate for the resources they name.
 */
export function podRequests(pod: PodLike): ResourceAmounts {
  const where = describePod(pod);
  return aggregate(
    pod,
    (c) => containerRequests(c, where),
    () => {
      const podLevel = pod.spec?.resources;
      return {
        ...parseResourceList(podLevel?.limits, `${where} spec.resources.limits`),
        ...parseResourceList(podLevel?.requests, `${where} spec.resources.requests`),
      };
    },
    (total, overhead) => addResources(total, overhead),
  );
}

/**
 * The pod's limits by the same rules as podRequests. A container without a limit for a resource
 * is unbounded there, but (as in Kubernetes' PodLimits) contributes nothing to the sum: read a
 * limit here as "the declared limits", and use qosClass to know whether the pod is bounded.
 * Overhead is added only to resources that have a limit.
 */
export function podLimits(pod: PodLike): ResourceAmounts {
  const where = describePod(pod);
  return aggregate(
    pod,
    (c) => containerLimits(c, where),
    () => parseResourceList(pod.spec?.resources?.limits, `${where} spec.resources.limits`),
    (total, overhead) => {
      const out = { ...total };
      for (const [name, value] of Object.entries(overhead)) {
        if (out[name] !== undefined) out[name] += value;
      }
      return out;
    },
  );
}

function aggregate(
  pod: PodLike,
  of: (c: ContainerLike) => ResourceAmounts,
  podLevel: () => ResourceAmounts,
  withOverhead: (total: ResourceAmounts, overhead: ResourceAmounts) => ResourceAmounts,
): ResourceAmounts {
  const spec = pod.spec;
  let total: ResourceAmounts = {};
  for (const c of spec?.containers ?? []) total = addResources(total, of(c));

  let sidecars: ResourceAmounts = {};
  let initPeak: ResourceAmounts = {};
  for (const c of spec?.initContainers ?? []) {
    const own = of(c);
    if (c.restartPolicy === 'Always') {
      total = addResources(total, own);
      sidecars = addResources(sidecars, own);
      initPeak = maxResources(initPeak, sidecars);
    } else {
      initPeak = maxResources(initPeak, addResources(own, sidecars));
    }
  }
  total = maxResources(total, initPeak);
  total = { ...total, ...podLevel() };
  return withOverhead(total, parseResourceList(spec?.overhead, `${describePod(pod)} spec.overhead`));
}

/**
 * Kubernetes QoS class. status.qosClass wins when the kubelet/API server has set it (it is
 * immutable for the pod's life); otherwise it is computed from cpu and memory as Kubernetes does:
 * - BestEffort: no container requests or limits any cpu or memory;
 * - Guaranteed: every container limits both cpu and memory, and requests equal limits;
 * - Burstable: everything else.
 * Requests are taken after defaulting (a limit alone implies an equal request).
 */
export function qosClass(pod: PodLike): KubeQosClass {
  const fromStatus = pod.status?.qosClass;
  if (fromStatus === 'Guaranteed' || fromStatus === 'Burstable' || fromStatus === 'BestEffort') return fromStatus;

  const where = describePod(pod);
  const podLevel = pod.spec?.resources;
  const usesPodLevel = [podLevel?.requests, podLevel?.limits].some(
    (l) => l?.[RESOURCE_CPU] !== undefined || l?.[RESOURCE_MEMORY] !== undefined,
  );
  const units: ContainerLike[] = usesPodLevel
    ? [{ name: 'spec.resources', resources: podLevel }]
    : [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];

  const requests: ResourceAmounts = {};
  const limits: ResourceAmounts = {};
  let guaranteed = true;
  for (const c of units) {
    const { requests: req, limits: lim } = containerRequestsAndLimits(c, where);
    for (const name of [RESOURCE_CPU, RESOURCE_MEMORY]) {
      const r = req[name] ?? 0;
      const l = lim[name] ?? 0;
      if (r > 0) requests[name] = (requests[name] ?? 0) + r;
      if (l > 0) limits[name] = (limits[name] ?? 0) + l;
      else guaranteed = false;
    }
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (!guaranteed) return 'Burstable';
  for (const name of [RESOURCE_CPU, RESOURCE_MEMORY]) {
    if (requests[name] !== limits[name]) return 'Burstable';
  }
  return 'Guaranteed';
}

/** a + b per resource (union of names). */
export function addResources(a: Readonly<ResourceAmounts>, b: Readonly<ResourceAmounts>): ResourceAmounts {
  const out: ResourceAmounts = { ...a };
  for (const name in b) {
    const value = b[name]!;
    out[name] = (out[name] ?? 0) + value;
  }
  return out;
}

/** a − b per resource (union of names); results may be negative, callers decide whether to clamp. */
export function subtractResources(a: Readonly<ResourceAmounts>, b: Readonly<ResourceAmounts>): ResourceAmounts {
  const out: ResourceAmounts = { ...a };
  for (const name in b) {
    const value = b[name]!;
    out[name] = (out[name] ?? 0) - value;
  }
  return out;
}

/** max(a, b) per resource (union of names). */
export function maxResources(a: Readonly<ResourceAmounts>, b: Readonly<ResourceAmounts>): ResourceAmounts {
  const out: ResourceAmounts = { ...a };
  for (const name in b) {
    const value = b[name]!;
    out[name] = Math.max(out[name] ?? value, value);
  }
  return out;
}

/**
 * The resources for which `request` does not fit into `free`, in the request's order; empty
 * means it fits. A resource missing from `free` has none free; a zero request always fits.
 */
export function fits(request: Readonly<ResourceAmounts>, free: Readonly<ResourceAmounts>): string[] {
  const short: string[] = [];
  for (const [name, want] of Object.entries(request)) {
    if (want > 0 && want > (free[name] ?? 0)) short.push(name);
  }
  return short;
}

/**
 * Resources counted in bytes: Kubernetes' own, and extended resources named like them
 * ("kubernetes.io/batch-memory", "example.com/gpu-memory"), so they print as "1Gi".
 */
function isByteResource(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return (
    base === RESOURCE_MEMORY ||
    base.endsWith('-memory') ||
    base === 'ephemeral-storage' ||
    base === 'storage' ||
    base.startsWith('hugepages-')
  );
}

function describePod(pod: PodLike): string {
  const m = pod.metadata;
  return `pod ${m?.namespace ? `${m.namespace}/` : ''}${m?.name ?? '(unnamed)'}`;
}
