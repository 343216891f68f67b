// networking.k8s.io/v1 NetworkPolicy and Ingress (plus IngressClass, which Ingress names).
// Stored and served; nothing enforces policies or routes traffic.
import { def, int32, intOrString, list, obj, str, strList } from '../dsl.js';
import { labelSelector, typeMeta } from './meta.js';
import { typedLocalObjectReference } from './core.js';

const NET = 'io.k8s.api.networking.v1';
const gvk = (kind: string) => [{ group: 'networking.k8s.io', version: 'v1', kind }];

// ---------------------------------------------------------------- NetworkPolicy

const networkPolicyPort = def(`${NET}.NetworkPolicyPort`, obj({ protocol: str, port: intOrString, endPort: int32 }));
const ports = list(networkPolicyPort, { listType: 'atomic' });

const networkPolicyPeer = def(
  `${NET}.NetworkPolicyPeer`,
  obj({
    podSelector: labelSelector,
    namespaceSelector: labelSelector,
    ipBlock: def(`${NET}.IPBlock`, obj({ cidr: str, except: strList }, ['cidr'])),
  }),
);
const peers = list(networkPolicyPeer, { listType: 'atomic' });

export const networkPolicy = def(
  `${NET}.NetworkPolicy`,
  obj({
    ...typeMeta(),
    spec: def(
      `${NET}.NetworkPolicySpec`,
      obj(
        {
          podSelector: labelSelector,
          ingress: list(def(`${NET}.NetworkPolicyIngressRule`, obj({ ports, from: peers })), { listType: 'atomic' }),
          egress: list(def(`${NET}.NetworkPolicyEgressRule`, obj({ ports, to: peers })), { listType: 'atomic' }),
          policyTypes: strList,
        },
        ['podSelector'],
      ),
    ),
  }),
  gvk('NetworkPolicy'),
);

// ---------------------------------------------------------------- Ingress

const ingressBackend = def(
  `${NET}.IngressBackend`,
  obj({
    service: def(
      `${NET}.IngressServiceBackend`,
      obj({ name: str, port: def(`${NET}.ServiceBackendPort`, obj({ name: str, number: int32 })) }, ['name']),
    ),
    resource: typedLocalObjectReference,
  }),
);

const httpIngressPath = def(
  `${NET}.HTTPIngressPath`,
  obj({ path: str, pathType: str, backend: ingressBackend }, ['pathType', 'backend']),
);

const ingressRule = def(
  `${NET}.IngressRule`,
  obj({
    host: str,
    http: def(`${NET}.HTTPIngressRuleValue`, obj({ paths: list(httpIngressPath, { listType: 'atomic' }) }, ['paths'])),
  }),
);

const ingressPortStatus = def(
  `${NET}.IngressPortStatus`,
  obj({ port: int32, protocol: str, error: str }, ['port', 'protocol']),
);

export const ingress = def(
  `${NET}.Ingress`,
  obj({
    ...typeMeta(),
    spec: def(
      `${NET}.IngressSpec`,
      obj({
        ingressClassName: str,
        defaultBackend: ingressBackend,
        tls: list(def(`${NET}.IngressTLS`, obj({ hosts: strList, secretName: str })), { listType: 'atomic' }),
        rules: list(ingressRule, { listType: 'atomic' }),
      }),
    ),
    status: def(
      `${NET}.IngressStatus`,
      obj({
        loadBalancer: def(
          `${NET}.IngressLoadBalancerStatus`,
          obj({
            ingress: list(
              def(
                `${NET}.IngressLoadBalancerIngress`,
                obj({ ip: str, hostname: str, ports: list(ingressPortStatus, { listType: 'atomic' }) }),
              ),
              { listType: 'atomic' },
            ),
          }),
        ),
      }),
    ),
  }),
  gvk('Ingress'),
);

export const ingressClass = def(
  `${NET}.IngressClass`,
  obj({
    ...typeMeta(),
    spec: def(
      `${NET}.IngressClassSpec`,
      obj({
        controller: str,
        parameters: def(
          `${NET}.IngressClassParametersReference`,
          obj({ apiGroup: str, kind: str, name: str, scope: str, namespace: str }, ['kind', 'name']),
        ),
      }),
    ),
  }),
  gvk('IngressClass'),
);
