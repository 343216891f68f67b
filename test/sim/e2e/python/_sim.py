"""What every script shares: the official client configured from the sim's kubeconfig
(argv[1]), a bound on each request, and one JSON document on stdout for the test to read."""

import json
import sys

from kubernetes import client, config
from kubernetes.client.rest import ApiException

# Seconds any single request may take: a test never hangs on a server that stopped answering.
REQUEST_TIMEOUT = 10


def core_api() -> client.CoreV1Api:
    config.load_kube_config(config_file=sys.argv[1])
    return client.CoreV1Api()


def args() -> list:
    """The script's own arguments, after the kubeconfig path."""
    return sys.argv[2:]


def api_error(e: ApiException) -> dict:
    """An ApiException as the user would read it: the HTTP status and the Status it carried."""
    try:
        status = json.loads(e.body) if e.body else {}
    except ValueError:
        status = {}
    return {'status': e.status, 'reason': status.get('reason', e.reason), 'message': status.get('message', '')}


def emit(value) -> None:
    json.dump(value, sys.stdout)
    sys.stdout.write('\n')
