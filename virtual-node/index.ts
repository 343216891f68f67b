// virtual-node/: the virtual-kubelet. A Node in the host cluster backed by the idle capacity of
// the member clusters (node controller), pods bound to it mirrored into members (pod
// controller), and the kubelet API for logs/exec/stats. Other rooms import only this file.
export { startVirtualNode, servedNodes, type VirtualNodeConfig, type RunningVirtualNode } from './virtual-node.js';
export { PodController, type PodControllerOptions, type ServedNode } from './pod-controller.js';
export { NodeController, type NodeControllerOptions } from './node-controller.js';
export { buildMirror, mirrorName, referencesOf, type MirrorOptions, type MirrorResult, type PodJson } from './mirror.js';
export { hostStatusFrom, statusDiffers } from './pod-status.js';
export { nodeObject, capacityOf, figuresMoved } from './node-object.js';
export { virtualNodeMetrics, type VirtualNodeMetrics } from './metrics.js';
export type { KubeletBackend, MirrorLocation } from './kubelet-backend.js';
export type { HostApiAccess } from './host-token.js';
