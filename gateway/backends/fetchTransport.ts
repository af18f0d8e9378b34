/** BackendTransport over the platform fetch (Workers; also what msw intercepts in unit tests). */
import { BackendConnectError, isStreamed, type BackendTransport } from './transport';

/**
 * fetch reports every network failure as a TypeError, with no way to tell "refused" from "reset after
 * sending"; both are treated as connect failures. KServe inference has no side effects, so the one
 * retry this allows can at worst repeat GPU work, never a result.
 */
export function fetchTransport(fetchImpl: typeof fetch = (input, init) => fetch(input, init)): BackendTransport {
  return async function send(target, req, signal) {
    // fetch gets whole bodies (only the Node transport relays one while it arrives).
    const body = isStreamed(req.body) ? await req.body.whole() : req.body;
    try {
      return await fetchImpl(target.url + req.path, {
        method: req.method,
        headers: req.headers,
        body: body as BodyInit | undefined,
        signal,
        redirect: 'manual',
      });
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof TypeError) throw new BackendConnectError(`${target.name}: ${err.message}`, { cause: err });
      throw err;
    }
  };
}
