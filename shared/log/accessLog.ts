/**
 * The access line both servers write once per request, in the spirit of nginx's log format. Runtime-neutral:
 * the backend (pino), the Node gateway (pino) and the Worker (console JSON) all build it here.
 */

/** What is known about a request once its answer is ready. */
export interface AccessLogFields {
  method: string;
  /** The path without the query string. */
  path: string;
  status: number;
  /** From the first byte of the request to the answer being ready to send. */
  durationMs: number;
  /** Request body bytes (declared Content-Length, or as read). */
  bytesIn: number;
  /** Response body bytes. */
  bytesOut: number;
  requestId: string;
  /** The model the request named, where it named one. */
  model?: string;
  /** The tenant (gateway only, once authenticated). */
  tenant?: string;
}

/** The message of every access line: filter on `msg == "request"`. */
export const ACCESS_LOG_MESSAGE = 'request';

/** The fields of an access line, in a fixed order; model and tenant only where known. */
export type AccessLogEntry = AccessLogFields;

/** The arguments of the access line's `info` call: `log.info(...accessLogLine(fields))`. */
export function accessLogLine(fields: AccessLogFields): [AccessLogEntry, typeof ACCESS_LOG_MESSAGE] {
  const entry: AccessLogEntry = {
    method: fields.method,
    path: fields.path,
    ...(fields.model !== undefined && { model: fields.model }),
    status: fields.status,
    // Tenths of a millisecond: finer is noise, coarser hides fast answers.
    durationMs: Math.round(fields.durationMs * 10) / 10,
    bytesIn: fields.bytesIn,
    bytesOut: fields.bytesOut,
    requestId: fields.requestId,
    ...(fields.tenant !== undefined && { tenant: fields.tenant }),
  };
  return [entry, ACCESS_LOG_MESSAGE];
}
