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

// gRPC status codes (grpc/grpc doc/statuscodes.md; numbers, so this file needs no gRPC library). Triton's
// GrpcStatusUtil::CodeToStatus maps invalid-arg INVALID_ARGUMENT, not-found NOT_FOUND, unavailable UNAVAILABLE,
// internal INTERNAL, unsupported UNIMPLEMENTED; the codes Triton does not have take their gRPC counterpart.
// UNSUPPORTED is FAILED_PRECONDITION, not Triton's UNIMPLEMENTED: gRPC itself answers UNIMPLEMENTED for a method
// the server lacks, and these methods exist (they say what to use instead).
const GRPC_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 3,
  UNSUPPORTED_MEDIA_TYPE: 3,
  GATEWAY_TIMEOUT: 4,
  REQUEST_TIMEOUT: 4,
  NOT_FOUND: 5,
  FORBIDDEN: 7,
  PAYLOAD_TOO_LARGE: 8,
  RATE_LIMITED: 8,
  UNSUPPORTED: 9,
  METHOD_NOT_ALLOWED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
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

/** gRPC status code for an error code. */
export function grpcStatusOf(code: ErrorCode): number {
  return GRPC_STATUS[code];
}

/** The gRPC form of toErrorResponse: the same message (the generic one for INTERNAL) with the mapped status code. */
export function toGrpcStatus(err: unknown, requestId?: string): { code: number; details: string; error: InferenceError; cause: unknown } {
  const { body, error, cause } = toErrorResponse(err, requestId);
  return { code: grpcStatusOf(error.code), details: body.error, error, cause };
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
function internalMessage(requestId?: string): string {
  return requestId ? `internal error (request id ${requestId}); the server log has the details` : 'internal error; the server log has the details';
}
