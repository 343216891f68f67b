/**
 * Names and numbers of Kubernetes' streaming protocols, and the negotiation rule they share:
 * the server takes the first protocol in the client's list that it speaks (kube's
 * httpstream.Handshake and wsstream do the same).
 */

/** Remote-command (exec/attach) protocol versions. */
export const ExecProtocol = {
  /** WebSocket only: v4 plus the close-channel signal (kubectl >= 1.30 over WebSocket). */
  V5: 'v5.channel.k8s.io',
  /** Status channel carries a JSON metav1.Status; resize channel. */
  V4: 'v4.channel.k8s.io',
  /** Resize stream; errors as plain text. */
  V3: 'v3.channel.k8s.io',
  /** Separate error stream; errors as plain text. */
  V2: 'v2.channel.k8s.io',
} as const;

/** SPDY port-forward (X-Stream-Protocol-Version). */
export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** WebSocket port-forward: channels 2i (data) and 2i+1 (error) for the i-th port. */
export const PORT_FORWARD_WS_PROTOCOL = 'v4.channel.k8s.io';
/** kubectl >= 1.31 port-forward: SPDY/3.1 carried inside WebSocket binary messages. */
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export const STREAM_PROTOCOL_HEADER = 'X-Stream-Protocol-Version';
export const SPDY_UPGRADE = 'SPDY/3.1';

/** Channel numbers of the WebSocket remote-command framing (and the matching SPDY stream types). */
export const Channel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4 } as const;

/** SPDY `streamType` header values. */
export const StreamType = {
  Stdin: 'stdin',
  Stdout: 'stdout',
  Stderr: 'stderr',
  Error: 'error',
  Resize: 'resize',
  Data: 'data',
} as const;

/** Terminal size as the resize channel carries it. */
export interface TerminalSize {
  width: number;
  height: number;
}

/**
 * What a remote command ended with: its exit code (0 = success), or a failure to run it at
 * all. `message` keeps a remote Status's own wording when one is being passed on.
 */
export type ExecResult = { exitCode: number; message?: string } | { error: string };

/** The first protocol the client offers that the server speaks. */
export function negotiate(offered: readonly string[], supported: readonly string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

/** Whether a remote-command protocol carries the Status as JSON (v4 and later) rather than text. */
export function statusIsJson(protocol: string): boolean {
  return protocol === ExecProtocol.V4 || protocol === ExecProtocol.V5;
}

/** Whether a remote-command protocol has a resize stream (v3 and later). */
export function hasResize(protocol: string): boolean {
  return protocol !== ExecProtocol.V2;
}
