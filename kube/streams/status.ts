/**
 * The status a remote command ends with, both ways: written by the server on the error
 * channel the way the kubelet writes it, and read back the way client-go's error decoders
 * read it (kubectl turns NonZeroExitCode into its own exit code).
 */
import { statusIsJson, type ExecResult, type TerminalSize } from './protocols.js';

export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: Array<{ reason?: string; message: string }> };
  code?: number;
}

export const NON_ZERO_EXIT_CODE_REASON = 'NonZeroExitCode';
export const EXIT_CODE_CAUSE = 'ExitCode';

/**
 * The kubelet's Status for a result: Success; Failure/NonZeroExitCode with an ExitCode cause
 * and "command terminated with non-zero exit code: error executing command [..], exit code N";
 * or Failure/InternalError for a command that could not run.
 */
export function execStatus(result: ExecResult, command: readonly string[] = []): ExecStatus {
  if ('error' in result) {
    return { metadata: {}, status: 'Failure', message: result.error, reason: 'InternalError', details: { causes: [{ message: result.error }] }, code: 500 };
  }
  const code = result.exitCode;
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: result.message ?? `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: NON_ZERO_EXIT_CODE_REASON,
    details: { causes: [{ reason: EXIT_CODE_CAUSE, message: String(code) }] },
  };
}

/**
 * The bytes written on the error channel: JSON for v4/v5; for older protocols the message
 * only, and nothing at all on success (kube's v1WriteStatusFunc).
 */
export function encodeExecStatus(result: ExecResult, protocol: string, command: readonly string[] = []): Buffer {
  const status = execStatus(result, command);
  if (statusIsJson(protocol)) return Buffer.from(JSON.stringify(status));
  return Buffer.from(status.status === 'Success' ? '' : (status.message ?? ''));
}

/** Reads what arrived on the error channel, as client-go's errorDecoderV4 / errorDecoderV1 do. */
export function decodeExecStatus(message: Buffer, protocol: string): ExecResult {
  const text = message.toString('utf8');
  // client-go: an error stream closed with nothing on it means success.
  if (text.trim() === '') return { exitCode: 0 };
  if (!statusIsJson(protocol)) {
    const m = /exit code (\d+)\s*$/.exec(text);
    return m ? { exitCode: Number(m[1]), message: text } : { error: text };
  }
  let status: Partial<ExecStatus> & { details?: { causes?: Array<{ reason?: string; message?: string }> } };
  try {
    status = JSON.parse(text) as typeof status;
  } catch (err) {
    return { error: `error stream protocol error: ${(err as Error).message} in ${JSON.stringify(text.slice(0, 200))}` };
  }
  if (status.status === 'Success') return { exitCode: 0 };
  if (status.status !== 'Failure') return { error: 'error stream protocol error: unknown error' };
  if (status.reason === NON_ZERO_EXIT_CODE_REASON) {
    const cause = status.details?.causes?.find((c) => c.reason === EXIT_CODE_CAUSE);
    if (!cause) return { error: `error stream protocol error: no ${EXIT_CODE_CAUSE} cause given` };
    const code = Number(cause.message);
    if (!/^\d+$/.test(String(cause.message)) || code > 255) return { error: `error stream protocol error: invalid exit code value ${JSON.stringify(cause.message)}` };
    return status.message ? { exitCode: code, message: status.message } : { exitCode: code };
  }
  return { error: status.message ?? 'error stream protocol error: Failure without a message' };
}

/** One resize message: `{"Width":w,"Height":h}` (client-go's json encoder adds a newline). */
export function encodeResize(size: TerminalSize): Buffer {
  return Buffer.from(`${JSON.stringify({ Width: size.width, Height: size.height })}\n`);
}

/** A resize message, or undefined when it is not one (kube ignores what it cannot decode). */
export function decodeResize(line: string): TerminalSize | undefined {
  try {
    const v = JSON.parse(line) as { Width?: unknown; Height?: unknown };
    const width = Number(v.Width);
    const height = Number(v.Height);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0 || width > 0xffff || height > 0xffff) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}
