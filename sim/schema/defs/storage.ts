// core/v1 PersistentVolume and storage.k8s.io/v1 StorageClass. Stored and served; no
// provisioner or binder acts on them. The PV-only volume sources differ from the pod ones
// mostly in naming a Secret by SecretReference (name + namespace) instead of a local name.
import { bool, def, int32, list, obj, ref, resourceList, str, strList, strMap, time } from '../dsl.js';
import { typeMeta } from './meta.js';
import { objectReference } from './core.js';

const V1 = 'io.k8s.api.core.v1';
const STORAGE = 'io.k8s.api.storage.v1';
/** A pod volume source reused unchanged by PersistentVolumeSpec. */
const shared = (type: string) => ref(`${V1}.${type}`);

const secretReference = def(`${V1}.SecretReference`, obj({ name: str, namespace: str }));

const persistentVolumeSourceFields = {
  gcePersistentDisk: shared('GCEPersistentDiskVolumeSource'),
  awsElasticBlockStore: shared('AWSElasticBlockStoreVolumeSource'),
  hostPath: shared('HostPathVolumeSource'),
  glusterfs: def(
    `${V1}.GlusterfsPersistentVolumeSource`,
    obj({ endpoints: str, path: str, readOnly: bool, endpointsNamespace: str }, ['endpoints', 'path']),
  ),
  nfs: shared('NFSVolumeSource'),
  rbd: def(
    `${V1}.RBDPersistentVolumeSource`,
    obj(
      { monitors: strList, image: str, fsType: str, pool: str, user: str, keyring: str, secretRef: secretReference, readOnly: bool },
      ['monitors', 'image'],
    ),
  ),
  iscsi: def(
    `${V1}.ISCSIPersistentVolumeSource`,
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
        secretRef: secretReference,
        initiatorName: str,
      },
      ['targetPortal', 'iqn', 'lun'],
    ),
  ),
  cinder: def(
    `${V1}.CinderPersistentVolumeSource`,
    obj({ volumeID: str, fsType: str, readOnly: bool, secretRef: secretReference }, ['volumeID']),
  ),
  cephfs: def(
    `${V1}.CephFSPersistentVolumeSource`,
    obj({ monitors: strList, path: str, user: str, secretFile: str, secretRef: secretReference, readOnly: bool }, ['monitors']),
  ),
  fc: shared('FCVolumeSource'),
  flocker: shared('FlockerVolumeSource'),
  flexVolume: def(
    `${V1}.FlexPersistentVolumeSource`,
    obj({ driver: str, fsType: str, secretRef: secretReference, readOnly: bool, options: strMap }, ['driver']),
  ),
  azureFile: def(
    `${V1}.AzureFilePersistentVolumeSource`,
    obj({ secretName: str, shareName: str, readOnly: bool, secretNamespace: str }, ['secretName', 'shareName']),
  ),
  vsphereVolume: shared('VsphereVirtualDiskVolumeSource'),
  quobyte: shared('QuobyteVolumeSource'),
  azureDisk: shared('AzureDiskVolumeSource'),
  photonPersistentDisk: shared('PhotonPersistentDiskVolumeSource'),
  portworxVolume: shared('PortworxVolumeSource'),
  scaleIO: def(
    `${V1}.ScaleIOPersistentVolumeSource`,
    obj(
      {
        gateway: str,
        system: str,
        secretRef: secretReference,
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
  local: def(`${V1}.LocalVolumeSource`, obj({ path: str, fsType: str }, ['path'])),
  storageos: def(
    `${V1}.StorageOSPersistentVolumeSource`,
    obj({ volumeName: str, volumeNamespace: str, fsType: str, readOnly: bool, secretRef: objectReference }),
  ),
  csi: def(
    `${V1}.CSIPersistentVolumeSource`,
    obj(
      {
        driver: str,
        volumeHandle: str,
        readOnly: bool,
        fsType: str,
        volumeAttributes: strMap,
        controllerPublishSecretRef: secretReference,
        nodeStageSecretRef: secretReference,
        nodePublishSecretRef: secretReference,
        controllerExpandSecretRef: secretReference,
        nodeExpandSecretRef: secretReference,
      },
      ['driver', 'volumeHandle'],
    ),
  ),
};

/** The persistent volume source fields, in kube's order (at most one may be set). */
export const PERSISTENT_VOLUME_SOURCE_FIELDS = Object.keys(persistentVolumeSourceFields);

export const persistentVolume = def(
  `${V1}.PersistentVolume`,
  obj({
    ...typeMeta(),
    spec: def(
      `${V1}.PersistentVolumeSpec`,
      obj({
        capacity: resourceList,
        ...persistentVolumeSourceFields,
        accessModes: strList,
        claimRef: objectReference,
        persistentVolumeReclaimPolicy: str,
        storageClassName: str,
        mountOptions: strList,
        volumeMode: str,
        nodeAffinity: def(`${V1}.VolumeNodeAffinity`, obj({ required: ref(`${V1}.NodeSelector`) })),
        volumeAttributesClassName: str,
      }),
    ),
    status: def(
      `${V1}.PersistentVolumeStatus`,
      obj({ phase: str, message: str, reason: str, lastPhaseTransitionTime: time }),
    ),
  }),
  [{ group: '', version: 'v1', kind: 'PersistentVolume' }],
);

const topologySelectorTerm = def(
  `${V1}.TopologySelectorTerm`,
  obj({
    matchLabelExpressions: list(
      def(`${V1}.TopologySelectorLabelRequirement`, obj({ key: str, values: strList }, ['key', 'values'])),
      { listType: 'atomic' },
    ),
  }),
);

export const storageClass = def(
  `${STORAGE}.StorageClass`,
  obj(
    {
      ...typeMeta(),
      provisioner: str,
      parameters: strMap,
      reclaimPolicy: str,
      mountOptions: strList,
      allowVolumeExpansion: bool,
      volumeBindingMode: str,
      allowedTopologies: list(topologySelectorTerm, { listType: 'atomic' }),
    },
    ['provisioner'],
  ),
  [{ group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass' }],
);
