// Kind-specific rules layered on the generic verbs: pod status/priority/grace periods,
// namespace termination, CustomResourceDefinitions turning into served resources,
// and pod garbage collection when a node goes away.

import type { ClusterApi } from './api.js';
import { ApiError } from './errors.js';
import { childRecord, isRecord, type KubeObject } from './object.js';
import { compareKubeVersions, type PrinterColumn, type ResourceRegistry, type ResourceType, ALL_VERBS } from './resources.js';
import { objectKey } from './store.js';
import { qosClass, type PodLike } from '../kube/index.js';

type Obj = Record<string, unknown>;

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const rec = childRecord;

export function installKindHooks(api: ClusterApi): void {
  installPodHooks(api);
  installNamespaceHooks(api);
  installCrdHooks(api);
  installNodeHooks(api);
}

function installPodHooks(api: ClusterApi): void {
  api.registerHooks('/pods', {
    beforeCreate(pod) {
      const spec = rec(pod, 'spec');
      // Priority admission: priorityClassName resolves to a value, or the create fails.
      const pcName = typeof spec['priorityClassName'] === 'string' ? spec['priorityClassName'] : '';
      if (pcName) {
        const pcRt = api.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses')!;
        const pc = api.tryGet(pcRt, '', pcName);
        if (!pc && pcName !== 'system-node-critical' && pcName !== 'system-cluster-critical') {
          throw new ApiError(403, 'Forbidden', `pods "${pod.metadata.name ?? pod.metadata.generateName ?? ''}" is forbidden: no PriorityClass with name ${pcName} was found`);
        }
        const value = pc ? (api.parse(pc)['value'] as number) : pcName === 'system-node-critical' ? 2000001000 : 2000000000;
        if (spec['priority'] !== undefined && spec['priority'] !== value) {
          throw new ApiError(403, 'Forbidden', `the integer value of priority (${String(spec['priority'])}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
        }
        spec['priority'] = value;
        // The class's preemption policy, as Priority admission copies it (a pod may not say otherwise).
        const classPolicy = (pc ? (api.parse(pc)['preemptionPolicy'] as string | undefined) : undefined) ?? 'PreemptLowerPriority';
        if (spec['preemptionPolicy'] !== undefined && spec['preemptionPolicy'] !== classPolicy) {
          throw new ApiError(403, 'Forbidden', `the string value of PreemptionPolicy (${String(spec['preemptionPolicy'])}) must not be provided in pod spec; priority admission controller computed ${classPolicy} from the given PriorityClass name`);
        }
        spec['preemptionPolicy'] = classPolicy;
      } else {
        if (spec['priority'] === undefined) spec['priority'] = 0;
        if (spec['preemptionPolicy'] === undefined) spec['preemptionPolicy'] = 'PreemptLowerPriority';
      }
      const status: Obj = { phase: 'Pending' };
      try {
        status['qosClass'] = qosClass(pod as unknown as PodLike);
      } catch {
        // Malformed quantities are reported by validation with field paths.
      }
      pod['status'] = status;
    },
    gracePeriod(pod, requested) {
      const spec = isRecord(pod['spec']) ? pod['spec'] : {};
      const status = isRecord(pod['status']) ? pod['status'] : {};
      // Unscheduled and finished pods have no kubelet to wait for.
      if (!spec['nodeName'] || status['phase'] === 'Succeeded' || status['phase'] === 'Failed') return 0;
      if (requested !== undefined) return requested;
      const t = spec['terminationGracePeriodSeconds'];
      return typeof t === 'number' ? t : 30;
    },
  });
}

function installNamespaceHooks(api: ClusterApi): void {
  api.registerHooks('/namespaces', {
    beforeCreate(ns) {
      const spec = rec(ns, 'spec');
      if (!Array.isArray(spec['finalizers'])) spec['finalizers'] = ['kubernetes'];
      ns['status'] = { phase: 'Active' };
      const name = ns.metadata.name;
      if (name) ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': name };
    },
    gracePeriod(ns) {
      const name = ns.metadata.name ?? '';
      if (PROTECTED_NAMESPACES.has(name)) {
        throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`);
      }
      return 0;
    },
    holdDeletion(ns) {
      const spec = isRecord(ns['spec']) ? ns['spec'] : {};
      const held = Array.isArray(spec['finalizers']) && spec['finalizers'].length > 0;
      if (held) rec(ns, 'status')['phase'] = 'Terminating';
      return held;
    },
  });
}

/** Deletes a terminating namespace's contents, then the namespace: the namespace controller. */
export function reconcileTerminatingNamespaces(api: ClusterApi): void {
  const nsRt = api.registry.lookup('', 'v1', 'namespaces')!;
  for (const stored of [...api.store.values(nsRt.storageKey)]) {
    const ns = api.parse(stored);
    if (!ns.metadata.deletionTimestamp) continue;
    const name = ns.metadata.name ?? '';
    let remaining = 0;
    const seen = new Set<string>();
    for (const rt of api.registry.all()) {
      if (!rt.namespaced || rt.readOnly || seen.has(rt.storageKey) || !api.store.hasCollection(rt.storageKey)) continue;
      seen.add(rt.storageKey);
      for (const o of [...api.store.values(rt.storageKey, name)]) {
        remaining++;
        try {
          const obj = api.parse(o);
          if (!obj.metadata.deletionTimestamp) api.delete(rt, name, o.name);
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
    }
    if (remaining === 0) api.store.delete(nsRt.storageKey, objectKey('', name));
  }
}

// ---------------------------------------------------------------- CRDs

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: unknown };
  subresources?: { status?: unknown; scale?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
}

/** The resource types one CRD object defines (one per served version). */
export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const spec = isRecord(crd['spec']) ? crd['spec'] : {};
  const names = isRecord(spec['names']) ? spec['names'] : {};
  const group = String(spec['group'] ?? '');
  const plural = String(names['plural'] ?? '');
  const kind = String(names['kind'] ?? '');
  const versions = (Array.isArray(spec['versions']) ? spec['versions'] : []) as CrdVersion[];
  const storage = versions.find((v) => v.storage)?.name ?? versions[0]?.name ?? '';
  return versions
    .filter((v) => v.served)
    .map((v) => {
      const subs: string[] = [];
      if (v.subresources?.status !== undefined) subs.push('status');
      if (v.subresources?.scale !== undefined) subs.push('scale');
      return {
        group,
        version: v.name,
        resource: plural,
        kind,
        listKind: String(names['listKind'] ?? `${kind}List`),
        singular: String(names['singular'] ?? kind.toLowerCase()),
        namespaced: spec['scope'] !== 'Cluster',
        shortNames: Array.isArray(names['shortNames']) ? (names['shortNames'] as string[]) : [],
        categories: Array.isArray(names['categories']) ? (names['categories'] as string[]) : [],
        verbs: ALL_VERBS,
        subresources: subs,
        storageKey: `${group}/${plural}`,
        statusSubresource: subs.includes('status'),
        tracksGeneration: true,
        custom: {
          crdName: crd.metadata.name ?? '',
          ...(v.schema?.openAPIV3Schema !== undefined ? { schema: v.schema.openAPIV3Schema } : {}),
          printerColumns: v.additionalPrinterColumns ?? [],
          storageVersion: storage,
        },
      } satisfies ResourceType;
    })
    .sort((a, b) => compareKubeVersions(a.version, b.version));
}

function registerCrd(api: ClusterApi, registry: ResourceRegistry, crd: KubeObject): void {
  registry.removeCrd(crd.metadata.name ?? '');
  if (crd.metadata.deletionTimestamp) return;
  for (const rt of crdResourceTypes(crd)) {
    registry.add(rt);
    api.ensureCollection(rt);
  }
}

function installCrdHooks(api: ClusterApi): void {
  const registry = api.registry;
  api.registerHooks('apiextensions.k8s.io/customresourcedefinitions', {
    beforeCreate(crd) {
      const spec = isRecord(crd['spec']) ? crd['spec'] : {};
      const names = isRecord(spec['names']) ? spec['names'] : {};
      const group = String(spec['group'] ?? '');
      const plural = String(names['plural'] ?? '');
      if (crd.metadata.name !== `${plural}.${group}`) {
        throw new ApiError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${crd.metadata.name ?? ''}" is invalid: metadata.name: Invalid value: "${crd.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group`, {
          kind: 'CustomResourceDefinition',
          group: 'apiextensions.k8s.io',
          causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: 'must be spec.names.plural+"."+spec.group' }],
        });
      }
      // A built-in type of the same group/plural cannot be shadowed.
      const versions = (Array.isArray(spec['versions']) ? spec['versions'] : []) as CrdVersion[];
      for (const v of versions) {
        const existing = registry.lookup(group, v.name, plural);
        if (existing && !existing.custom) {
          throw new ApiError(422, 'Invalid', `CustomResourceDefinition "${crd.metadata.name ?? ''}" is invalid: spec.group: resource ${plural}.${group}/${v.name} is served by the API server itself`);
        }
      }
      const storage = versions.find((v) => v.storage)?.name;
      const now = api.now();
      crd['status'] = {
        conditions: [
          { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
        ],
        acceptedNames: names,
        storedVersions: storage ? [storage] : [],
      };
    },
    afterWrite(crd) {
      registerCrd(api, registry, crd);
    },
    afterDelete(crd) {
      registry.removeCrd(crd.metadata.name ?? '');
      const spec = isRecord(crd['spec']) ? crd['spec'] : {};
      const names = isRecord(spec['names']) ? spec['names'] : {};
      const storageKey = `${String(spec['group'] ?? '')}/${String(names['plural'] ?? '')}`;
      if (api.store.hasCollection(storageKey)) {
        for (const o of [...api.store.values(storageKey)]) api.store.delete(storageKey, o.key);
      }
    },
  });
}

function installNodeHooks(api: ClusterApi): void {
  // Pod GC: pods bound to a node that no longer exists are force-deleted.
  api.registerHooks('/nodes', {
    afterDelete(node) {
      const name = node.metadata.name ?? '';
      const podsRt = api.registry.lookup('', 'v1', 'pods')!;
      setImmediate(() => {
        for (const o of [...api.store.values('/pods')]) {
          if (o.fields['spec.nodeName'] !== name) continue;
          try {
            api.delete(podsRt, o.namespace, o.name, { gracePeriodSeconds: 0 });
            const still = api.tryGet(podsRt, o.namespace, o.name);
            if (still) api.store.delete('/pods', still.key);
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 404)) throw e;
          }
        }
      });
    },
  });
}
