"""Patches a pod both ways the client sends a patch (a dict goes as a strategic merge
patch, a list as a JSON patch), then replaces it with a stale resourceVersion, which
optimistic concurrency must refuse with 409."""

from kubernetes.client.rest import ApiException

from _sim import REQUEST_TIMEOUT, api_error, args, core_api, emit

namespace, name = args()[0], args()[1]
v1 = core_api()

before = v1.read_namespaced_pod(name, namespace, _request_timeout=REQUEST_TIMEOUT)
strategic = v1.patch_namespaced_pod(name, namespace, {'metadata': {'labels': {'patched-by': 'python'}}},
                                    _request_timeout=REQUEST_TIMEOUT)
json_patch = v1.patch_namespaced_pod(name, namespace,
                                     [{'op': 'add', 'path': '/metadata/annotations', 'value': {'team': 'spark'}}],
                                     _request_timeout=REQUEST_TIMEOUT)

# `before` still carries the resourceVersion from before both patches.
before.metadata.labels = {**(before.metadata.labels or {}), 'stale': 'true'}
try:
    v1.replace_namespaced_pod(name, namespace, before, _request_timeout=REQUEST_TIMEOUT)
    conflict = None
except ApiException as e:
    conflict = api_error(e)

emit({
    'resourceVersions': [before.metadata.resource_version, strategic.metadata.resource_version,
                         json_patch.metadata.resource_version],
    'labels': json_patch.metadata.labels or {},
    'annotations': json_patch.metadata.annotations or {},
    'conflict': conflict,
})
