import { InferenceError, unavailable } from '../../../shared/errors';
import { CancelledError } from '../../batching/dynamicBatcher';
import { queueTimeoutMs } from '../../models/queuePolicy';
import type { ServedModel } from '../../models/types';
import { encodeInferResponse } from '../inferCodec';
import { sendError, sendJson, type ErrorLog } from '../respond';
import type { RouteContext } from '../router';
import { readInferRequest, type InferRequestReading } from './inferRequest';
import { writeSharedMemoryOutputs } from '../../shm/sharedMemoryTensors';

/** What the infer handler needs. */
export interface InferRouteDeps extends InferRequestReading {
  lifecycle: { readonly shuttingDown: boolean };
  log: ErrorLog;
}

const nowNs = () => performance.now() * 1e6;

/** POST /v2/models/{m}[/versions/{v}]/infer: read and check the request, queue it, answer in the protocol it came in. */
export function inferHandler(deps: InferRouteDeps): (c: RouteContext, m: ServedModel) => Promise<void> {
  return async function infer({ req, res }, m) {
    const start = nowNs();
    const abort = new AbortController();
    // The client went away before we answered: drop its request if it has not been dispatched yet.
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    try {
      if (deps.lifecycle.shuttingDown) throw unavailable('Server is shutting down', 'shutdown');
      const { request: parsed, release } = await readInferRequest(deps, req, m);
      const outputs = await m.infer(parsed.inputs, {
        timeoutMs: queueTimeoutMs(m, parsed.parameters),
        signal: abort.signal,
        parameters: parsed.parameters,
        outputs: parsed.outputs.map((o) => o.name),
      });
      // Every batch holding this request has run: its body can carry another one. (After a failure the body
      // is left to the GC, as a queued copy might still be referenced.)
      release();
      await writeSharedMemoryOutputs(deps.shm, parsed.outputs, outputs);
      const encoded = encodeInferResponse(m.name, m.version, parsed, outputs);
      if (encoded.headerLength !== undefined) {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'inference-header-content-length': encoded.headerLength,
          'content-length': (encoded.body as Uint8Array).byteLength,
        });
        res.end(encoded.body);
      } else {
        sendJson(res, 200, encoded.body as string);
      }
      recordOutcome(m, start, null);
    } catch (err) {
      if (err instanceof CancelledError) {
        res.destroy();
        return;
      }
      recordOutcome(m, start, err);
      sendError(res, err, deps.log);
    }
  };
}

function recordOutcome(m: ServedModel, start: number, err: unknown): void {
  const ns = nowNs() - start;
  if (err === null) m.telemetry.requestSucceeded(ns);
  else m.telemetry.requestFailed(ns, err instanceof InferenceError ? err.reason.toLowerCase() : 'internal');
}
