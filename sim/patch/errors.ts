// The one error every patch path throws. `reason` is the Kubernetes Status reason the
// server answers with: BadRequest (400) for a malformed patch body, UnsupportedMediaType
// (415) for a content type the resource cannot take, Invalid (422) for a well-formed
// patch that cannot be applied to this object (a failed JSON-patch `test`, a missing path).

export type PatchErrorReason = 'BadRequest' | 'UnsupportedMediaType' | 'Invalid';

export class PatchError extends Error {
  readonly reason: PatchErrorReason;

  constructor(reason: PatchErrorReason, message: string) {
    super(message);
    this.name = 'PatchError';
    this.reason = reason;
  }

  /** The HTTP status code kube-apiserver uses for this reason. */
  get code(): 400 | 415 | 422 {
    if (this.reason === 'UnsupportedMediaType') return 415;
    if (this.reason === 'Invalid') return 422;
    return 400;
  }
}
