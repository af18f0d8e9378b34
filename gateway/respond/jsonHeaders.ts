/** Headers of a JSON answer the gateway builds itself. */

const encoder = new TextEncoder();

/**
 * Content-Type and Content-Length of a JSON body. The length is set on purpose: the runtime would compute it
 * anyway, and with it the access log knows the bytes sent without touching the body.
 */
export function jsonHeaders(text: string): Record<string, string> {
  return { 'content-type': 'application/json', 'content-length': String(encoder.encode(text).byteLength) };
}
