// The decode walk on its own: the paths it reports deep inside lists and maps, the Go
// field path in decode errors, and the pruning and fixing it does in place. The walk builds
// paths only when it reports something, so these pin down every kind of path segment.
import { describe, expect, it } from 'vitest';
import '../../../sim/schema/kinds.js';
import { customResourceRoot } from '../../../sim/schema/crd.js';
import type { Node } from '../../../sim/schema/types.js';
import { checkFields } from '../../../sim/validation/fields.js';

const POD: Node = { type: 'ref', name: 'io.k8s.api.core.v1.Pod' };
const builtin = { builtin: true, prune: true };
const custom = { builtin: false, prune: true };

describe('built-in kinds', () => {
  it('reports and prunes unknown fields inside list items and nested objects, with indices', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', bogus: 1 },
      spec: {
        containers: [
          { name: 'a', image: 'x' },
          { name: 'b', image: 'x', ports: [{ containerPort: 80 }, { containerPort: 81, extra: { deep: true } }], resources: { limits: { cpu: '0.5' }, nope: 2 } },
        ],
      },
    };
    const report = checkFields(POD, pod, builtin);
    expect(report.unknown).toEqual(['metadata.bogus', 'spec.containers[1].ports[1].extra', 'spec.containers[1].resources.nope']);
    expect(report.typeErrors).toEqual([]);
    expect(pod.metadata).toEqual({ name: 'p' });
    expect(pod.spec.containers[1]).toEqual({ name: 'b', image: 'x', ports: [{ containerPort: 80 }, { containerPort: 81 }], resources: { limits: { cpu: '500m' } } });
  });

  it('reports keys named like Object.prototype members as unknown, and prunes them', () => {
    const pod = JSON.parse('{"spec":{"constructor":1,"toString":"x","__proto__":{"a":1},"containers":[{"name":"a","hasOwnProperty":true}]}}') as Record<string, Record<string, unknown>>;
    const report = checkFields(POD, pod, builtin);
    expect(report.unknown).toEqual(['spec.constructor', 'spec.toString', 'spec.__proto__', 'spec.containers[0].hasOwnProperty']);
    expect(report.typeErrors).toEqual([]);
    expect(Object.keys(pod['spec']!)).toEqual(['containers']);
  });

  it('keeps unknown fields when not pruning, but still reports them', () => {
    const pod = { spec: { containers: [{ name: 'a', x: 1 }] } };
    expect(checkFields(POD, pod, { builtin: true, prune: false }).unknown).toEqual(['spec.containers[0].x']);
    expect(pod.spec.containers[0]).toEqual({ name: 'a', x: 1 });
  });

  it('names the Go struct and field path (no indices, no map keys) in decode errors', () => {
    const pod = {
      metadata: { labels: { app: 'web', n: 5 } },
      spec: { containers: [{ name: 'a' }, { name: 'b', ports: [{ containerPort: '80' }] }] },
    };
    const report = checkFields(POD, pod, builtin);
    expect(report.typeErrors.map((t) => [t.path, t.decodeMessage])).toEqual([
      ['metadata.labels.n', 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string'],
      ['spec.containers[1].ports[0].containerPort', 'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32'],
    ]);
    expect(report.typeErrors[1]!.cause).toEqual({
      field: 'spec.containers[1].ports[0].containerPort',
      reason: 'FieldValueTypeInvalid',
      message: 'Invalid value: "string": spec.containers[1].ports[0].containerPort in body must be of type integer: "string"',
    });
  });

  it('reports bad quantities inside a resource map inside a list item', () => {
    const pod = { spec: { containers: [{ name: 'a', resources: { requests: { cpu: 'lots' } } }] } };
    const [issue] = checkFields(POD, pod, builtin).typeErrors;
    expect(issue?.path).toBe('spec.containers[0].resources.requests.cpu');
  });

  it('decodes nulls like Go: dropped fields, "" for labels, zero list items, null times kept and filled in', () => {
    const pod = {
      metadata: { name: 'p', labels: { a: null }, annotations: null },
      spec: { containers: [{ name: 'a', args: ['x', null] }] },
      status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null }, { type: 'X', status: 'True' }] },
    };
    expect(checkFields(POD, pod, builtin)).toEqual({ unknown: [], typeErrors: [] });
    expect(pod.metadata).toEqual({ name: 'p', labels: { a: '' } });
    expect(pod.spec.containers[0]!.args).toEqual(['x', '']);
    expect(pod.status.conditions[0]).toEqual({ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: null });
    expect(pod.status.conditions[1]).toEqual({ type: 'X', status: 'True', lastProbeTime: null, lastTransitionTime: null });
  });

  it('a wrong type at the top of the object has a one-segment path', () => {
    const report = checkFields(POD, { spec: [] }, builtin);
    expect(report.typeErrors.map((t) => t.cause)).toEqual([
      { field: 'spec', reason: 'FieldValueTypeInvalid', message: 'Invalid value: "array": spec in body must be of type object: "array"' },
    ]);
  });

  it('leaves no walk caches visible on the schema nodes', () => {
    const root: Node = { type: 'object', properties: { a: { type: 'string' } } };
    checkFields(root, { a: 'x' }, builtin);
    expect(Object.keys({ ...root })).toEqual(['type', 'properties']);
    expect(Object.getOwnPropertySymbols({ ...root })).toEqual([]);
  });
});

describe('custom resources', () => {
  const root = customResourceRoot({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          items: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            items: {
              type: 'object',
              required: ['name'],
              properties: { name: { type: 'string' }, size: { type: 'integer', minimum: 1, default: 2 }, mode: { type: 'string', enum: ['a', 'b'] } },
            },
          },
          labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 3 } },
          groups: { type: 'object', additionalProperties: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      },
    },
  });

  it('reports schema errors with paths through list items and map keys, and defaults inside list items', () => {
    const cr = {
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'c' },
      spec: {
        items: [{ name: 'a' }, { size: 0, mode: 'c' }, { name: 'a' }],
        labels: { ok: 'abc', long: 'abcd' },
        groups: { g1: { n: 1, junk: true }, g2: { n: 'x' } },
      },
    };
    const report = checkFields(root, cr, custom);
    expect(report.unknown).toEqual(['spec.groups.g1.junk']);
    expect(report.typeErrors.map((t) => `${t.path}: ${t.cause.reason}: ${t.cause.message}`)).toEqual([
      'spec.items[1].size: FieldValueInvalid: Invalid value: 0: spec.items[1].size in body should be greater than or equal to 1',
      'spec.items[1].mode: FieldValueNotSupported: Unsupported value: "c": supported values: "a", "b"',
      'spec.items[1].name: FieldValueRequired: Required value',
      'spec.items[2]: FieldValueDuplicate: Duplicate value: map[string]interface {}{"name":"a"}',
      'spec.labels.long: FieldValueTooLong: Too long: may not be more than 3 bytes',
      'spec.groups.g2.n: FieldValueTypeInvalid: Invalid value: "string": spec.groups.g2.n in body must be of type integer: "string"',
    ]);
    expect(cr.spec.items).toEqual([{ name: 'a', size: 2 }, { size: 0, mode: 'c' }, { name: 'a', size: 2 }]);
    expect(cr.spec.groups.g1).toEqual({ n: 1 });
  });
});
