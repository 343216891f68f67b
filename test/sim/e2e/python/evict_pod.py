"""Evicts a pod through the policy/v1 Eviction subresource, then reads it back: it is
terminating (or gone), and evicting a pod that does not exist is a 404."""

from kubernetes import client
from kubernetes.client.rest import ApiException

from _sim import REQUEST_TIMEOUT, api_error, args, core_api, emit

namespace, name = args()[0], args()[1]
v1 = core_api()


def eviction(pod_name: str) -> client.V1Eviction:
    return client.V1Eviction(metadata=client.V1ObjectMeta(name=pod_name, namespace=namespace))


v1.create_namespaced_pod_eviction(name, namespace, eviction(name), _request_timeout=REQUEST_TIMEOUT)
try:
    pod = v1.read_namespaced_pod(name, namespace, _request_timeout=REQUEST_TIMEOUT)
    after = {'deletionTimestamp': pod.metadata.deletion_timestamp.isoformat() if pod.metadata.deletion_timestamp else None}
except ApiException as e:
    after = {'error': api_error(e)}

try:
    v1.create_namespaced_pod_eviction('no-such-pod', namespace, eviction('no-such-pod'), _request_timeout=REQUEST_TIMEOUT)
    missing = None
except ApiException as e:
    missing = api_error(e)

emit({'after': after, 'missing': missing})
