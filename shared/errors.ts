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
  | 'GATEWAY_TIMEOUT';

// Triton's mapping (http_server.cc): invalid 400, not-found 404, unavailable 503, internal 500.
const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
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

/** The one place an error becomes `{status, body}`; unknown errors never leak their stack. */
export function toErrorResponse(err: unknown): { status: number; body: { error: string }; error: InferenceError } {
  const e =
    err instanceof InferenceError
      ? err
      : new InferenceError('INTERNAL', err instanceof Error && err.message ? `internal error: ${err.message}` : 'internal error');
  return { status: httpStatusOf(e.code), body: { error: e.message }, error: e };
}
