// kube/streams: Kubernetes' streaming protocols (exec, attach, port-forward) over WebSocket
// channels and SPDY/3.1, both as a kubelet serves them and as kubectl/kube-apiserver open them.
export * from './protocols.js';
export * from './status.js';
export { SPDY3_DICTIONARY } from './spdy-dictionary.js';
export * from './spdy-frames.js';
export * from './spdy-headers.js';
export * from './spdy-connection.js';
export * from './ws-channels.js';
export { StreamUpgradeError, upgradeKind, rejectUpgrade } from './server-upgrade.js';
export { UpgradeFailure, type StreamTransport } from './client-upgrade.js';
export { acceptExecUpgrade, type ExecStreamOptions, type ServerExecSession } from './exec-server.js';
export { openExec, execUrl, type ClientExecSession, type ExecTarget, type OpenExecOptions } from './exec-client.js';
export { acceptPortForwardUpgrade, type PortForwardOptions, type PortForwardStream, type ServerPortForwardSession } from './portforward-server.js';
export { openPortForward, type ClientPortForwardSession, type ForwardedConnection, type OpenPortForwardOptions, type PortForwardTarget } from './portforward-client.js';
export { bridgeExec, bridgePortForward } from './bridge.js';
export { KubeletQueryError, kubeletExecOptions, kubeletPortForwardPorts } from './kubelet-query.js';
