// virtual-node/kubelet-api: the virtual node's kubelet HTTPS endpoint (logs, exec, attach,
// port-forward, pods, stats, resource metrics) with kubelet-style authn/authz.
export { startKubeletApi, type KubeletApi, type KubeletApiOptions } from './server.js';
export { type AuthCacheTtls, type AuthorizationMode, type UserInfo } from './auth.js';
export { type Summary, type PodStats, type NodeStats, type ContainerStats } from './summary.js';
