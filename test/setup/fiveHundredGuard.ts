/**
 * Every 5xx answer a server writes in this test process (backend and Node gateway, both on node:http) is read
 * here: it must be `{"error": "..."}` with a message we wrote for clients (Triton's 503 texts, the generic 500
 * with its request id), never an internal one (an exception's message, ONNX Runtime's node names, an errno).
 * A test file that provokes a leaking 5xx fails in its afterAll.
 */
import { ServerResponse } from 'node:http';
import { afterAll, expect } from 'vitest';

/** The 5xx messages servers may send; anything else is a leak. */
export const ALLOWED_5XX = [
  /^internal error( \(request id [A-Za-z0-9._:-]+\))?; the server log has the details$/,
  /^Exceeds maximum queue size$/,
  /^Request timeout expired$/,
  /^Server is shutting down$/,
  /^Server is starting: models are loading; retry shortly$/,
  /^Server overloaded: [a-z0-9 ,().-]+; retry later$/,
  /^model instance (released|is restarting after a crash; retry shortly)$/,
  /^([A-Z_]+\[\d+\]: )?worker pool (is closed|queue is full \(\d+ tasks waiting\))$/,
  /^rate limiter unavailable; try again shortly$/,
  /^gateway overloaded: too many request bodies in flight; retry shortly$/,
  /^gateway misconfigured; the operator has the details in the Worker log$/,
  /^no backend (available|could be reached)$/,
  /^backend [A-Za-z0-9_.-]+ failed to answer; retry shortly$/,
  /^backend did not answer within \d+ ms$/,
  /^backend (repository index|metadata for '[A-Za-z0-9_.-]+') answered \d+$/,
  /^CUDA shared memory is not supported by this server: use system shared memory \(\/v2\/systemsharedmemory\) or send tensors in the request$/,
];

const violations: string[] = [];

/** Checks one 5xx body; returns why it is not allowed, or '' when it is. */
export function fiveHundredProblem(status: number, text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 120))}`;
  }
  const keys = body && typeof body === 'object' ? Object.keys(body) : [];
  const error = (body as { error?: unknown })?.error;
  if (keys.length !== 1 || typeof error !== 'string') return `${status} body is not {"error": "..."}: ${text.slice(0, 120)}`;
  return ALLOWED_5XX.some((re) => re.test(error)) ? '' : `${status} body leaks or is unknown: ${JSON.stringify(error)}`;
}

const OURS = Symbol('answer of our servers');
// eslint-disable-next-line @typescript-eslint/unbound-method -- the patch below calls it with .apply(this)
const originalWriteHead = ServerResponse.prototype.writeHead;
// writeHead(status, headers) may write headers that getHeader() never sees: note the request id there too.
ServerResponse.prototype.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]) {
  const headers = args.find((a) => a && typeof a === 'object') as Record<string, unknown> | unknown[] | undefined;
  const names = Array.isArray(headers) ? headers.filter((_, i) => i % 2 === 0) : Object.keys(headers ?? {});
  if (names.some((n) => String(n).toLowerCase() === 'x-request-id')) (this as unknown as Record<symbol, boolean>)[OURS] = true;
  return (originalWriteHead as (...a: unknown[]) => ServerResponse).apply(this, args);
} as typeof ServerResponse.prototype.writeHead;

/** 5xx answers of our servers checked so far (the guard's own test reads it). */
export let checked = 0;

// eslint-disable-next-line @typescript-eslint/unbound-method -- the patch below calls it with .apply(this)
const originalEnd = ServerResponse.prototype.end;
// The servers answer errors with one end(body) call; that is the body read here.
ServerResponse.prototype.end = function end(this: ServerResponse, ...args: unknown[]) {
  const chunk = args[0];
  // Health and readiness answer with an empty body, as Triton's do; that is not an error body.
  const probe = /^\/v2\/(health\/|models\/[^/]+(\/versions\/[^/]+)?\/ready)/.test(this.req?.url ?? '');
  // Our servers (backend and gateway) put a request id on every answer; test stand-ins do not, and are not checked.
  const ours = this.getHeader('x-request-id') !== undefined || (this as unknown as Record<symbol, boolean>)[OURS] === true;
  if (ours && this.statusCode >= 500 && !probe && (typeof chunk === 'string' || chunk instanceof Uint8Array)) {
    checked++;
    const problem = fiveHundredProblem(this.statusCode, typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    if (problem) violations.push(problem);
  }
  return (originalEnd as (...a: unknown[]) => ServerResponse).apply(this, args);
} as typeof ServerResponse.prototype.end;

afterAll(() => {
  expect(violations, 'every 5xx answer must be {"error"} with a message written for clients').toEqual([]);
});
