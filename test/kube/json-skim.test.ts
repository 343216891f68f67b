import { describe, expect, it } from 'vitest';
import { NODE_FIELDS, POD_FIELDS, projectNode, projectPod, skimJson, type FieldSchema, type RawObject } from '../../kube/index.js';

describe('skimJson', () => {
  it('keeps only the fields the schema names, decoding them exactly as JSON.parse does', () => {
    const text = JSON.stringify({
      a: 1,
      b: { keep: 'x\\"y\n\u00e9', drop: { deep: [1, 2, { s: '}]{["' }] }, n: -1.5e3, t: true, f: false, z: null },
      c: [{ k: 1, skip: 'no' }, { k: 2 }, 'scalar'],
      d: 'dropped',
    });
    const schema: FieldSchema = { a: true, b: { keep: true, n: true, t: true, f: true, z: true }, c: [{ k: true }] };
    expect(skimJson(text, schema)).toEqual({ a: 1, b: { keep: 'x\\"y\n\u00e9', n: -1500, t: true, f: false, z: null }, c: [{ k: 1 }, { k: 2 }, 'scalar'] });
  });

  it('matches keys whatever their spelling in JSON, and only whole keys', () => {
    // "na\u006de" is the key "name"; "nam" and "names" are not.
    const text = '{"na\\u006de": "a", "nam": 1, "names": 2, "x": {"\\"": 3, "q": 4}}';
    expect(skimJson(text, { name: true, x: { '"': true } })).toEqual({ name: 'a', x: { '"': 3 } });
  });

  it('skips strings that end in escaped backslashes or hold escaped quotes and brackets', () => {
    const text = JSON.stringify({ drop: { a: 'ends in a backslash\\', b: 'a \"quoted\" ] } [ {', c: ['\\', '\\\"'] }, keep: 1 });
    expect(skimJson(text, { keep: true })).toEqual({ keep: 1 });
  });

  it('decodes a value of another shape than the schema expects whole', () => {
    expect(skimJson('{"a": "str", "b": [1], "c": {"x": 1}}', { a: { x: true }, b: { y: true }, c: [true] })).toEqual({ a: 'str', b: [1], c: { x: 1 } });
  });

  it('ignores prototype keys in the schema and the input', () => {
    const out = skimJson('{"__proto__": {"polluted": 1}, "constructor": 1, "ok": 1}', { ok: true }) as Record<string, unknown>;
    expect(out).toEqual({ ok: 1 });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('throws a SyntaxError on broken structure', () => {
    for (const bad of ['{"a": 1', '{"a" 1}', '{"a": "x}', '[1, 2', '{"a": 1} junk', '{"a": tru}', '{"a": 01}', '']) {
      expect(() => skimJson(bad, { a: true }), bad).toThrow(SyntaxError);
    }
  });

  it('gives projections the same answer as a full parse, for pods and nodes', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u-123456789012345', resourceVersion: '77', labels: { app: 'a', 'spark-role': 'executor' }, annotations: { x: '{"big": [1,2,3]}' } },
      spec: {
        nodeName: 'node-with-a-long-name',
        priority: 10,
        initContainers: [{ name: 'i', restartPolicy: 'Always', resources: { requests: { cpu: '1' } }, env: [{ name: 'A', value: 'b"c' }] }],
        containers: [{ name: 'c', image: 'img', resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '2Gi' } } }],
      },
      status: { phase: 'Running', containerStatuses: [{ name: 'c', state: { running: {} } }] },
    };
    const text = JSON.stringify(pod);
    expect(projectPod(skimJson(text, POD_FIELDS) as RawObject)).toEqual(projectPod(JSON.parse(text) as RawObject));
    const node = {
      metadata: { name: 'n1', uid: 'nu', labels: { a: 'b' } },
      spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
      status: {
        allocatable: { cpu: '8', memory: '32Gi' },
        capacity: { cpu: '8', memory: '32Gi' },
        conditions: [{ type: 'Ready', status: 'True', message: 'kubelet is posting ready status' }],
        images: [{ names: ['a', 'b'], sizeBytes: 1 }],
      },
    };
    const nodeText = JSON.stringify(node);
    expect(projectNode(skimJson(nodeText, NODE_FIELDS) as RawObject)).toEqual(projectNode(JSON.parse(nodeText) as RawObject));
  });
});
