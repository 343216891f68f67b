"""Watches a namespace's pods from a resourceVersion with the client's Watch helper
(which sends watch=True and allowWatchBookmarks=True), until it has seen the given number
of events or the server ends the watch after timeout_seconds."""

from kubernetes import watch
from kubernetes.client.rest import ApiException

from _sim import api_error, args, core_api, emit

namespace, resource_version, wanted, timeout = args()[0], args()[1], int(args()[2]), int(args()[3])
v1 = core_api()

w = watch.Watch()
events = []
bookmarks = []
try:
    for ev in w.stream(v1.list_namespaced_pod, namespace, resource_version=resource_version,
                       allow_watch_bookmarks=True, timeout_seconds=timeout,
                       _request_timeout=timeout + 5):
        if ev['type'] == 'BOOKMARK':
            # The client hands a bookmark over undecoded: its object is the raw dict.
            bookmarks.append(ev['raw_object']['metadata']['resourceVersion'])
            continue
        pod = ev['object']
        events.append({
            'type': ev['type'],
            'name': pod.metadata.name,
            'resourceVersion': pod.metadata.resource_version,
            'labels': pod.metadata.labels or {},
        })
        if len(events) >= wanted:
            w.stop()
except ApiException as e:
    emit({'events': events, 'error': api_error(e)})
else:
    emit({'events': events, 'bookmarks': bookmarks, 'resourceVersion': w.resource_version})
