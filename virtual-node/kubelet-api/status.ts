/**
 * Errors of the kubelet API as Kubernetes Status objects: every refusal (bad path, bad
 * parameter, unknown pod, no credentials, no permission) reaches kube-apiserver, and through
 * it kubectl, as `{kind: Status, code, reason, message}`, so the user reads a sentence instead
 * of an HTML page or a bare code.
 */
import type { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { failureStatus, type FailureStatus } from '../../kube/index.js';

export class KubeletApiError extends Error {
  override readonly name = 'KubeletApiError';
  constructor(
    readonly code: number,
    /** The Status reason: BadRequest, NotFound, Unauthorized, Forbidden, Invalid, ... */
    readonly reason: string,
    message: string,
    readonly details?: FailureStatus['details'],
  ) {
    super(message);
  }

  toStatus(): FailureStatus {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

export const badRequest = (message: string): KubeletApiError => new KubeletApiError(400, 'BadRequest', message);
export const notFound = (message: string): KubeletApiError => new KubeletApiError(404, 'NotFound', message);

/** 422 for parameters that parse but break a rule, naming the field as kube's validation does. */
export function invalid(what: string, causes: Array<{ field: string; message: string }>): KubeletApiError {
  const message = `invalid request: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`;
  return new KubeletApiError(422, 'Invalid', message, {
    kind: what,
    causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

/** The error as a Status, whatever was thrown: a KubeletApiError keeps its code, anything else is a 500. */
export function statusOf(err: unknown): KubeletApiError {
  if (err instanceof KubeletApiError) return err;
  return new KubeletApiError(500, 'InternalError', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}

export function sendStatus(reply: FastifyReply, err: KubeletApiError): void {
  reply.code(err.code).type('application/json').send(JSON.stringify(err.toStatus()));
}

/** A Status written straight onto a socket that has left Node's HTTP machinery (a taken-over upgrade). */
export function writeStatusToSocket(socket: Socket, err: KubeletApiError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(err.toStatus());
  socket.end(
    `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
