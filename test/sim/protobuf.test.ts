// Decoding Kubernetes protobuf request bodies (what client-go typed clients send). The
// bodies are built here with a tiny encoder, field numbers as in k8s.io/api's
// generated.proto; the kubectl end-to-end tests cover the same path with real kubectl.

import { describe, expect, it } from 'vitest';
import { decodeKubeProtobuf, isKubeProtobuf, ProtobufError, UnsupportedKindError } from '../../sim/http/protobuf.js';

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

const tag = (no: number, wire: number): number[] => varint((no << 3) | wire);
const bytesField = (no: number, b: Buffer | number[]): number[] => [...tag(no, 2), ...varint(b.length), ...b];
const str = (no: number, s: string): number[] => bytesField(no, Buffer.from(s));
const int = (no: number, n: number): number[] => [...tag(no, 0), ...varint(n)];
const msg = (no: number, ...fields: number[][]): number[] => bytesField(no, fields.flat());
const mapEntry = (no: number, k: string, v: string | Buffer): number[] => msg(no, str(1, k), typeof v === 'string' ? str(2, v) : bytesField(2, v));

function envelope(apiVersion: string, kind: string, ...fields: number[][]): Buffer {
  return Buffer.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(1, apiVersion), str(2, kind)), ...bytesField(2, fields.flat())]);
}

const meta = (...fields: number[][]): number[] => msg(1, ...fields);

describe('decodeKubeProtobuf', () => {
  it('decodes a Namespace with labels, annotations and spec finalizers', () => {
    const body = envelope('v1', 'Namespace', meta(str(1, 'team-a'), mapEntry(11, 'env', 'prod'), mapEntry(11, 'tier', 'gold'), mapEntry(12, 'note', 'hi')), msg(2, str(1, 'kubernetes')));
    expect(isKubeProtobuf(body)).toBe(true);
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a', labels: { env: 'prod', tier: 'gold' }, annotations: { note: 'hi' } },
      spec: { finalizers: ['kubernetes'] },
    });
  });

  it('decodes a ConfigMap (string and binary data)', () => {
    const body = envelope(
      'v1',
      'ConfigMap',
      meta(str(1, 'cfg'), str(3, 'default'), str(14, 'example.com/a'), str(14, 'example.com/b')),
      mapEntry(2, 'a', '1'),
      mapEntry(2, 'b', 'two'),
      mapEntry(3, 'bin', Buffer.from([0, 1, 2])),
      int(4, 1),
    );
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'default', finalizers: ['example.com/a', 'example.com/b'] },
      data: { a: '1', b: 'two' },
      binaryData: { bin: 'AAEC' },
      immutable: true,
    });
  });

  it('decodes a Secret: data bytes become base64, type and stringData kept', () => {
    const body = envelope('v1', 'Secret', meta(str(1, 'sec')), mapEntry(2, 'pw', Buffer.from('hunter2')), str(3, 'Opaque'), mapEntry(4, 'user', 'admin'));
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sec' },
      data: { pw: Buffer.from('hunter2').toString('base64') },
      type: 'Opaque',
      stringData: { user: 'admin' },
    });
  });

  it('decodes an Eviction with DeleteOptions, preconditions and owner references and timestamps', () => {
    const body = envelope(
      'policy/v1',
      'Eviction',
      meta(str(1, 'web'), str(3, 'default'), msg(8, int(1, 1_700_000_000)), msg(13, str(1, 'ReplicaSet'), str(3, 'rs'), str(4, 'u-1'), str(5, 'apps/v1'), int(6, 1))),
      msg(2, int(1, 0), msg(2, str(1, 'uid-1'), str(2, '42')), str(4, 'Background'), str(5, 'All')),
    );
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: {
        name: 'web',
        namespace: 'default',
        creationTimestamp: '2023-11-14T22:13:20Z',
        ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', uid: 'u-1', apiVersion: 'apps/v1', controller: true }],
      },
      deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'uid-1', resourceVersion: '42' }, propagationPolicy: 'Background', dryRun: ['All'] },
    });
  });

  it('leaves out the zero values gogo writes for unset fields, keeps them for pointer fields', () => {
    // What client-go writes for a ConfigMap with only a name: every non-pointer field, empty.
    const body = envelope('v1', 'ConfigMap', meta(str(1, 'cfg'), str(2, ''), str(3, ''), str(4, ''), str(5, ''), str(6, ''), int(7, 0), msg(8)), int(4, 0));
    expect(decodeKubeProtobuf(body)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, immutable: false });
    const ns = envelope('v1', 'Namespace', meta(str(1, 'n')), msg(2), msg(3, str(1, '')));
    expect(decodeKubeProtobuf(ns)).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' }, spec: {}, status: {} });
  });

  it('refuses a field it does not know rather than dropping it', () => {
    const body = envelope('v1', 'ConfigMap', meta(str(1, 'cfg'), str(99, 'future field')));
    expect(() => decodeKubeProtobuf(body)).toThrow(UnsupportedKindError);
    expect(() => decodeKubeProtobuf(body)).toThrow(/field number 99/);
  });

  it('decodes a Deployment: pod template, quantities, IntOrString; skips an all-zero status', () => {
    const container = msg(2, str(1, 'app'), str(2, 'nginx'), msg(6, int(3, 80), str(4, 'TCP')), msg(8, bytesField(2, [...str(1, 'cpu'), ...msg(2, str(1, '250m'))])));
    const body = envelope(
      'apps/v1',
      'Deployment',
      meta(str(1, 'web'), mapEntry(11, 'app', 'web')),
      msg(2, int(1, 0), msg(2, mapEntry(1, 'app', 'web')), msg(3, meta(mapEntry(11, 'app', 'web')), msg(2, container, str(3, ''))), msg(4, str(1, 'RollingUpdate'), msg(2, msg(1, int(1, 1), str(3, '25%')), msg(2, int(1, 0), int(2, 2))))),
      msg(3, int(1, 0), int(2, 0), msg(6)),
    );
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: { requests: { cpu: '250m' } } }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 2 } },
      },
    });
  });

  it('decodes negative int64 values', () => {
    const body = envelope('v1', 'DeleteOptions', int(1, -1));
    expect(decodeKubeProtobuf(body)).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: -1 });
  });

  it('names a kind it cannot decode', () => {
    const body = envelope('v1', 'Pod', meta(str(1, 'p')));
    expect(() => decodeKubeProtobuf(body)).toThrow(UnsupportedKindError);
    expect(() => decodeKubeProtobuf(body)).toThrow(/v1, Kind=Pod/);
  });

  it('rejects bodies that are not protobuf or are truncated', () => {
    expect(isKubeProtobuf(Buffer.from('{"kind":"Pod"}'))).toBe(false);
    expect(() => decodeKubeProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow(ProtobufError);
    const full = envelope('v1', 'ConfigMap', meta(str(1, 'cfg')));
    expect(() => decodeKubeProtobuf(full.subarray(0, full.length - 2))).toThrow(ProtobufError);
    // A string field sent with the wrong wire type.
    expect(() => decodeKubeProtobuf(envelope('v1', 'ConfigMap', meta(int(1, 5))))).toThrow(/name: expected a string/);
  });
});
