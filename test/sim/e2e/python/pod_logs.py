"""Reads a pod's log with the options a user passes as Python booleans (timestamps=True,
previous=True), which the client sends as "True"."""

from kubernetes.client.rest import ApiException

from _sim import REQUEST_TIMEOUT, api_error, args, core_api, emit

namespace, name = args()[0], args()[1]
v1 = core_api()

text = v1.read_namespaced_pod_log(name, namespace, timestamps=True, tail_lines=2, _request_timeout=REQUEST_TIMEOUT)
try:
    v1.read_namespaced_pod_log(name, namespace, previous=True, _request_timeout=REQUEST_TIMEOUT)
    previous = None
except ApiException as e:
    previous = api_error(e)

emit({'lines': text.splitlines(), 'previous': previous})
