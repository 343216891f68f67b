// Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`).
// client-go's typed clientsets send protobuf for built-in kinds, so kubectl's `create
// namespace|configmap|secret|serviceaccount|priorityclass|deployment|job|service` and
// `drain` (Eviction, DeleteOptions) do, for the fields those commands set. A field the
// sim does not know is refused with 415 when set (never silently dropped),
// and client-go does not fall back to JSON on a 415. The sim decodes the envelope
// (magic "k8s\0" + runtime.Unknown) and the few kinds those commands send, into the
// JSON form every other path uses. Responses stay JSON: clients accept it.
//
// Field numbers are those of k8s.io/api and k8s.io/apimachinery generated.proto.

import { isRecord } from '../object.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

export class ProtobufError extends Error {}

type FieldKind = 'string' | 'bytes' | 'int' | 'bool' | 'time' | 'stringMap' | 'bytesMap' | 'quantityMap' | 'intOrString';

interface Field {
  name: string;
  kind: FieldKind | Message;
  repeated?: boolean;
  /**
   * A pointer field in Go: present only when set, so a zero value means something
   * (immutable: false, gracePeriodSeconds: 0). Other zero values are what gogo writes
   * for unset non-pointer fields, and JSON (omitempty) leaves them out.
   */
  keepZero?: boolean;
  /** An embedded Go struct (`json:",inline"`): its fields belong to the enclosing object. */
  inline?: boolean;
}

type Message = { readonly [no: number]: Field };

const OWNER_REFERENCE: Message = {
  1: { name: 'kind', kind: 'string' },
  3: { name: 'name', kind: 'string' },
  4: { name: 'uid', kind: 'string' },
  5: { name: 'apiVersion', kind: 'string' },
  6: { name: 'controller', kind: 'bool', keepZero: true },
  7: { name: 'blockOwnerDeletion', kind: 'bool', keepZero: true },
};

const OBJECT_META: Message = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'generateName', kind: 'string' },
  3: { name: 'namespace', kind: 'string' },
  4: { name: 'selfLink', kind: 'string' },
  5: { name: 'uid', kind: 'string' },
  6: { name: 'resourceVersion', kind: 'string' },
  7: { name: 'generation', kind: 'int' },
  8: { name: 'creationTimestamp', kind: 'time' },
  9: { name: 'deletionTimestamp', kind: 'time' },
  10: { name: 'deletionGracePeriodSeconds', kind: 'int', keepZero: true },
  11: { name: 'labels', kind: 'stringMap' },
  12: { name: 'annotations', kind: 'stringMap' },
  13: { name: 'ownerReferences', kind: OWNER_REFERENCE, repeated: true },
  14: { name: 'finalizers', kind: 'string', repeated: true },
};

const OBJECT_REFERENCE: Message = {
  1: { name: 'kind', kind: 'string' },
  2: { name: 'namespace', kind: 'string' },
  3: { name: 'name', kind: 'string' },
  4: { name: 'uid', kind: 'string' },
  5: { name: 'apiVersion', kind: 'string' },
  6: { name: 'resourceVersion', kind: 'string' },
  7: { name: 'fieldPath', kind: 'string' },
};

const PRECONDITIONS: Message = {
  1: { name: 'uid', kind: 'string', keepZero: true },
  2: { name: 'resourceVersion', kind: 'string', keepZero: true },
};

const DELETE_OPTIONS: Message = {
  1: { name: 'gracePeriodSeconds', kind: 'int', keepZero: true },
  2: { name: 'preconditions', kind: PRECONDITIONS },
  3: { name: 'orphanDependents', kind: 'bool', keepZero: true },
  4: { name: 'propagationPolicy', kind: 'string', keepZero: true },
  5: { name: 'dryRun', kind: 'string', repeated: true },
  6: { name: 'ignoreStoreReadErrorWithClusterBreakingPotential', kind: 'bool', keepZero: true },
};

const LABEL_SELECTOR: Message = {
  1: { name: 'matchLabels', kind: 'stringMap' },
  2: {
    name: 'matchExpressions',
    repeated: true,
    kind: { 1: { name: 'key', kind: 'string' }, 2: { name: 'operator', kind: 'string' }, 3: { name: 'values', kind: 'string', repeated: true } },
  },
};

const CONTAINER: Message = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'image', kind: 'string' },
  3: { name: 'command', kind: 'string', repeated: true },
  4: { name: 'args', kind: 'string', repeated: true },
  5: { name: 'workingDir', kind: 'string' },
  6: {
    name: 'ports',
    repeated: true,
    kind: {
      1: { name: 'name', kind: 'string' },
      2: { name: 'hostPort', kind: 'int' },
      3: { name: 'containerPort', kind: 'int' },
      4: { name: 'protocol', kind: 'string' },
      5: { name: 'hostIP', kind: 'string' },
    },
  },
  7: { name: 'env', repeated: true, kind: { 1: { name: 'name', kind: 'string' }, 2: { name: 'value', kind: 'string' } } },
  8: { name: 'resources', kind: { 1: { name: 'limits', kind: 'quantityMap' }, 2: { name: 'requests', kind: 'quantityMap' } } },
  13: { name: 'terminationMessagePath', kind: 'string' },
  14: { name: 'imagePullPolicy', kind: 'string' },
  16: { name: 'stdin', kind: 'bool' },
  17: { name: 'stdinOnce', kind: 'bool' },
  18: { name: 'tty', kind: 'bool' },
  20: { name: 'terminationMessagePolicy', kind: 'string' },
};

const TOLERATION: Message = {
  1: { name: 'key', kind: 'string' },
  2: { name: 'operator', kind: 'string' },
  3: { name: 'value', kind: 'string' },
  4: { name: 'effect', kind: 'string' },
  5: { name: 'tolerationSeconds', kind: 'int', keepZero: true },
};

const POD_SPEC: Message = {
  2: { name: 'containers', kind: CONTAINER, repeated: true },
  3: { name: 'restartPolicy', kind: 'string' },
  4: { name: 'terminationGracePeriodSeconds', kind: 'int', keepZero: true },
  5: { name: 'activeDeadlineSeconds', kind: 'int', keepZero: true },
  6: { name: 'dnsPolicy', kind: 'string' },
  7: { name: 'nodeSelector', kind: 'stringMap' },
  8: { name: 'serviceAccountName', kind: 'string' },
  10: { name: 'nodeName', kind: 'string' },
  11: { name: 'hostNetwork', kind: 'bool' },
  19: { name: 'schedulerName', kind: 'string' },
  20: { name: 'initContainers', kind: CONTAINER, repeated: true },
  22: { name: 'tolerations', kind: TOLERATION, repeated: true },
  24: { name: 'priorityClassName', kind: 'string' },
};

const POD_TEMPLATE_SPEC: Message = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: { name: 'spec', kind: POD_SPEC },
};

const INT_OR_STRING_FIELD = (name: string): Field => ({ name, kind: 'intOrString' });

/** The kinds the sim decodes, by "apiVersion/kind" as the envelope names them. */
const KINDS: Record<string, Message> = {
  'v1/Namespace': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: { name: 'spec', kind: { 1: { name: 'finalizers', kind: 'string', repeated: true } } },
    3: {
      name: 'status',
      kind: {
        1: { name: 'phase', kind: 'string' },
        2: {
          name: 'conditions',
          repeated: true,
          kind: {
            1: { name: 'type', kind: 'string' },
            2: { name: 'status', kind: 'string' },
            4: { name: 'lastTransitionTime', kind: 'time' },
            5: { name: 'reason', kind: 'string' },
            6: { name: 'message', kind: 'string' },
          },
        },
      },
    },
  },
  'v1/ConfigMap': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: { name: 'data', kind: 'stringMap' },
    3: { name: 'binaryData', kind: 'bytesMap' },
    4: { name: 'immutable', kind: 'bool', keepZero: true },
  },
  'v1/Secret': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: { name: 'data', kind: 'bytesMap' },
    3: { name: 'type', kind: 'string' },
    4: { name: 'stringData', kind: 'stringMap' },
    5: { name: 'immutable', kind: 'bool', keepZero: true },
  },
  'v1/ServiceAccount': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: { name: 'secrets', kind: OBJECT_REFERENCE, repeated: true },
    3: { name: 'imagePullSecrets', kind: { 1: { name: 'name', kind: 'string' } }, repeated: true },
    4: { name: 'automountServiceAccountToken', kind: 'bool', keepZero: true },
  },
  'policy/v1/Eviction': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: { name: 'deleteOptions', kind: DELETE_OPTIONS },
  },
  'policy/v1beta1/Eviction': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: { name: 'deleteOptions', kind: DELETE_OPTIONS },
  },
  'scheduling.k8s.io/v1/PriorityClass': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: { name: 'value', kind: 'int', keepZero: true },
    3: { name: 'globalDefault', kind: 'bool' },
    4: { name: 'description', kind: 'string' },
    5: { name: 'preemptionPolicy', kind: 'string', keepZero: true },
  },
  'apps/v1/Deployment': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: {
      name: 'spec',
      kind: {
        1: { name: 'replicas', kind: 'int', keepZero: true },
        2: { name: 'selector', kind: LABEL_SELECTOR },
        3: { name: 'template', kind: POD_TEMPLATE_SPEC },
        4: {
          name: 'strategy',
          kind: { 1: { name: 'type', kind: 'string' }, 2: { name: 'rollingUpdate', kind: { 1: INT_OR_STRING_FIELD('maxUnavailable'), 2: INT_OR_STRING_FIELD('maxSurge') } } },
        },
        5: { name: 'minReadySeconds', kind: 'int' },
        6: { name: 'revisionHistoryLimit', kind: 'int', keepZero: true },
        7: { name: 'paused', kind: 'bool' },
        9: { name: 'progressDeadlineSeconds', kind: 'int', keepZero: true },
      },
    },
  },
  'batch/v1/Job': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: {
      name: 'spec',
      kind: {
        1: { name: 'parallelism', kind: 'int', keepZero: true },
        2: { name: 'completions', kind: 'int', keepZero: true },
        3: { name: 'activeDeadlineSeconds', kind: 'int', keepZero: true },
        4: { name: 'selector', kind: LABEL_SELECTOR },
        5: { name: 'manualSelector', kind: 'bool', keepZero: true },
        6: { name: 'template', kind: POD_TEMPLATE_SPEC },
        7: { name: 'backoffLimit', kind: 'int', keepZero: true },
        8: { name: 'ttlSecondsAfterFinished', kind: 'int', keepZero: true },
        9: { name: 'completionMode', kind: 'string', keepZero: true },
        10: { name: 'suspend', kind: 'bool', keepZero: true },
      },
    },
  },
  'v1/Service': {
    1: { name: 'metadata', kind: OBJECT_META },
    2: {
      name: 'spec',
      kind: {
        1: {
          name: 'ports',
          repeated: true,
          kind: {
            1: { name: 'name', kind: 'string' },
            2: { name: 'protocol', kind: 'string' },
            3: { name: 'port', kind: 'int' },
            4: INT_OR_STRING_FIELD('targetPort'),
            5: { name: 'nodePort', kind: 'int' },
            6: { name: 'appProtocol', kind: 'string', keepZero: true },
          },
        },
        2: { name: 'selector', kind: 'stringMap' },
        3: { name: 'clusterIP', kind: 'string' },
        4: { name: 'type', kind: 'string' },
        5: { name: 'externalIPs', kind: 'string', repeated: true },
        7: { name: 'sessionAffinity', kind: 'string' },
        10: { name: 'externalName', kind: 'string' },
        18: { name: 'clusterIPs', kind: 'string', repeated: true },
      },
    },
  },
  'v1/DeleteOptions': DELETE_OPTIONS,
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
};

// What `kubectl create role|clusterrole|rolebinding|clusterrolebinding|cronjob|pdb|ingress|quota`
// sends (field numbers from k8s.io/api's generated.proto).
const POLICY_RULE: Message = {
  1: { name: 'verbs', kind: 'string', repeated: true },
  2: { name: 'apiGroups', kind: 'string', repeated: true },
  3: { name: 'resources', kind: 'string', repeated: true },
  4: { name: 'resourceNames', kind: 'string', repeated: true },
  5: { name: 'nonResourceURLs', kind: 'string', repeated: true },
};
const RBAC_BINDING: Message = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: {
    name: 'subjects',
    repeated: true,
    kind: { 1: { name: 'kind', kind: 'string' }, 2: { name: 'apiGroup', kind: 'string' }, 3: { name: 'name', kind: 'string' }, 4: { name: 'namespace', kind: 'string' } },
  },
  3: { name: 'roleRef', kind: { 1: { name: 'apiGroup', kind: 'string' }, 2: { name: 'kind', kind: 'string' }, 3: { name: 'name', kind: 'string' } } },
};
KINDS['rbac.authorization.k8s.io/v1/Role'] = { 1: { name: 'metadata', kind: OBJECT_META }, 2: { name: 'rules', kind: POLICY_RULE, repeated: true } };
KINDS['rbac.authorization.k8s.io/v1/ClusterRole'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: { name: 'rules', kind: POLICY_RULE, repeated: true },
  3: { name: 'aggregationRule', kind: { 1: { name: 'clusterRoleSelectors', kind: LABEL_SELECTOR, repeated: true } } },
};
KINDS['rbac.authorization.k8s.io/v1/RoleBinding'] = RBAC_BINDING;
KINDS['rbac.authorization.k8s.io/v1/ClusterRoleBinding'] = RBAC_BINDING;
const JOB_SPEC = (KINDS['batch/v1/Job']![2]!.kind as Message);
KINDS['batch/v1/CronJob'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: {
    name: 'spec',
    kind: {
      1: { name: 'schedule', kind: 'string' },
      2: { name: 'startingDeadlineSeconds', kind: 'int', keepZero: true },
      3: { name: 'concurrencyPolicy', kind: 'string' },
      4: { name: 'suspend', kind: 'bool', keepZero: true },
      5: { name: 'jobTemplate', kind: { 1: { name: 'metadata', kind: OBJECT_META }, 2: { name: 'spec', kind: JOB_SPEC } } },
      6: { name: 'successfulJobsHistoryLimit', kind: 'int', keepZero: true },
      7: { name: 'failedJobsHistoryLimit', kind: 'int', keepZero: true },
      8: { name: 'timeZone', kind: 'string', keepZero: true },
    },
  },
};
KINDS['policy/v1/PodDisruptionBudget'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: {
    name: 'spec',
    kind: {
      1: INT_OR_STRING_FIELD('minAvailable'),
      2: { name: 'selector', kind: LABEL_SELECTOR },
      3: INT_OR_STRING_FIELD('maxUnavailable'),
      4: { name: 'unhealthyPodEvictionPolicy', kind: 'string', keepZero: true },
    },
  },
};
const INGRESS_BACKEND: Message = {
  3: {
    name: 'resource',
    kind: { 1: { name: 'apiGroup', kind: 'string', keepZero: true }, 2: { name: 'kind', kind: 'string' }, 3: { name: 'name', kind: 'string' } },
  },
  4: {
    name: 'service',
    kind: { 1: { name: 'name', kind: 'string' }, 2: { name: 'port', kind: { 1: { name: 'name', kind: 'string' }, 2: { name: 'number', kind: 'int' } } } },
  },
};
KINDS['networking.k8s.io/v1/Ingress'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: {
    name: 'spec',
    kind: {
      1: { name: 'defaultBackend', kind: INGRESS_BACKEND },
      2: { name: 'tls', repeated: true, kind: { 1: { name: 'hosts', kind: 'string', repeated: true }, 2: { name: 'secretName', kind: 'string' } } },
      3: {
        name: 'rules',
        repeated: true,
        kind: {
          1: { name: 'host', kind: 'string' },
          2: {
            name: 'ingressRuleValue',
            inline: true,
            kind: {
              1: {
                name: 'http',
                kind: {
                  1: {
                    name: 'paths',
                    repeated: true,
                    kind: { 1: { name: 'path', kind: 'string' }, 2: { name: 'backend', kind: INGRESS_BACKEND }, 3: { name: 'pathType', kind: 'string', keepZero: true } },
                  },
                },
              },
            },
          },
        },
      },
      4: { name: 'ingressClassName', kind: 'string', keepZero: true },
    },
  },
};
KINDS['v1/ResourceQuota'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: {
    name: 'spec',
    kind: {
      1: { name: 'hard', kind: 'quantityMap' },
      2: { name: 'scopes', kind: 'string', repeated: true },
      3: {
        name: 'scopeSelector',
        kind: {
          1: {
            name: 'matchExpressions',
            repeated: true,
            kind: { 1: { name: 'scopeName', kind: 'string' }, 2: { name: 'operator', kind: 'string' }, 3: { name: 'values', kind: 'string', repeated: true } },
          },
        },
      },
    },
  },
};

// authentication.k8s.io / authorization.k8s.io create-only kinds: kubectl create token
// (TokenRequest), auth can-i (SelfSubjectAccessReview, SelfSubjectRulesReview), auth
// whoami (SelfSubjectReview), and Go clients reviewing tokens and access. A review's
// `extra` map (map<string, ExtraValue>) is not decoded (415 when set).
KINDS['authentication.k8s.io/v1/TokenRequest'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: {
    name: 'spec',
    kind: {
      1: { name: 'audiences', kind: 'string', repeated: true },
      3: {
        name: 'boundObjectRef',
        kind: { 1: { name: 'kind', kind: 'string' }, 2: { name: 'apiVersion', kind: 'string' }, 3: { name: 'name', kind: 'string' }, 4: { name: 'uid', kind: 'string' } },
      },
      4: { name: 'expirationSeconds', kind: 'int', keepZero: true },
    },
  },
};
KINDS['authentication.k8s.io/v1/TokenReview'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: { name: 'spec', kind: { 1: { name: 'token', kind: 'string' }, 2: { name: 'audiences', kind: 'string', repeated: true } } },
};
KINDS['authentication.k8s.io/v1/SelfSubjectReview'] = { 1: { name: 'metadata', kind: OBJECT_META } };
const SELECTOR_REQUIREMENT: Message = { 1: { name: 'key', kind: 'string' }, 2: { name: 'operator', kind: 'string' }, 3: { name: 'values', kind: 'string', repeated: true } };
const SELECTOR_ATTRIBUTES: Message = { 1: { name: 'rawSelector', kind: 'string' }, 2: { name: 'requirements', kind: SELECTOR_REQUIREMENT, repeated: true } };
const RESOURCE_ATTRIBUTES: Message = {
  1: { name: 'namespace', kind: 'string' },
  2: { name: 'verb', kind: 'string' },
  3: { name: 'group', kind: 'string' },
  4: { name: 'version', kind: 'string' },
  5: { name: 'resource', kind: 'string' },
  6: { name: 'subresource', kind: 'string' },
  7: { name: 'name', kind: 'string' },
  8: { name: 'fieldSelector', kind: SELECTOR_ATTRIBUTES },
  9: { name: 'labelSelector', kind: SELECTOR_ATTRIBUTES },
};
const NON_RESOURCE_ATTRIBUTES: Message = { 1: { name: 'path', kind: 'string' }, 2: { name: 'verb', kind: 'string' } };
const SUBJECT_ACCESS_REVIEW: Message = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: {
    name: 'spec',
    kind: {
      1: { name: 'resourceAttributes', kind: RESOURCE_ATTRIBUTES },
      2: { name: 'nonResourceAttributes', kind: NON_RESOURCE_ATTRIBUTES },
      3: { name: 'user', kind: 'string' },
      4: { name: 'groups', kind: 'string', repeated: true },
      6: { name: 'uid', kind: 'string' },
    },
  },
};
KINDS['authorization.k8s.io/v1/SubjectAccessReview'] = SUBJECT_ACCESS_REVIEW;
KINDS['authorization.k8s.io/v1/LocalSubjectAccessReview'] = SUBJECT_ACCESS_REVIEW;
KINDS['authorization.k8s.io/v1/SelfSubjectAccessReview'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: { name: 'spec', kind: { 1: { name: 'resourceAttributes', kind: RESOURCE_ATTRIBUTES }, 2: { name: 'nonResourceAttributes', kind: NON_RESOURCE_ATTRIBUTES } } },
};
KINDS['authorization.k8s.io/v1/SelfSubjectRulesReview'] = {
  1: { name: 'metadata', kind: OBJECT_META },
  2: { name: 'spec', kind: { 1: { name: 'namespace', kind: 'string' } } },
};

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ProtobufError('varint too long');
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new ProtobufError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wireType}`);
    if (this.pos > this.buf.length) throw new ProtobufError('truncated field');
  }

  /** Each (field number, wire type) in order. */
  *fields(): Generator<[number, number]> {
    while (!this.done) {
      const tag = Number(this.varint());
      yield [tag >>> 3, tag & 7];
    }
  }
}

function toInt64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/** metav1.Time; undefined for the zero time, which JSON shows as null (left out here). */
function decodeTime(buf: Buffer): string | undefined {
  let seconds = 0;
  let nanos = 0;
  const r = new Reader(buf);
  for (const [no, wt] of r.fields()) {
    if (no === 1 && wt === 0) seconds = toInt64(r.varint());
    else if (no === 2 && wt === 0) nanos = toInt64(r.varint());
    else r.skip(wt);
  }
  // Go's zero time.Time is 0001-01-01T00:00:00Z.
  if ((seconds === 0 || seconds === -62135596800) && nanos === 0) return undefined;
  return new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** resource.Quantity: `message Quantity { optional string string = 1; }`. */
function decodeQuantity(buf: Buffer): string {
  let q = '';
  const r = new Reader(buf);
  for (const [no, wt] of r.fields()) {
    if (no === 1 && wt === 2) q = r.bytes().toString('utf8');
    else r.skip(wt);
  }
  return q;
}

/** intstr.IntOrString: type 0 = int (intVal, field 2), 1 = string (strVal, field 3). */
function decodeIntOrString(buf: Buffer): number | string {
  let type = 0;
  let intVal = 0;
  let strVal = '';
  const r = new Reader(buf);
  for (const [no, wt] of r.fields()) {
    if (no === 1 && wt === 0) type = toInt64(r.varint());
    else if (no === 2 && wt === 0) intVal = toInt64(r.varint());
    else if (no === 3 && wt === 2) strVal = r.bytes().toString('utf8');
    else r.skip(wt);
  }
  return type === 1 ? strVal : intVal;
}

function decodeMapEntry(buf: Buffer, values: 'string' | 'bytes' | 'quantity'): [string, string] {
  let key = '';
  let value = '';
  const r = new Reader(buf);
  for (const [no, wt] of r.fields()) {
    if (no === 1 && wt === 2) key = r.bytes().toString('utf8');
    else if (no === 2 && wt === 2) {
      const b = r.bytes();
      value = values === 'bytes' ? b.toString('base64') : values === 'quantity' ? decodeQuantity(b) : b.toString('utf8');
    } else r.skip(wt);
  }
  return [key, value];
}

/**
 * True when a field holds only zero values (what gogo writes for an unset non-pointer
 * field, nested messages included): such a field may be skipped without losing anything
 * JSON would have shown.
 */
function allZero(wt: number, r: Reader): boolean {
  if (wt === 0) return r.varint() === 0n;
  if (wt === 2) {
    const b = r.bytes();
    if (b.length === 0) return true;
    try {
      const inner = new Reader(b);
      for (const [, iwt] of inner.fields()) if (!allZero(iwt, inner)) return false;
      return true;
    } catch {
      return false;
    }
  }
  r.skip(wt);
  return false;
}

function decodeMessage(buf: Buffer, msg: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  for (const [no, wt] of r.fields()) {
    const f = msg[no];
    if (!f) {
      // An unset field may be skipped; dropping a set one would store a different object than the client sent.
      if (allZero(wt, r)) continue;
      throw new UnsupportedKindError(`a message with field number ${no}, which the sim does not decode`);
    }
    let value: unknown;
    if (typeof f.kind === 'object') {
      if (wt !== 2) throw new ProtobufError(`field ${f.name}: expected a message`);
      value = decodeMessage(r.bytes(), f.kind);
    } else {
      switch (f.kind) {
        case 'string':
          if (wt !== 2) throw new ProtobufError(`field ${f.name}: expected a string`);
          value = r.bytes().toString('utf8');
          break;
        case 'bytes':
          if (wt !== 2) throw new ProtobufError(`field ${f.name}: expected bytes`);
          value = r.bytes().toString('base64');
          break;
        case 'int':
          if (wt !== 0) throw new ProtobufError(`field ${f.name}: expected a varint`);
          value = toInt64(r.varint());
          break;
        case 'bool':
          if (wt !== 0) throw new ProtobufError(`field ${f.name}: expected a bool`);
          value = r.varint() !== 0n;
          break;
        case 'time':
          if (wt !== 2) throw new ProtobufError(`field ${f.name}: expected a timestamp`);
          value = decodeTime(r.bytes());
          break;
        case 'intOrString':
          if (wt !== 2) throw new ProtobufError(`field ${f.name}: expected an IntOrString`);
          value = decodeIntOrString(r.bytes());
          break;
        case 'stringMap':
        case 'bytesMap':
        case 'quantityMap': {
          if (wt !== 2) throw new ProtobufError(`field ${f.name}: expected a map entry`);
          const [k, v] = decodeMapEntry(r.bytes(), f.kind === 'bytesMap' ? 'bytes' : f.kind === 'quantityMap' ? 'quantity' : 'string');
          const m = (out[f.name] ?? {}) as Record<string, string>;
          m[k] = v;
          out[f.name] = m;
          continue;
        }
      }
    }
    if (f.inline && isRecord(value)) {
      Object.assign(out, value);
      continue;
    }
    if (f.repeated) ((out[f.name] ??= []) as unknown[]).push(value);
    else if (value === undefined || (!f.keepZero && (value === '' || value === 0 || value === false))) delete out[f.name];
    else out[f.name] = value;
  }
  return out;
}


/** True when the body starts with the Kubernetes protobuf magic number. */
export function isKubeProtobuf(body: Buffer): boolean {
  return body.length >= MAGIC.length && body.subarray(0, MAGIC.length).equals(MAGIC);
}

/**
 * Decodes a protobuf request body into the object's JSON form (apiVersion and kind
 * set). Throws ProtobufError for a malformed body, and UnsupportedKindError for a kind
 * the sim cannot decode.
 */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (!isKubeProtobuf(body)) throw new ProtobufError('the body does not start with the Kubernetes protobuf prefix');
  const r = new Reader(body.subarray(MAGIC.length));
  let apiVersion = '';
  let kind = '';
  let raw: Buffer | undefined;
  let contentEncoding = '';
  for (const [no, wt] of r.fields()) {
    if (no === 1 && wt === 2) {
      const tm = new Reader(r.bytes());
      for (const [tno, twt] of tm.fields()) {
        if (tno === 1 && twt === 2) apiVersion = tm.bytes().toString('utf8');
        else if (tno === 2 && twt === 2) kind = tm.bytes().toString('utf8');
        else tm.skip(twt);
      }
    } else if (no === 2 && wt === 2) raw = r.bytes();
    else if (no === 3 && wt === 2) contentEncoding = r.bytes().toString('utf8');
    else r.skip(wt);
  }
  if (contentEncoding) throw new ProtobufError(`unsupported content encoding "${contentEncoding}"`);
  const msg = KINDS[`${apiVersion}/${kind}`];
  if (!msg) throw new UnsupportedKindError(`kind ${apiVersion}, Kind=${kind} is not decoded`);
  return { apiVersion: apiVersion.startsWith('meta.k8s.io/') ? 'meta.k8s.io/v1' : apiVersion, kind, ...decodeMessage(raw ?? Buffer.alloc(0), msg) };
}

export class UnsupportedKindError extends Error {}
