/**
 * Binds through the pods/binding subresource, as kube-scheduler's DefaultBinder does. The pod's
 * uid goes with it, so a pod deleted and created again under the same name is never bound by
 * a decision made for its predecessor (the API server answers 409).
 */
import { statusCodeOf, type KubeClient } from '../../../kube/index.js';
import type { BindPlugin } from '../framework/interfaces.js';
import { errorStatus } from '../framework/status.js';

export const DEFAULT_BINDER = 'DefaultBinder';

export function bindingPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/binding`;
}

export function bindingBody(namespace: string, name: string, uid: string, node: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name, namespace, ...(uid ? { uid } : {}) },
    target: { apiVersion: 'v1', kind: 'Node', name: node },
  };
}

/** Posts a Binding; resolves undefined on success, else an error message with the HTTP code when there was one. */
export async function postBinding(client: KubeClient, namespace: string, name: string, uid: string, node: string, signal?: AbortSignal): Promise<{ message: string; code: number | undefined } | undefined> {
  try {
    await client.request({ method: 'POST', path: bindingPath(namespace, name), body: bindingBody(namespace, name, uid, node), ...(signal ? { signal } : {}) });
    return undefined;
  } catch (err) {
    return { message: `binding ${namespace}/${name} to ${node}: ${(err as Error).message}`, code: statusCodeOf(err) };
  }
}

export function defaultBinder(client: KubeClient): BindPlugin {
  return {
    name: DEFAULT_BINDER,
    async bind(_state, pod, node, signal) {
      const failed = await postBinding(client, pod.namespace, pod.name, pod.uid, node, signal);
      return failed ? errorStatus(failed.message) : undefined;
    },
  };
}
