/**
 * The kubelet API's view of the pods it serves, over the KubeletBackend: which nodes this
 * endpoint stands for, which host pods are on them, and where a pod's mirror runs. Every
 * endpoint that addresses a pod goes through here, so "unknown pod", "container not in the
 * pod" and "not placed yet" are worded once.
 */
import type { RawObject } from '../../kube/index.js';
import type { KubeletBackend, MirrorLocation } from '../kubelet-backend.js';
import { KubeletApiError, notFound } from './status.js';

type Obj = Record<string, unknown>;

/** A host pod this endpoint serves, with the node it is bound to. */
export interface ServedPod {
  namespace: string;
  name: string;
  node: string;
  pod: RawObject;
}

export class PodDirectory {
  /**
   * @param only When set, the endpoint stands for these of the backend's nodes only (one
   *   endpoint per virtual node); otherwise for all of them.
   */
  constructor(
    private readonly backend: KubeletBackend,
    private readonly only?: readonly string[],
  ) {}

  /** The virtual nodes this endpoint serves now. */
  nodes(): string[] {
    const all = this.backend.nodeNames();
    return this.only ? all.filter((n) => this.only!.includes(n)) : all;
  }

  /** Host pods bound to the nodes served. */
  pods(): ServedPod[] {
    const nodes = new Set(this.nodes());
    const out: ServedPod[] = [];
    for (const pod of this.backend.hostPods()) {
      const served = servedPod(pod);
      if (served && nodes.has(served.node)) out.push(served);
    }
    return out;
  }

  /** The served host pod namespace/name, or undefined. */
  find(namespace: string, name: string): ServedPod | undefined {
    if (!this.backend.hasPod(namespace, name)) return undefined;
    const nodes = new Set(this.nodes());
    for (const pod of this.backend.hostPods()) {
      if (pod.metadata?.namespace !== namespace || pod.metadata?.name !== name) continue;
      const served = servedPod(pod);
      return served && nodes.has(served.node) ? served : undefined;
    }
    return undefined;
  }

  /** Where a host pod's mirror runs, when it has been placed. */
  mirrorOf(namespace: string, name: string): MirrorLocation | undefined {
    return this.backend.mirrorOf(namespace, name);
  }

  /**
   * The nodes whose permission a request for pod namespace/name needs: the pod's node when it
   * is ours, else every node served, so that whether a pod exists is told only to users
   * allowed to ask.
   */
  nodesFor(namespace: string, name: string): string[] {
    const pod = this.find(namespace, name);
    return pod ? [pod.node] : this.nodes();
  }

  /**
   * The served pod and its mirror, for an endpoint that reaches into a container. Throws a
   * 404 for a pod that is not ours or a container it does not have, and a 400 (as the kubelet
   * for a container still being created) when the pod has no mirror yet.
   */
  resolve(namespace: string, name: string, container: string | undefined, uid?: string): { pod: ServedPod; mirror: MirrorLocation } {
    const pod = this.find(namespace, name);
    if (!pod || (uid !== undefined && pod.pod.metadata?.uid !== uid)) {
      throw notFound(`pod "${name}" does not exist in namespace "${namespace}" on node ${this.nodes().map((n) => `"${n}"`).join(', ') || '(none)'}`);
    }
    if (container !== undefined && !containerNames(pod.pod).includes(container)) {
      throw notFound(`container "${container}" not found in pod "${name}"`);
    }
    const mirror = this.backend.mirrorOf(namespace, name);
    if (!mirror) {
      const what = container !== undefined ? `container "${container}" in pod "${name}"` : `pod "${name}"`;
      throw new KubeletApiError(400, 'BadRequest', `${what} is waiting to start: the pod is not placed in a member cluster yet`);
    }
    return { pod, mirror };
  }
}

function servedPod(pod: RawObject): ServedPod | undefined {
  const namespace = pod.metadata?.namespace;
  const name = pod.metadata?.name;
  const spec = isRecord(pod['spec']) ? pod['spec'] : {};
  const node = spec['nodeName'];
  if (typeof namespace !== 'string' || typeof name !== 'string' || typeof node !== 'string' || node === '') return undefined;
  return { namespace, name, node, pod };
}

/** Every container a subresource may address: regular, init and ephemeral. */
export function containerNames(pod: RawObject): string[] {
  const spec = isRecord(pod['spec']) ? pod['spec'] : {};
  const out: string[] = [];
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) if (isRecord(c) && typeof c['name'] === 'string') out.push(c['name']);
  }
  return out;
}

export function isRecord(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
