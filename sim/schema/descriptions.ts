// One-line descriptions of the kinds and the fields every object has, for `kubectl
// explain`. Worded after the Kubernetes API reference; the rest of the schema stays terse.

const CORE = 'io.k8s.api.core.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Definition name -> description of the type itself. */
export const TYPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [`${CORE}.Pod`]: 'Pod is a collection of containers that can run on a host. This resource is created by clients and scheduled onto hosts.',
  [`${CORE}.PodSpec`]: 'PodSpec is a description of a pod.',
  [`${CORE}.PodStatus`]: 'PodStatus represents information about the status of a pod. Status may trail the actual state of a system, especially if the node that hosts the pod cannot contact the control plane.',
  [`${CORE}.Container`]: 'A single application container that you want to run within a pod.',
  [`${CORE}.ResourceRequirements`]: 'ResourceRequirements describes the compute resource requirements.',
  [`${CORE}.Node`]: 'Node is a worker node in Kubernetes. Each node will have a unique identifier in the cache (i.e. in etcd).',
  [`${CORE}.Namespace`]: 'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
  [`${CORE}.ConfigMap`]: 'ConfigMap holds configuration data for pods to consume.',
  [`${CORE}.Secret`]: 'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
  [`${CORE}.ServiceAccount`]: 'ServiceAccount binds together: a name, understood by users, and perhaps by peripheral systems, for an identity; a principal that can be authenticated and authorized; a set of secrets.',
  [`${CORE}.Service`]: 'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
  [`${CORE}.Event`]: 'Event is a report of an event somewhere in the cluster.',
  [`${CORE}.Endpoints`]: 'Endpoints is a collection of endpoints that implement the actual service.',
  [`${CORE}.Binding`]: 'Binding ties one object to another; for example, a pod is bound to a node by a scheduler.',
  'io.k8s.api.apps.v1.Deployment': 'Deployment enables declarative updates for Pods and ReplicaSets.',
  'io.k8s.api.apps.v1.ReplicaSet': 'ReplicaSet ensures that a specified number of pod replicas are running at any given time.',
  'io.k8s.api.apps.v1.StatefulSet': 'StatefulSet represents a set of pods with consistent identities.',
  'io.k8s.api.apps.v1.DaemonSet': 'DaemonSet represents the configuration of a daemon set.',
  'io.k8s.api.batch.v1.Job': 'Job represents the configuration of a single job.',
  'io.k8s.api.coordination.v1.Lease': 'Lease defines a lease concept.',
  'io.k8s.api.scheduling.v1.PriorityClass': 'PriorityClass defines mapping from a priority class name to the priority integer value. The value can be any valid integer.',
  'io.k8s.api.events.v1.Event': 'Event is a report of an event somewhere in the cluster. It generally denotes some state change in the system.',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition':
    'CustomResourceDefinition represents a resource that should be exposed on the API server. Its name MUST be in the format <.spec.name>.<.spec.group>.',
  [`${META}.ObjectMeta`]: 'ObjectMeta is metadata that all persisted resources must have, which includes all objects users must create.',
  [`${META}.ListMeta`]: 'ListMeta describes metadata that synthetic resources must have, including lists and various status objects.',
  [`${META}.LabelSelector`]: 'A label selector is a label query over a set of resources. An empty label selector matches all objects. A null label selector matches no objects.',
};

/** Field name -> description, for the fields every top-level kind has. */
export const COMMON_FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  apiVersion:
    'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.',
  kind: 'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.',
  metadata: "Standard object's metadata.",
  spec: 'Specification of the desired behavior of the object.',
  status: 'Most recently observed status of the object. This data may not be up to date. Populated by the system. Read-only.',
};
