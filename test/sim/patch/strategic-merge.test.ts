import { describe, it, expect } from 'vitest';
import { applyPatch, PatchError } from '../../../sim/patch/index.js';

const SMP = 'application/strategic-merge-patch+json';
const POD = { group: '', kind: 'Pod' };
const DEPLOYMENT = { group: 'apps', kind: 'Deployment' };

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests index deep into patched JSON

function pod(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a.example.com/f'] },
    spec: {
      nodeSelector: { disk: 'ssd', zone: 'a' },
      tolerations: [{ key: 'k1', operator: 'Exists' }],
      containers: [
        {
          name: 'app',
          image: 'app:v1',
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
        },
        { name: 'sidecar', image: 'sidecar:v1' },
      ],
    },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'False' },
        { type: 'PodScheduled', status: 'True' },
      ],
    },
  };
}

function smp(original: Obj, patch: unknown, target = POD): Obj {
  return applyPatch(SMP, original, patch, target) as Obj;
}

describe('strategic merge patch: kubectl apply re-apply', () => {
  it('changes an image, adds and deletes env vars and orders them with $setElementOrder', () => {
    const original = pod();
    const before = structuredClone(original);
    // The shape kubectl apply sends when the manifest changes image, drops A and adds C.
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Pod"}' } },
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
        containers: [
          {
            name: 'app',
            image: 'app:v2',
            '$setElementOrder/env': [{ name: 'B' }, { name: 'C' }],
            env: [
              { name: 'A', $patch: 'delete' },
              { name: 'C', value: '3' },
            ],
          },
        ],
      },
    };
    const out = smp(original, patch);
    expect(out.spec.containers).toEqual([
      {
        name: 'app',
        image: 'app:v2',
        env: [
          { name: 'B', value: '2' },
          { name: 'C', value: '3' },
        ],
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
      },
      { name: 'sidecar', image: 'sidecar:v1' },
    ]);
    expect(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe('{"kind":"Pod"}');
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(original).toEqual(before);
  });

  it('reorders a list with $setElementOrder alone', () => {
    const original = pod();
    original.spec.containers[0].env.push({ name: 'C', value: '3' });
    const out = smp(original, {
      spec: { containers: [{ name: 'app', '$setElementOrder/env': [{ name: 'C' }, { name: 'A' }, { name: 'B' }] }] },
    });
    expect(out.spec.containers[0].env.map((e: Obj) => e.name)).toEqual(['C', 'A', 'B']);
  });

  it('keeps server-only items before the $setElementOrder items, as the apiserver does', () => {
    const original = pod();
    original.spec.containers[0].env = ['C', 'B', 'D', 'A', 'E'].map((name) => ({ name }));
    const out = smp(original, {
      spec: {
        containers: [{ name: 'app', '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }], env: [{ name: 'A', value: 'x' }, { name: 'B' }] }],
      },
    });
    expect(out.spec.containers[0].env.map((e: Obj) => e.name)).toEqual(['C', 'D', 'A', 'B', 'E']);
  });

  it('puts an item added without $setElementOrder before the server items (apiserver ordering)', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'app', env: [{ name: 'NEW', value: 'n' }] }] } });
    expect(out.spec.containers[0].env.map((e: Obj) => e.name)).toEqual(['NEW', 'A', 'B']);
  });

  it('merges an existing container by name without touching the others', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'sidecar', image: 'sidecar:v2' }] } });
    expect(out.spec.containers.map((c: Obj) => `${c.name}=${c.image}`)).toEqual(['app=app:v1', 'sidecar=sidecar:v2']);
  });

  it('merges container ports by containerPort', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'app', ports: [{ containerPort: 8080, name: 'http' }, { containerPort: 9090 }] }] } });
    expect(out.spec.containers[0].ports).toEqual([{ containerPort: 8080, protocol: 'TCP', name: 'http' }, { containerPort: 9090 }]);
  });
});

describe('strategic merge patch: maps and atomic lists', () => {
  it('deletes a map key with null and merges the rest', () => {
    const out = smp(pod(), { spec: { nodeSelector: { zone: null, rack: 'r1' } } });
    expect(out.spec.nodeSelector).toEqual({ disk: 'ssd', rack: 'r1' });
  });

  it('replaces lists that have no merge key: tolerations are atomic', () => {
    const out = smp(pod(), { spec: { tolerations: [{ key: 'k2', operator: 'Equal', value: 'v' }] } });
    expect(out.spec.tolerations).toEqual([{ key: 'k2', operator: 'Equal', value: 'v' }]);
  });

  it('replaces node taints whole (no merge key upstream)', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } };
    const out = smp(node, { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } }, { group: '', kind: 'Node' });
    expect(out.spec.taints).toEqual([{ key: 'b', effect: 'NoExecute' }]);
  });

  it('ignores null for a key the original does not have', () => {
    const out = smp(pod(), { spec: { hostname: null, subdomain: 'sub' } });
    expect('hostname' in out.spec).toBe(false);
    expect(out.spec.subdomain).toBe('sub');
  });

  it('resolves directives inside a value the original lacks', () => {
    const out = smp(pod(), { spec: { affinity: { nodeAffinity: { x: 1, y: null } }, initContainers: [{ name: 'init', image: 'i' }, { name: 'gone', $patch: 'delete' }] } });
    expect(out.spec.affinity).toEqual({ nodeAffinity: { x: 1 } });
    expect(out.spec.initContainers).toEqual([{ name: 'init', image: 'i' }]);
  });

  it('$patch: replace on a map takes the patch literally', () => {
    const out = smp(pod(), { spec: { nodeSelector: { $patch: 'replace', only: 'this' } } });
    expect(out.spec.nodeSelector).toEqual({ only: 'this' });
  });

  it('$patch: replace as a list element replaces the merged list', () => {
    const out = smp(pod(), { spec: { containers: [{ name: 'solo', image: 'solo:v1' }, { $patch: 'replace' }] } });
    expect(out.spec.containers).toEqual([{ name: 'solo', image: 'solo:v1' }]);
  });

  it('$patch: delete on a map removes it', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
    };
    const out = smp(deploy, { spec: { strategy: { rollingUpdate: { $patch: 'delete' } } } }, DEPLOYMENT);
    expect(out.spec.strategy).toEqual({ type: 'RollingUpdate' });
  });

  it('$retainKeys clears the fields it does not list (deployment strategy union)', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
    };
    const out = smp(deploy, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, DEPLOYMENT);
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    expect(out.spec.replicas).toBe(2);
  });

  it('rejects a $retainKeys list that leaves out a patched field', () => {
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'RollingUpdate' } } };
    expect(() => smp(deploy, { spec: { strategy: { $retainKeys: ['type'], type: 'RollingUpdate', rollingUpdate: {} } } }, DEPLOYMENT)).toThrow(
      /not in its \$retainKeys list/,
    );
  });
});

describe('strategic merge patch: conditions, finalizers, owner references', () => {
  it('merges pod status conditions by type', () => {
    const out = smp(pod(), { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'ok' }] } });
    expect(out.status.conditions).toEqual([
      { type: 'Ready', status: 'True', reason: 'ok' },
      { type: 'PodScheduled', status: 'True' },
    ]);
  });

  it('merges node conditions and addresses by type', () => {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True', lastHeartbeatTime: '2024-01-01T00:00:00Z' },
        ],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }],
      },
    };
    const out = smp(
      node,
      {
        status: {
          '$setElementOrder/conditions': [{ type: 'MemoryPressure' }, { type: 'Ready' }],
          conditions: [{ type: 'Ready', lastHeartbeatTime: '2024-01-01T00:01:00Z' }],
          addresses: [{ type: 'InternalIP', address: '10.0.0.9' }],
        },
      },
      { group: '', kind: 'Node' },
    );
    expect(out.status.conditions).toEqual([
      { type: 'MemoryPressure', status: 'False' },
      { type: 'Ready', status: 'True', lastHeartbeatTime: '2024-01-01T00:01:00Z' },
    ]);
    expect(out.status.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.9' }, { type: 'Hostname', address: 'n1' }]);
  });

  it('merges finalizers as a set', () => {
    const out = smp(pod(), { metadata: { finalizers: ['a.example.com/f', 'b.example.com/f'] } });
    expect([...out.metadata.finalizers].sort()).toEqual(['a.example.com/f', 'b.example.com/f']);
    const ordered = smp(pod(), { metadata: { '$setElementOrder/finalizers': ['a.example.com/f', 'b.example.com/f'], finalizers: ['b.example.com/f'] } });
    expect(ordered.metadata.finalizers).toEqual(['a.example.com/f', 'b.example.com/f']);
  });

  it('removes finalizers with $deleteFromPrimitiveList, dropping the emptied list', () => {
    const original = pod();
    original.metadata.finalizers = ['a', 'b', 'c'];
    expect(smp(original, { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'c'] } }).metadata.finalizers).toEqual(['a']);
    expect('finalizers' in smp(original, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a', 'b', 'c'] } }).metadata).toBe(false);
  });

  it('merges ownerReferences by uid', () => {
    const original = pod();
    original.metadata.ownerReferences = [{ uid: 'u1', kind: 'ReplicaSet', name: 'rs', controller: true }];
    const out = smp(original, { metadata: { ownerReferences: [{ uid: 'u1', blockOwnerDeletion: true }, { uid: 'u2', kind: 'Job', name: 'j' }] } });
    expect(out.metadata.ownerReferences).toEqual([
      { uid: 'u1', kind: 'ReplicaSet', name: 'rs', controller: true, blockOwnerDeletion: true },
      { uid: 'u2', kind: 'Job', name: 'j' },
    ]);
  });

  it('merges a deployment pod template container by name', () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: { template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'app', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } },
    };
    const out = smp(deploy, { spec: { template: { spec: { containers: [{ name: 'app', image: 'a:2' }] } } } }, DEPLOYMENT);
    expect(out.spec.template.spec.containers).toEqual([{ name: 'app', image: 'a:2' }, { name: 'b', image: 'b:1' }]);
  });

  it('merges service ports by port', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } };
    const out = smp(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, { group: '', kind: 'Service' });
    expect(out.spec.ports).toEqual([{ port: 80, targetPort: 9090 }, { port: 443 }]);
  });

  it('treats lists of a kind without tags as atomic (ConfigMap has none)', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '2' } };
    const out = smp(cm, { data: { a: null, c: '3' } }, { group: '', kind: 'ConfigMap' });
    expect(out.data).toEqual({ b: '2', c: '3' });
  });
});

describe('strategic merge patch: errors', () => {
  it('rejects a list item without its merge key', () => {
    const err = catchPatchError(() => smp(pod(), { spec: { containers: [{ image: 'x' }] } }));
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toMatch(/does not contain declared merge key: name/);
  });

  it('rejects an unknown $patch directive', () => {
    expect(catchPatchError(() => smp(pod(), { spec: { nodeSelector: { $patch: 'shuffle' } } })).message).toMatch(/unknown patch type "shuffle"/);
  });

  it('rejects a body that is not an object', () => {
    expect(catchPatchError(() => smp(pod(), [{ op: 'add' }])).reason).toBe('BadRequest');
  });

  it('is refused for custom resources with 415 and the accepted types', () => {
    const cr = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } };
    const err = catchPatchError(() => applyPatch(SMP, cr, { spec: { size: 2 } }, { group: 'example.com', kind: 'Widget' }));
    expect(err.reason).toBe('UnsupportedMediaType');
    expect(err.code).toBe(415);
    expect(err.message).toBe(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json',
    );
    expect(() => applyPatch(SMP, cr, {}, { group: 'apps', kind: 'Widget', custom: true })).toThrow(PatchError);
  });
});

describe('strategic merge patch: lists the server does not have yet', () => {
  // A list absent from the stored object (a pod's first status patch) merges into nothing;
  // the result must be what merging into an empty server list gives, in patch order.
  const bare = (): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'app', image: 'a', env: [{ name: 'A', value: '1' }] }] },
    status: { phase: 'Pending' },
  });

  it('folds a repeated merge key into the first item, in first-appearance order', () => {
    const patch = { status: { conditions: [{ type: 'A', status: 'True' }, { type: 'B', status: 'False' }, { type: 'A', reason: 'again' }] } };
    const out = smp(bare(), patch);
    expect(out.status.conditions).toEqual([
      { type: 'A', status: 'True', reason: 'again' },
      { type: 'B', status: 'False' },
    ]);
    // The same patch again, now that the server has the list: same result.
    expect(smp(out, patch).status.conditions).toEqual(out.status.conditions);
  });

  it('folds repeated numeric merge keys (container ports) the same way', () => {
    const out = smp(bare(), { spec: { containers: [{ name: 'app', ports: [{ containerPort: 443 }, { containerPort: 80 }, { containerPort: 443, name: 'https' }] }] } });
    expect(out.spec.containers[0].ports).toEqual([{ containerPort: 443, name: 'https' }, { containerPort: 80 }]);
  });

  it('keeps a string merge key apart from the equal-looking number', () => {
    const out = smp(bare(), { spec: { containers: [{ name: 'app', ports: [{ containerPort: '80' }, { containerPort: 80, name: 'n' }] }] } });
    expect(out.spec.containers[0].ports).toEqual([{ containerPort: '80' }, { containerPort: 80, name: 'n' }]);
  });

  it('dedupes a fresh primitive set in patch order', () => {
    expect(smp(bare(), { metadata: { finalizers: ['b', 'a', 'b'] } }).metadata.finalizers).toEqual(['b', 'a']);
  });

  it('puts an item whose merge key is null (and so dropped) after the keyed items', () => {
    // The null deletes the key from the new item, which then no longer matches its patch
    // position and is ordered like a server-only item: last.
    const out = smp(bare(), { status: { conditions: [{ type: null, status: 'x' }, { type: 'A', status: 'True' }] } });
    expect(out.status.conditions).toEqual([{ type: 'A', status: 'True' }, { status: 'x' }]);
  });
});

describe('strategic merge patch: where an error points', () => {
  const bare = (): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'a', env: [] }] } });
  const message = (patch: unknown): string => catchPatchError(() => smp(bare(), patch)).message;

  it('names list items by merge key, JSON-encoded', () => {
    expect(message({ spec: { containers: [{ name: 'app', env: [{ value: 'x' }] }] } })).toBe(
      '{"value":"x"} in spec.containers[name="app"].env does not contain declared merge key: name',
    );
    expect(message({ spec: { containers: [{ name: 'app', resources: { $patch: 'bogus' } }] } })).toBe(
      'unknown patch type "bogus" in map at spec.containers[name="app"].resources',
    );
    expect(message({ spec: { containers: [{ name: 'app', env: [{ name: 'B' }, 'x'] }] } })).toBe(
      'the list at spec.containers[name="app"].env mixes objects and plain values',
    );
  });

  it('names the items of a $patch: replace list by position', () => {
    expect(message({ spec: { containers: [{ $patch: 'replace' }, { name: 'x', env: [{ value: 'y' }] }] } })).toBe(
      '{"value":"y"} in spec.containers[0].env does not contain declared merge key: name',
    );
  });

  it('answers Invalid for a list of lists, with its path', () => {
    const err = catchPatchError(() => smp(bare(), { spec: { containers: [{ name: 'app', env: [[1]] }] } }));
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('lists of lists cannot be merged (at spec.containers[name="app"].env)');
  });

  it('names the field left out of $retainKeys and the list out of $setElementOrder order', () => {
    expect(message({ metadata: { $retainKeys: ['name'], labels: { a: 'b' } } })).toBe(
      'field metadata.labels is in the patch but not in its $retainKeys list ["name"]',
    );
    expect(message({ spec: { '$setElementOrder/containers': [{ name: 'x' }], containers: [{ name: 'app' }] } })).toBe(
      'the order of the patch list at spec.containers does not match its $setElementOrder list: {"name":"app"} is missing or out of place',
    );
  });
});

function catchPatchError(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a PatchError');
}
