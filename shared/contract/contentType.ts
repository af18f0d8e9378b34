/** The content types a request body may declare; the same rule at the gateway and the backend. */
import { InferenceError } from '../errors';

// Triton ignores the content type. Its clients send application/json, application/octet-stream (the binary
// extension), text/plain, nothing, or curl -d's form type; anything else is a client sending the wrong thing.
const ACCEPTED = /^\s*(application\/(json|octet-stream|x-www-form-urlencoded)|text\/plain)\s*(;|$)/i;

/** Throws 415 for a declared content type no client of the protocol sends. */
export function checkBodyContentType(type: string | null | undefined): void {
  if (type === undefined || type === null || type === '' || ACCEPTED.test(type)) return;
  throw new InferenceError('UNSUPPORTED_MEDIA_TYPE', `unsupported content type '${type}': send application/json, or the binary extension as application/octet-stream`);
}
