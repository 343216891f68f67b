// admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration and
// MutatingWebhookConfiguration. Stored and served; the sim never calls the webhooks.
import { bytes, def, int32, list, obj, str, strList } from '../dsl.js';
import { labelSelector, typeMeta } from './meta.js';

const AR = 'io.k8s.api.admissionregistration.v1';
const gvk = (kind: string) => [{ group: 'admissionregistration.k8s.io', version: 'v1', kind }];

const clientConfig = def(
  `${AR}.WebhookClientConfig`,
  obj({
    url: str,
    service: def(`${AR}.ServiceReference`, obj({ namespace: str, name: str, path: str, port: int32 }, ['namespace', 'name'])),
    caBundle: bytes,
  }),
);

const ruleWithOperations = def(
  `${AR}.RuleWithOperations`,
  obj({ operations: strList, apiGroups: strList, apiVersions: strList, resources: strList, scope: str }),
);

const matchCondition = def(`${AR}.MatchCondition`, obj({ name: str, expression: str }, ['name', 'expression']));

function webhookFields(mutating: boolean) {
  return {
    name: str,
    clientConfig,
    rules: list(ruleWithOperations, { listType: 'atomic' }),
    failurePolicy: str,
    matchPolicy: str,
    namespaceSelector: labelSelector,
    objectSelector: labelSelector,
    sideEffects: str,
    timeoutSeconds: int32,
    admissionReviewVersions: strList,
    ...(mutating ? { reinvocationPolicy: str } : {}),
    matchConditions: list(matchCondition, { mergeKey: 'name', mapKeys: ['name'] }),
  };
}

const WEBHOOK_REQUIRED = ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions'];

export const validatingWebhookConfiguration = def(
  `${AR}.ValidatingWebhookConfiguration`,
  obj({
    ...typeMeta(),
    webhooks: list(def(`${AR}.ValidatingWebhook`, obj(webhookFields(false), WEBHOOK_REQUIRED)), {
      mergeKey: 'name',
      mapKeys: ['name'],
    }),
  }),
  gvk('ValidatingWebhookConfiguration'),
);

export const mutatingWebhookConfiguration = def(
  `${AR}.MutatingWebhookConfiguration`,
  obj({
    ...typeMeta(),
    webhooks: list(def(`${AR}.MutatingWebhook`, obj(webhookFields(true), WEBHOOK_REQUIRED)), {
      mergeKey: 'name',
      mapKeys: ['name'],
    }),
  }),
  gvk('MutatingWebhookConfiguration'),
);
