// core/v1: Pod (the whole PodSpec as users write it, and PodStatus), Node, Namespace,
// ConfigMap, Secret, ServiceAccount, Event, Service, Endpoints, Binding and the
// PersistentVolumeClaim shape used by StatefulSet templates and ephemeral volumes.
import {
  any,
  bool,
  bytes,
  def,
  int32,
  int64,
  intOrString,
  list,
  map,
  obj,
  quantity,
  resourceList,
  str,
  strList,
  strMap,
  time,
  valueTime,
} from '../dsl.js';
import { condition, labelSelector, objectMeta, typeMeta } from './meta.js';

const V1 = 'io.k8s.api.core.v1';
const gvk = (kind: string) => [{ group: '', version: 'v1', kind }];

// ---------------------------------------------------------------- small references

export const localObjectReference = def(`${V1}.LocalObjectReference`, obj({ name: str }));

export const objectReference = def(
  `${V1}.ObjectReference`,
  obj({ kind: str, namespace: str, name: str, uid: str, apiVersion: str, resourceVersion: str, fieldPath: str }),
);

export const typedLocalObjectReference = def(
  `${V1}.TypedLocalObjectReference`,
  obj({ apiGroup: str, kind: str, name: str }, ['kind', 'name']),
);

const typedObjectReference = def(
  `${V1}.TypedObjectReference`,
  obj({ apiGroup: str, kind: str, name: str, namespace: str }, ['kind', 'name']),
);

const objectFieldSelector = def(`${V1}.ObjectFieldSelector`, obj({ apiVersion: str, fieldPath: str }, ['fieldPath']));

const resourceFieldSelector = def(
  `${V1}.ResourceFieldSelector`,
  obj({ containerName: str, resource: str, divisor: quantity }, ['resource']),
);

const keyToPath = def(`${V1}.KeyToPath`, obj({ key: str, path: str, mode: int32 }, ['key', 'path']));
const keyToPaths = list(keyToPath, { listType: 'atomic' });

// ---------------------------------------------------------------- env

const configMapKeySelector = def(
  `${V1}.ConfigMapKeySelector`,
  obj({ name: str, key: str, optional: bool }, ['key']),
);
const secretKeySelector = def(`${V1}.SecretKeySelector`, obj({ name: str, key: str, optional: bool }, ['key']));

const envVarSource = def(
  `${V1}.EnvVarSource`,
  obj({
    fieldRef: objectFieldSelector,
    resourceFieldRef: resourceFieldSelector,
    configMapKeyRef: configMapKeySelector,
    secretKeyRef: secretKeySelector,
  }),
);

const envVar = def(`${V1}.EnvVar`, obj({ name: str, value: str, valueFrom: envVarSource }, ['name']));

const envFromSource = def(
  `${V1}.EnvFromSource`,
  obj({
    prefix: str,
    configMapRef: def(`${V1}.ConfigMapEnvSource`, obj({ name: str, optional: bool })),
    secretRef: def(`${V1}.SecretEnvSource`, obj({ name: str, optional: bool })),
  }),
);

// ---------------------------------------------------------------- resources

const resourceClaim = def(`${V1}.ResourceClaim`, obj({ name: str, request: str }, ['name']));

export const resourceRequirements = def(
  `${V1}.ResourceRequirements`,
  obj({
    limits: resourceList,
    requests: resourceList,
    claims: list(resourceClaim, { listType: 'map', mapKeys: ['name'] }),
  }),
);

const volumeResourceRequirements = def(
  `${V1}.VolumeResourceRequirements`,
  obj({ limits: resourceList, requests: resourceList }),
);

// ---------------------------------------------------------------- probes and handlers

const execAction = def(`${V1}.ExecAction`, obj({ command: strList }));
const httpHeader = def(`${V1}.HTTPHeader`, obj({ name: str, value: str }, ['name', 'value']));
const httpGetAction = def(
  `${V1}.HTTPGetAction`,
  obj(
    { path: str, port: intOrString, host: str, scheme: str, httpHeaders: list(httpHeader, { listType: 'atomic' }) },
    ['port'],
  ),
);
const tcpSocketAction = def(`${V1}.TCPSocketAction`, obj({ port: intOrString, host: str }, ['port']));
const grpcAction = def(`${V1}.GRPCAction`, obj({ port: int32, service: str }, ['port']));
const sleepAction = def(`${V1}.SleepAction`, obj({ seconds: int64 }, ['seconds']));

const probe = def(
  `${V1}.Probe`,
  obj({
    exec: execAction,
    httpGet: httpGetAction,
    tcpSocket: tcpSocketAction,
    grpc: grpcAction,
    initialDelaySeconds: int32,
    timeoutSeconds: int32,
    periodSeconds: int32,
    successThreshold: int32,
    failureThreshold: int32,
    terminationGracePeriodSeconds: int64,
  }),
);

const lifecycleHandler = def(
  `${V1}.LifecycleHandler`,
  obj({ exec: execAction, httpGet: httpGetAction, tcpSocket: tcpSocketAction, sleep: sleepAction }),
);

const lifecycle = def(
  `${V1}.Lifecycle`,
  obj({ postStart: lifecycleHandler, preStop: lifecycleHandler, stopSignal: str }),
);

// ---------------------------------------------------------------- security

const seLinuxOptions = def(`${V1}.SELinuxOptions`, obj({ user: str, role: str, type: str, level: str }));
const windowsOptions = def(
  `${V1}.WindowsSecurityContextOptions`,
  obj({ gmsaCredentialSpecName: str, gmsaCredentialSpec: str, runAsUserName: str, hostProcess: bool }),
);
const seccompProfile = def(`${V1}.SeccompProfile`, obj({ type: str, localhostProfile: str }, ['type']));
const appArmorProfile = def(`${V1}.AppArmorProfile`, obj({ type: str, localhostProfile: str }, ['type']));
const capabilities = def(`${V1}.Capabilities`, obj({ add: strList, drop: strList }));

const securityContext = def(
  `${V1}.SecurityContext`,
  obj({
    capabilities,
    privileged: bool,
    seLinuxOptions,
    windowsOptions,
    runAsUser: int64,
    runAsGroup: int64,
    runAsNonRoot: bool,
    readOnlyRootFilesystem: bool,
    allowPrivilegeEscalation: bool,
    procMount: str,
    seccompProfile,
    appArmorProfile,
  }),
);

const sysctl = def(`${V1}.Sysctl`, obj({ name: str, value: str }, ['name', 'value']));

const podSecurityContext = def(
  `${V1}.PodSecurityContext`,
  obj({
    seLinuxOptions,
    windowsOptions,
    runAsUser: int64,
    runAsGroup: int64,
    runAsNonRoot: bool,
    supplementalGroups: list(int64, { listType: 'atomic' }),
    supplementalGroupsPolicy: str,
    fsGroup: int64,
    sysctls: list(sysctl, { listType: 'atomic' }),
    fsGroupChangePolicy: str,
    seccompProfile,
    appArmorProfile,
    seLinuxChangePolicy: str,
  }),
);

// ---------------------------------------------------------------- containers

const containerPort = def(
  `${V1}.ContainerPort`,
  obj({ name: str, hostPort: int32, containerPort: int32, protocol: str, hostIP: str }, ['containerPort']),
);

const volumeMount = def(
  `${V1}.VolumeMount`,
  obj(
    {
      name: str,
      readOnly: bool,
      recursiveReadOnly: str,
      mountPath: str,
      subPath: str,
      mountPropagation: str,
      subPathExpr: str,
    },
    ['name', 'mountPath'],
  ),
);

const volumeDevice = def(`${V1}.VolumeDevice`, obj({ name: str, devicePath: str }, ['name', 'devicePath']));

const containerResizePolicy = def(
  `${V1}.ContainerResizePolicy`,
  obj({ resourceName: str, restartPolicy: str }, ['resourceName', 'restartPolicy']),
);

function containerFields() {
  return {
    name: str,
    image: str,
    command: strList,
    args: strList,
    workingDir: str,
    ports: list(containerPort, { mergeKey: 'containerPort', mapKeys: ['containerPort', 'protocol'] }),
    envFrom: list(envFromSource, { listType: 'atomic' }),
    env: list(envVar, { mergeKey: 'name', mapKeys: ['name'] }),
    resources: resourceRequirements,
    resizePolicy: list(containerResizePolicy, { listType: 'atomic' }),
    restartPolicy: str,
    volumeMounts: list(volumeMount, { mergeKey: 'mountPath', mapKeys: ['mountPath'] }),
    volumeDevices: list(volumeDevice, { mergeKey: 'devicePath', mapKeys: ['devicePath'] }),
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    lifecycle,
    terminationMessagePath: str,
    terminationMessagePolicy: str,
    imagePullPolicy: str,
    securityContext,
    stdin: bool,
    stdinOnce: bool,
    tty: bool,
  };
}

export const container = def(`${V1}.Container`, obj(containerFields(), ['name']));

const ephemeralContainer = def(
  `${V1}.EphemeralContainer`,
  obj({ ...containerFields(), targetContainerName: str }, ['name']),
);

// ---------------------------------------------------------------- persistent volume claims

const persistentVolumeClaimSpec = def(
  `${V1}.PersistentVolumeClaimSpec`,
  obj({
    accessModes: strList,
    selector: labelSelector,
    resources: volumeResourceRequirements,
    volumeName: str,
    storageClassName: str,
    volumeMode: str,
    dataSource: typedLocalObjectReference,
    dataSourceRef: typedObjectReference,
    volumeAttributesClassName: str,
  }),
);

const persistentVolumeClaimCondition = def(
  `${V1}.PersistentVolumeClaimCondition`,
  obj(
    { type: str, status: str, lastProbeTime: valueTime, lastTransitionTime: valueTime, reason: str, message: str },
    ['type', 'status'],
  ),
);

const persistentVolumeClaimStatus = def(
  `${V1}.PersistentVolumeClaimStatus`,
  obj({
    phase: str,
    accessModes: strList,
    capacity: resourceList,
    conditions: list(persistentVolumeClaimCondition, { mergeKey: 'type', mapKeys: ['type'] }),
    allocatedResources: resourceList,
    allocatedResourceStatuses: map(str, 'granular'),
    currentVolumeAttributesClassName: str,
    modifyVolumeStatus: obj({ targetVolumeAttributesClassName: str, status: str }, ['status']),
  }),
);

export const persistentVolumeClaim = def(
  `${V1}.PersistentVolumeClaim`,
  obj({ ...typeMeta(), spec: persistentVolumeClaimSpec, status: persistentVolumeClaimStatus }),
  gvk('PersistentVolumeClaim'),
);

const persistentVolumeClaimTemplate = def(
  `${V1}.PersistentVolumeClaimTemplate`,
  obj({ metadata: objectMeta, spec: persistentVolumeClaimSpec }, ['spec']),
);

// ---------------------------------------------------------------- volumes

const downwardAPIVolumeFile = def(
  `${V1}.DownwardAPIVolumeFile`,
  obj({ path: str, fieldRef: objectFieldSelector, resourceFieldRef: resourceFieldSelector, mode: int32 }, ['path']),
);
const downwardAPIItems = list(downwardAPIVolumeFile, { listType: 'atomic' });

const volumeProjection = def(
  `${V1}.VolumeProjection`,
  obj({
    secret: def(`${V1}.SecretProjection`, obj({ name: str, items: keyToPaths, optional: bool })),
    downwardAPI: def(`${V1}.DownwardAPIProjection`, obj({ items: downwardAPIItems })),
    configMap: def(`${V1}.ConfigMapProjection`, obj({ name: str, items: keyToPaths, optional: bool })),
    serviceAccountToken: def(
      `${V1}.ServiceAccountTokenProjection`,
      obj({ audience: str, expirationSeconds: int64, path: str }, ['path']),
    ),
    clusterTrustBundle: def(
      `${V1}.ClusterTrustBundleProjection`,
      obj({ name: str, signerName: str, labelSelector, optional: bool, path: str }, ['path']),
    ),
  }),
);

const volumeSourceFields = {
  hostPath: def(`${V1}.HostPathVolumeSource`, obj({ path: str, type: str }, ['path'])),
  emptyDir: def(`${V1}.EmptyDirVolumeSource`, obj({ medium: str, sizeLimit: quantity })),
  gcePersistentDisk: def(
    `${V1}.GCEPersistentDiskVolumeSource`,
    obj({ pdName: str, fsType: str, partition: int32, readOnly: bool }, ['pdName']),
  ),
  awsElasticBlockStore: def(
    `${V1}.AWSElasticBlockStoreVolumeSource`,
    obj({ volumeID: str, fsType: str, partition: int32, readOnly: bool }, ['volumeID']),
  ),
  gitRepo: def(`${V1}.GitRepoVolumeSource`, obj({ repository: str, revision: str, directory: str }, ['repository'])),
  secret: def(
    `${V1}.SecretVolumeSource`,
    obj({ secretName: str, items: keyToPaths, defaultMode: int32, optional: bool }),
  ),
  nfs: def(`${V1}.NFSVolumeSource`, obj({ server: str, path: str, readOnly: bool }, ['server', 'path'])),
  iscsi: def(
    `${V1}.ISCSIVolumeSource`,
    obj(
      {
        targetPortal: str,
        iqn: str,
        lun: int32,
        iscsiInterface: str,
        fsType: str,
        readOnly: bool,
        portals: strList,
        chapAuthDiscovery: bool,
        chapAuthSession: bool,
        secretRef: localObjectReference,
        initiatorName: str,
      },
      ['targetPortal', 'iqn', 'lun'],
    ),
  ),
  glusterfs: def(
    `${V1}.GlusterfsVolumeSource`,
    obj({ endpoints: str, path: str, readOnly: bool }, ['endpoints', 'path']),
  ),
  persistentVolumeClaim: def(
    `${V1}.PersistentVolumeClaimVolumeSource`,
    obj({ claimName: str, readOnly: bool }, ['claimName']),
  ),
  rbd: def(
    `${V1}.RBDVolumeSource`,
    obj(
      {
        monitors: strList,
        image: str,
        fsType: str,
        pool: str,
        user: str,
        keyring: str,
        secretRef: localObjectReference,
        readOnly: bool,
      },
      ['monitors', 'image'],
    ),
  ),
  flexVolume: def(
    `${V1}.FlexVolumeSource`,
    obj({ driver: str, fsType: str, secretRef: localObjectReference, readOnly: bool, options: strMap }, ['driver']),
  ),
  cinder: def(
    `${V1}.CinderVolumeSource`,
    obj({ volumeID: str, fsType: str, readOnly: bool, secretRef: localObjectReference }, ['volumeID']),
  ),
  cephfs: def(
    `${V1}.CephFSVolumeSource`,
    obj(
      {
        monitors: strList,
        path: str,
        user: str,
        secretFile: str,
        secretRef: localObjectReference,
        readOnly: bool,
      },
      ['monitors'],
    ),
  ),
  flocker: def(`${V1}.FlockerVolumeSource`, obj({ datasetName: str, datasetUUID: str })),
  downwardAPI: def(`${V1}.DownwardAPIVolumeSource`, obj({ items: downwardAPIItems, defaultMode: int32 })),
  fc: def(
    `${V1}.FCVolumeSource`,
    obj({ targetWWNs: strList, lun: int32, fsType: str, readOnly: bool, wwids: strList }),
  ),
  azureFile: def(
    `${V1}.AzureFileVolumeSource`,
    obj({ secretName: str, shareName: str, readOnly: bool }, ['secretName', 'shareName']),
  ),
  configMap: def(
    `${V1}.ConfigMapVolumeSource`,
    obj({ name: str, items: keyToPaths, defaultMode: int32, optional: bool }),
  ),
  vsphereVolume: def(
    `${V1}.VsphereVirtualDiskVolumeSource`,
    obj({ volumePath: str, fsType: str, storagePolicyName: str, storagePolicyID: str }, ['volumePath']),
  ),
  quobyte: def(
    `${V1}.QuobyteVolumeSource`,
    obj({ registry: str, volume: str, readOnly: bool, user: str, group: str, tenant: str }, ['registry', 'volume']),
  ),
  azureDisk: def(
    `${V1}.AzureDiskVolumeSource`,
    obj(
      { diskName: str, diskURI: str, cachingMode: str, fsType: str, readOnly: bool, kind: str },
      ['diskName', 'diskURI'],
    ),
  ),
  photonPersistentDisk: def(`${V1}.PhotonPersistentDiskVolumeSource`, obj({ pdID: str, fsType: str }, ['pdID'])),
  projected: def(
    `${V1}.ProjectedVolumeSource`,
    obj({ sources: list(volumeProjection, { listType: 'atomic' }), defaultMode: int32 }),
  ),
  portworxVolume: def(
    `${V1}.PortworxVolumeSource`,
    obj({ volumeID: str, fsType: str, readOnly: bool }, ['volumeID']),
  ),
  scaleIO: def(
    `${V1}.ScaleIOVolumeSource`,
    obj(
      {
        gateway: str,
        system: str,
        secretRef: localObjectReference,
        sslEnabled: bool,
        protectionDomain: str,
        storagePool: str,
        storageMode: str,
        volumeName: str,
        fsType: str,
        readOnly: bool,
      },
      ['gateway', 'system', 'secretRef'],
    ),
  ),
  storageos: def(
    `${V1}.StorageOSVolumeSource`,
    obj({ volumeName: str, volumeNamespace: str, fsType: str, readOnly: bool, secretRef: localObjectReference }),
  ),
  csi: def(
    `${V1}.CSIVolumeSource`,
    obj(
      { driver: str, readOnly: bool, fsType: str, volumeAttributes: strMap, nodePublishSecretRef: localObjectReference },
      ['driver'],
    ),
  ),
  ephemeral: def(`${V1}.EphemeralVolumeSource`, obj({ volumeClaimTemplate: persistentVolumeClaimTemplate })),
  image: def(`${V1}.ImageVolumeSource`, obj({ reference: str, pullPolicy: str })),
};

/** The volume source fields, in the order kube checks "may not specify more than 1 volume type". */
export const VOLUME_SOURCE_FIELDS = Object.keys(volumeSourceFields);

const volume = def(`${V1}.Volume`, obj({ name: str, ...volumeSourceFields }, ['name']));

// ---------------------------------------------------------------- scheduling

const nodeSelectorRequirement = def(
  `${V1}.NodeSelectorRequirement`,
  obj({ key: str, operator: str, values: strList }, ['key', 'operator']),
);

const nodeSelectorTerm = def(
  `${V1}.NodeSelectorTerm`,
  obj({
    matchExpressions: list(nodeSelectorRequirement, { listType: 'atomic' }),
    matchFields: list(nodeSelectorRequirement, { listType: 'atomic' }),
  }),
);

const nodeSelector = def(
  `${V1}.NodeSelector`,
  obj({ nodeSelectorTerms: list(nodeSelectorTerm, { listType: 'atomic' }) }, ['nodeSelectorTerms']),
);

const preferredSchedulingTerm = def(
  `${V1}.PreferredSchedulingTerm`,
  obj({ weight: int32, preference: nodeSelectorTerm }, ['weight', 'preference']),
);

const podAffinityTerm = def(
  `${V1}.PodAffinityTerm`,
  obj(
    {
      labelSelector,
      namespaces: strList,
      topologyKey: str,
      namespaceSelector: labelSelector,
      matchLabelKeys: strList,
      mismatchLabelKeys: strList,
    },
    ['topologyKey'],
  ),
);

const weightedPodAffinityTerm = def(
  `${V1}.WeightedPodAffinityTerm`,
  obj({ weight: int32, podAffinityTerm }, ['weight', 'podAffinityTerm']),
);

function podAffinityFields() {
  return {
    requiredDuringSchedulingIgnoredDuringExecution: list(podAffinityTerm, { listType: 'atomic' }),
    preferredDuringSchedulingIgnoredDuringExecution: list(weightedPodAffinityTerm, { listType: 'atomic' }),
  };
}

const affinity = def(
  `${V1}.Affinity`,
  obj({
    nodeAffinity: def(
      `${V1}.NodeAffinity`,
      obj({
        requiredDuringSchedulingIgnoredDuringExecution: nodeSelector,
        preferredDuringSchedulingIgnoredDuringExecution: list(preferredSchedulingTerm, { listType: 'atomic' }),
      }),
    ),
    podAffinity: def(`${V1}.PodAffinity`, obj(podAffinityFields())),
    podAntiAffinity: def(`${V1}.PodAntiAffinity`, obj(podAffinityFields())),
  }),
);

const toleration = def(
  `${V1}.Toleration`,
  obj({ key: str, operator: str, value: str, effect: str, tolerationSeconds: int64 }),
);

const topologySpreadConstraint = def(
  `${V1}.TopologySpreadConstraint`,
  obj(
    {
      maxSkew: int32,
      topologyKey: str,
      whenUnsatisfiable: str,
      labelSelector,
      minDomains: int32,
      nodeAffinityPolicy: str,
      nodeTaintsPolicy: str,
      matchLabelKeys: strList,
    },
    ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
  ),
);

const hostAlias = def(`${V1}.HostAlias`, obj({ ip: str, hostnames: strList }, ['ip']));

const podDNSConfig = def(
  `${V1}.PodDNSConfig`,
  obj({
    nameservers: strList,
    searches: strList,
    options: list(def(`${V1}.PodDNSConfigOption`, obj({ name: str, value: str })), { listType: 'atomic' }),
  }),
);

const podResourceClaim = def(
  `${V1}.PodResourceClaim`,
  obj({ name: str, resourceClaimName: str, resourceClaimTemplateName: str }, ['name']),
);

// ---------------------------------------------------------------- pod

export const podSpec = def(
  `${V1}.PodSpec`,
  obj(
    {
      volumes: list(volume, { mergeKey: 'name', strategy: 'merge,retainKeys', mapKeys: ['name'] }),
      initContainers: list(container, { mergeKey: 'name', mapKeys: ['name'] }),
      containers: list(container, { mergeKey: 'name', mapKeys: ['name'] }),
      ephemeralContainers: list(ephemeralContainer, { mergeKey: 'name', mapKeys: ['name'] }),
      restartPolicy: str,
      terminationGracePeriodSeconds: int64,
      activeDeadlineSeconds: int64,
      dnsPolicy: str,
      nodeSelector: map(str, 'atomic'),
      serviceAccountName: str,
      serviceAccount: str,
      automountServiceAccountToken: bool,
      nodeName: str,
      hostNetwork: bool,
      hostPID: bool,
      hostIPC: bool,
      shareProcessNamespace: bool,
      securityContext: podSecurityContext,
      imagePullSecrets: list(localObjectReference, { mergeKey: 'name', mapKeys: ['name'] }),
      hostname: str,
      subdomain: str,
      affinity,
      schedulerName: str,
      tolerations: list(toleration, { listType: 'atomic' }),
      hostAliases: list(hostAlias, { mergeKey: 'ip', mapKeys: ['ip'] }),
      priorityClassName: str,
      priority: int32,
      dnsConfig: podDNSConfig,
      readinessGates: list(def(`${V1}.PodReadinessGate`, obj({ conditionType: str }, ['conditionType'])), {
        listType: 'atomic',
      }),
      runtimeClassName: str,
      enableServiceLinks: bool,
      preemptionPolicy: str,
      overhead: resourceList,
      topologySpreadConstraints: list(topologySpreadConstraint, {
        mergeKey: 'topologyKey',
        mapKeys: ['topologyKey', 'whenUnsatisfiable'],
      }),
      setHostnameAsFQDN: bool,
      os: def(`${V1}.PodOS`, obj({ name: str }, ['name'])),
      hostUsers: bool,
      schedulingGates: list(def(`${V1}.PodSchedulingGate`, obj({ name: str }, ['name'])), {
        mergeKey: 'name',
        mapKeys: ['name'],
      }),
      resourceClaims: list(podResourceClaim, { mergeKey: 'name', strategy: 'merge,retainKeys', mapKeys: ['name'] }),
      resources: resourceRequirements,
    },
    ['containers'],
  ),
);

const containerStateFields = {
  waiting: def(`${V1}.ContainerStateWaiting`, obj({ reason: str, message: str })),
  running: def(`${V1}.ContainerStateRunning`, obj({ startedAt: valueTime })),
  terminated: def(
    `${V1}.ContainerStateTerminated`,
    obj(
      {
        exitCode: int32,
        signal: int32,
        reason: str,
        message: str,
        startedAt: valueTime,
        finishedAt: valueTime,
        containerID: str,
      },
      ['exitCode'],
    ),
  ),
};
const containerState = def(`${V1}.ContainerState`, obj(containerStateFields));

const containerStatus = def(
  `${V1}.ContainerStatus`,
  obj(
    {
      name: str,
      state: containerState,
      lastState: containerState,
      ready: bool,
      restartCount: int32,
      image: str,
      imageID: str,
      containerID: str,
      started: bool,
      allocatedResources: resourceList,
      resources: resourceRequirements,
      volumeMounts: list(
        def(
          `${V1}.VolumeMountStatus`,
          obj({ name: str, mountPath: str, readOnly: bool, recursiveReadOnly: str }, ['name', 'mountPath']),
        ),
        { mergeKey: 'mountPath', mapKeys: ['mountPath'] },
      ),
      user: def(
        `${V1}.ContainerUser`,
        obj({
          linux: def(
            `${V1}.LinuxContainerUser`,
            obj({ uid: int64, gid: int64, supplementalGroups: list(int64, { listType: 'atomic' }) }, ['uid', 'gid']),
          ),
        }),
      ),
      allocatedResourcesStatus: list(
        def(
          `${V1}.ResourceStatus`,
          obj(
            {
              name: str,
              resources: list(def(`${V1}.ResourceHealth`, obj({ resourceID: str, health: str }, ['resourceID'])), {
                listType: 'map',
                mapKeys: ['resourceID'],
              }),
            },
            ['name'],
          ),
        ),
        { listType: 'map', mapKeys: ['name'] },
      ),
      stopSignal: str,
    },
    ['name', 'ready', 'restartCount', 'image', 'imageID'],
  ),
);

const podCondition = def(
  `${V1}.PodCondition`,
  obj(
    {
      type: str,
      observedGeneration: int64,
      status: str,
      lastProbeTime: valueTime,
      lastTransitionTime: valueTime,
      reason: str,
      message: str,
    },
    ['type', 'status'],
  ),
);

const podIP = def(`${V1}.PodIP`, obj({ ip: str }, ['ip']));
const hostIP = def(`${V1}.HostIP`, obj({ ip: str }, ['ip']));

export const podStatus = def(
  `${V1}.PodStatus`,
  obj({
    observedGeneration: int64,
    phase: str,
    conditions: list(podCondition, { mergeKey: 'type', mapKeys: ['type'] }),
    message: str,
    reason: str,
    nominatedNodeName: str,
    hostIP: str,
    hostIPs: list(hostIP, { mergeKey: 'ip', listType: 'atomic' }),
    podIP: str,
    podIPs: list(podIP, { mergeKey: 'ip', mapKeys: ['ip'] }),
    startTime: time,
    initContainerStatuses: list(containerStatus, { listType: 'atomic' }),
    containerStatuses: list(containerStatus, { listType: 'atomic' }),
    qosClass: str,
    ephemeralContainerStatuses: list(containerStatus, { listType: 'atomic' }),
    resize: str,
    resourceClaimStatuses: list(
      def(`${V1}.PodResourceClaimStatus`, obj({ name: str, resourceClaimName: str }, ['name'])),
      { mergeKey: 'name', strategy: 'merge,retainKeys', mapKeys: ['name'] },
    ),
  }),
);

export const pod = def(`${V1}.Pod`, obj({ ...typeMeta(), spec: podSpec, status: podStatus }), gvk('Pod'));

export const podTemplateSpec = def(`${V1}.PodTemplateSpec`, obj({ metadata: objectMeta, spec: podSpec }));

export const binding = def(`${V1}.Binding`, obj({ ...typeMeta(), target: objectReference }, ['target']), gvk('Binding'));

// ---------------------------------------------------------------- node

const taint = def(`${V1}.Taint`, obj({ key: str, value: str, effect: str, timeAdded: time }, ['key', 'effect']));

const configMapNodeConfigSource = def(
  `${V1}.ConfigMapNodeConfigSource`,
  obj(
    { namespace: str, name: str, uid: str, resourceVersion: str, kubeletConfigKey: str },
    ['namespace', 'name', 'kubeletConfigKey'],
  ),
);
const nodeConfigSource = def(`${V1}.NodeConfigSource`, obj({ configMap: configMapNodeConfigSource }));

const nodeSpec = def(
  `${V1}.NodeSpec`,
  obj({
    podCIDR: str,
    podCIDRs: list(str, { strategy: 'merge', listType: 'set' }),
    providerID: str,
    unschedulable: bool,
    taints: list(taint, { listType: 'atomic' }),
    configSource: nodeConfigSource,
    externalID: str,
  }),
);

const nodeStatus = def(
  `${V1}.NodeStatus`,
  obj({
    capacity: resourceList,
    allocatable: resourceList,
    phase: str,
    conditions: list(
      def(
        `${V1}.NodeCondition`,
        obj(
          {
            type: str,
            status: str,
            lastHeartbeatTime: valueTime,
            lastTransitionTime: valueTime,
            reason: str,
            message: str,
          },
          ['type', 'status'],
        ),
      ),
      { mergeKey: 'type', mapKeys: ['type'] },
    ),
    addresses: list(def(`${V1}.NodeAddress`, obj({ type: str, address: str }, ['type', 'address'])), {
      mergeKey: 'type',
      mapKeys: ['type'],
    }),
    daemonEndpoints: def(
      `${V1}.NodeDaemonEndpoints`,
      obj({ kubeletEndpoint: def(`${V1}.DaemonEndpoint`, obj({ Port: int32 }, ['Port'])) }),
    ),
    nodeInfo: def(
      `${V1}.NodeSystemInfo`,
      obj({
        machineID: str,
        systemUUID: str,
        bootID: str,
        kernelVersion: str,
        osImage: str,
        containerRuntimeVersion: str,
        kubeletVersion: str,
        kubeProxyVersion: str,
        operatingSystem: str,
        architecture: str,
        swap: def(`${V1}.NodeSwapStatus`, obj({ capacity: int64 })),
      }),
    ),
    images: list(def(`${V1}.ContainerImage`, obj({ names: strList, sizeBytes: int64 })), { listType: 'atomic' }),
    volumesInUse: strList,
    volumesAttached: list(
      def(`${V1}.AttachedVolume`, obj({ name: str, devicePath: str }, ['name', 'devicePath'])),
      { listType: 'atomic' },
    ),
    config: def(
      `${V1}.NodeConfigStatus`,
      obj({ assigned: nodeConfigSource, active: nodeConfigSource, lastKnownGood: nodeConfigSource, error: str }),
    ),
    runtimeHandlers: list(
      def(
        `${V1}.NodeRuntimeHandler`,
        obj({
          name: str,
          features: def(
            `${V1}.NodeRuntimeHandlerFeatures`,
            obj({ recursiveReadOnlyMounts: bool, userNamespaces: bool }),
          ),
        }),
      ),
      { listType: 'atomic' },
    ),
    features: def(`${V1}.NodeFeatures`, obj({ supplementalGroupsPolicy: bool })),
  }),
);

export const node = def(`${V1}.Node`, obj({ ...typeMeta(), spec: nodeSpec, status: nodeStatus }), gvk('Node'));

// ---------------------------------------------------------------- namespace, config, secrets, accounts

export const namespace = def(
  `${V1}.Namespace`,
  obj({
    ...typeMeta(),
    spec: def(`${V1}.NamespaceSpec`, obj({ finalizers: strList })),
    status: def(
      `${V1}.NamespaceStatus`,
      obj({
        phase: str,
        conditions: list(
          def(
            `${V1}.NamespaceCondition`,
            obj({ type: str, status: str, lastTransitionTime: valueTime, reason: str, message: str }, ['type', 'status']),
          ),
          { mergeKey: 'type', mapKeys: ['type'] },
        ),
      }),
    ),
  }),
  gvk('Namespace'),
);

export const configMap = def(
  `${V1}.ConfigMap`,
  obj({ ...typeMeta(), immutable: bool, data: strMap, binaryData: map(bytes) }),
  gvk('ConfigMap'),
);

export const secret = def(
  `${V1}.Secret`,
  obj({ ...typeMeta(), immutable: bool, data: map(bytes), stringData: strMap, type: str }),
  gvk('Secret'),
);

export const serviceAccount = def(
  `${V1}.ServiceAccount`,
  obj({
    ...typeMeta(),
    secrets: list(objectReference, { mergeKey: 'name', mapKeys: ['name'] }),
    imagePullSecrets: list(localObjectReference, { listType: 'atomic' }),
    automountServiceAccountToken: bool,
  }),
  gvk('ServiceAccount'),
);

// ---------------------------------------------------------------- events

const eventSource = def(`${V1}.EventSource`, obj({ component: str, host: str }));
export const eventSeries = def(`${V1}.EventSeries`, obj({ count: int32, lastObservedTime: time }));

export const event = def(
  `${V1}.Event`,
  obj(
    {
      ...typeMeta(),
      involvedObject: objectReference,
      reason: str,
      message: str,
      source: eventSource,
      firstTimestamp: valueTime,
      lastTimestamp: valueTime,
      count: int32,
      type: str,
      eventTime: valueTime,
      series: eventSeries,
      action: str,
      related: objectReference,
      reportingComponent: str,
      reportingInstance: str,
    },
    ['metadata', 'involvedObject'],
  ),
  gvk('Event'),
);

export { eventSource };

// ---------------------------------------------------------------- services and endpoints

const servicePort = def(
  `${V1}.ServicePort`,
  obj(
    { name: str, protocol: str, appProtocol: str, port: int32, targetPort: intOrString, nodePort: int32 },
    ['port'],
  ),
);

const serviceSpec = def(
  `${V1}.ServiceSpec`,
  obj({
    ports: list(servicePort, { mergeKey: 'port', mapKeys: ['port', 'protocol'] }),
    selector: map(str, 'atomic'),
    clusterIP: str,
    clusterIPs: strList,
    type: str,
    externalIPs: strList,
    sessionAffinity: str,
    loadBalancerIP: str,
    loadBalancerSourceRanges: strList,
    externalName: str,
    externalTrafficPolicy: str,
    healthCheckNodePort: int32,
    publishNotReadyAddresses: bool,
    sessionAffinityConfig: def(
      `${V1}.SessionAffinityConfig`,
      obj({ clientIP: def(`${V1}.ClientIPConfig`, obj({ timeoutSeconds: int32 })) }),
    ),
    ipFamilies: strList,
    ipFamilyPolicy: str,
    allocateLoadBalancerNodePorts: bool,
    loadBalancerClass: str,
    internalTrafficPolicy: str,
    trafficDistribution: str,
  }),
);

const portStatus = def(`${V1}.PortStatus`, obj({ port: int32, protocol: str, error: str }, ['port', 'protocol']));

const serviceStatus = def(
  `${V1}.ServiceStatus`,
  obj({
    loadBalancer: def(
      `${V1}.LoadBalancerStatus`,
      obj({
        ingress: list(
          def(
            `${V1}.LoadBalancerIngress`,
            obj({ ip: str, hostname: str, ipMode: str, ports: list(portStatus, { listType: 'atomic' }) }),
          ),
          { listType: 'atomic' },
        ),
      }),
    ),
    conditions: list(condition, { mergeKey: 'type', mapKeys: ['type'] }),
  }),
);

export const service = def(
  `${V1}.Service`,
  obj({ ...typeMeta(), spec: serviceSpec, status: serviceStatus }),
  gvk('Service'),
);

const endpointAddress = def(
  `${V1}.EndpointAddress`,
  obj({ ip: str, hostname: str, nodeName: str, targetRef: objectReference }, ['ip']),
);

const endpointPort = def(
  `${V1}.EndpointPort`,
  obj({ name: str, port: int32, protocol: str, appProtocol: str }, ['port']),
);

export const endpoints = def(
  `${V1}.Endpoints`,
  obj({
    ...typeMeta(),
    subsets: list(
      def(
        `${V1}.EndpointSubset`,
        obj({
          addresses: list(endpointAddress, { listType: 'atomic' }),
          notReadyAddresses: list(endpointAddress, { listType: 'atomic' }),
          ports: list(endpointPort, { listType: 'atomic' }),
        }),
      ),
      { listType: 'atomic' },
    ),
  }),
  gvk('Endpoints'),
);

// Kept for the RawExtension-shaped fields other groups embed.
export const rawExtension = def('io.k8s.apimachinery.pkg.runtime.RawExtension', any);
