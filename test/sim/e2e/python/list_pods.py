"""Lists a namespace's pods page by page (limit + continue), as a script over a big
cluster should, and reads each pod through the client's typed models."""

from _sim import REQUEST_TIMEOUT, args, core_api, emit

namespace, limit = args()[0], int(args()[1])
v1 = core_api()

pages = []
pods = []
token = None
resource_version = None
while True:
    kwargs = {'limit': limit, '_request_timeout': REQUEST_TIMEOUT}
    if token:
        kwargs['_continue'] = token
    page = v1.list_namespaced_pod(namespace, **kwargs)
    if resource_version is None:
        resource_version = page.metadata.resource_version
    pages.append({
        'names': [p.metadata.name for p in page.items],
        'remainingItemCount': page.metadata.remaining_item_count,
        'resourceVersion': page.metadata.resource_version,
    })
    for p in page.items:
        pods.append({
            'name': p.metadata.name,
            'labels': p.metadata.labels or {},
            'nodeName': p.spec.node_name,
            'phase': p.status.phase if p.status else None,
            'containers': [c.name for c in p.spec.containers],
        })
    token = page.metadata._continue
    if not token:
        break

emit({'resourceVersion': resource_version, 'pages': pages, 'pods': pods})
