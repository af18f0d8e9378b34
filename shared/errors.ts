/** One error taxonomy for the backend and the gateway; each runtime maps it to HTTP in exactly one function. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'REQUEST_TIMEOUT'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED'
  | 'GATEWAY_TIMEOUT';

// Triton's mapping (http_server.cc): invalid 400, not-found 404, unavailable 503, internal 500.
const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  // Triton's TRITONSERVER_ERROR_UNSUPPORTED (e.g. CUDA shared memory on a server without it).
  UNSUPPORTED: 501,
  UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
};

/** An error meant for the client: its message says what to fix. */
export class InferenceError extends Error {
  readonly code: ErrorCode;
  /** Label for nv_inference_request_failure{reason}. */
  readonly reason: string;

  constructor(code: ErrorCode, message: string, reason?: string) {
    super(message);
    this.name = 'InferenceError';
    this.code = code;
    this.reason = reason ?? code;
  }
}

export const invalidArgument = (msg: string) => new InferenceError('INVALID_ARGUMENT', msg);
export const notFound = (msg: string) => new InferenceError('NOT_FOUND', msg);
export const unavailable = (msg: string, reason?: string) => new InferenceError('UNAVAILABLE', msg, reason);
export const internal = (msg: string) => new InferenceError('INTERNAL', msg);

/** HTTP status for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code];
}

/**
 * The one place an error becomes `{status, body}`. An INTERNAL error never shows its message to the client:
 * the body is a generic message with the request id, and the detail (`error.message`, `cause`) is for the log.
 * Other codes carry messages written for the client (Triton's 503 texts among them).
 */
export function toErrorResponse(err: unknown, requestId?: string): { status: number; body: { error: string }; error: InferenceError; cause: unknown } {
  const e = err instanceof InferenceError ? err : new InferenceError('INTERNAL', err instanceof Error && err.message ? err.message : String(err));
  const status = httpStatusOf(e.code);
  const message = e.code === 'INTERNAL' ? internalMessage(requestId) : e.message;
  return { status, body: { error: message }, error: e, cause: err };
}

/** The body text of every 500: nothing about the cause, what to quote when reporting it. */
export function internalMessage(requestId?: string): string {
  return requestId ? `internal error (request id ${requestId}); the server log has the details` : 'internal error; the server log has the details';
}
