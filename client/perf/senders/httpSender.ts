// Sends prebuilt infer requests over an undici keep-alive pool and times each one the way Triton's HTTP client
// library does for perf_analyzer (src/c++/library/http_client.cc): send = start until the body is written,
// receive = first response byte until the last; a reply that is not 200 is an error.
import { Pool } from 'undici';
import type Dispatcher from 'undici/types/dispatcher';
import type { HttpRequestPlan, PreparedRequest } from '../requests/preparedRequest';

/** One finished request, or its error. */
export interface SendResult {
  startNs: number;
  endNs: number;
  sendNs: number;
  recvNs: number;
  error: string | null;
}

/** Sends one of the plan's requests and calls back with its timings. */
export interface RequestSender {
  send(request: PreparedRequest, done: (r: SendResult) => void): void;
  close(): Promise<void>;
}

/** An undici Pool with `connections` keep-alive sockets to the plan's origin. */
export function createHttpSender(plan: HttpRequestPlan, connections: number, nowNs: () => number): RequestSender {
  const pool = new Pool(plan.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
  // Headers per body, built once: only Inference-Header-Content-Length differs between bodies.
  const headersOf = new Map<PreparedRequest, Record<string, string>>();
  for (const b of plan.bodies) {
    if (!b) continue;
    headersOf.set(b, b.headerLength === undefined ? plan.headers : { ...plan.headers, 'inference-header-content-length': String(b.headerLength) });
  }
  return {
    send(request, done) {
      const startNs = nowNs();
      let sentNs = 0;
      let firstByteNs = 0;
      let status = 0;
      let errorBody = '';
      const finish = (error: string | null) => {
        const endNs = nowNs();
        const sendEnd = sentNs || endNs;
        done({ startNs, endNs, sendNs: sendEnd - startNs, recvNs: firstByteNs ? endNs - firstByteNs : 0, error });
      };
      // undici's handler interface (onRequestSent is called on the request's own handler once its body is written).
      const handler: Dispatcher.DispatchHandler & { onRequestSent(): void } = {
        onConnect() {},
        onRequestSent() {
          sentNs = nowNs();
        },
        onHeaders(statusCode) {
          status = statusCode;
          return true;
        },
        onData(chunk) {
          if (!firstByteNs) firstByteNs = nowNs();
          if (status !== 200 && errorBody.length < 500) errorBody += chunk.toString('utf8');
          return true;
        },
        onComplete() {
          finish(status === 200 ? null : `HTTP ${status} from ${plan.path}: ${errorBody.trim().slice(0, 500) || '(empty body)'}`);
        },
        onError(err) {
          finish(`${plan.origin}${plan.path}: ${err.message}`);
        },
      };
      pool.dispatch({ path: plan.path, method: 'POST', headers: headersOf.get(request), body: request.body }, handler);
    },
    close: () => pool.close(),
  };
}
