/** The final handler of forwarded routes: sends the validated request to a backend and relays its answer. */
import type { Handler } from 'hono';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../../shared/protocol';
import type { BackendRequest } from '../backends/transport';
import type { GatewayEnv } from '../env';

/** The part of the BackendPool this handler needs. */
export interface ForwardTarget {
  forward(req: BackendRequest): Promise<Response>;
}

// Only what the backend needs goes upstream: never the client's Authorization, cookies or hop-by-hop headers.
const PASS_UP = ['content-type', INFERENCE_HEADER_CONTENT_LENGTH, 'accept'];
// Headers a relayed response must not carry (RFC 9110 §7.6.1), plus ones the runtime sets itself.
const DROP_DOWN = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'set-cookie']);

/** Handler factory: relays status, body and end-to-end headers of the backend's response. */
export function forwardToBackend(backends: ForwardTarget, releaseBody?: (body: NonNullable<BackendRequest['body']>) => void): Handler<GatewayEnv> {
  return async function forwardToBackend(c) {
    const headers: Record<string, string> = { 'x-request-id': c.get('requestId') };
    for (const name of PASS_UP) {
      const v = c.req.header(name);
      if (v !== undefined) headers[name] = v;
    }
    const body = c.get('body');
    const res = await backends.forward({
      method: c.req.method === 'POST' ? 'POST' : 'GET',
      path: c.get('backendPath'),
      headers,
      body,
    });
    // A 200 means the backend read the whole body: its buffer can serve another request.
    if (body && releaseBody && res.status === 200) releaseBody(body);
    try {
      // Node: the transport built this response, so its headers are mutable and its body is still a plain
      // buffer the server writes in one go. Touching `res.body` here would turn it into a stream.
      for (const name of DROP_DOWN) res.headers.delete(name);
      return res;
    } catch {
      // fetch responses (Workers) have immutable headers: relay the body stream under new ones.
      const out = new Headers();
      res.headers.forEach((v, k) => {
        if (!DROP_DOWN.has(k)) out.set(k, v);
      });
      return new Response(res.body, { status: res.status, headers: out });
    }
  };
}
