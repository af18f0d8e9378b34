import { unavailable } from '../../../shared/errors';
import { recordOutcome } from '../../models/inferOutcome';
import { CancelledError } from '../../batching/dynamicBatcher';
import { queueTimeoutMs } from '../../models/queuePolicy';
import type { ServedModel } from '../../models/types';
import { encodeInferResponse } from '../inferCodec';
import { sendError, sendInferResponse, type ErrorLog } from '../respond';
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
    let release: ((reuse?: boolean) => void) | undefined;
    try {
      if (deps.lifecycle.shuttingDown) throw unavailable('Server is shutting down', 'shutdown');
      const read = await readInferRequest(deps, req, m);
      const parsed = read.request;
      release = read.release;
      const outputs = await m.infer(parsed.inputs, {
        timeoutMs: queueTimeoutMs(m, parsed.parameters),
        signal: abort.signal,
        parameters: parsed.parameters,
        outputs: parsed.outputs.map((o) => o.name),
      });
      // Every batch holding this request has run: its body can carry another one. (After a failure the body
      // is left to the GC, as a queued copy might still be referenced; its budget share goes back either way.)
      release();
      await writeSharedMemoryOutputs(deps.shm, parsed.outputs, outputs);
      sendInferResponse(res, encodeInferResponse(m.name, m.version, parsed, outputs));
      recordOutcome(m, nowNs() - start, null);
    } catch (err) {
      release?.(false);
      if (err instanceof CancelledError) {
        res.destroy();
        return;
      }
      recordOutcome(m, nowNs() - start, err);
      sendError(res, err, deps.log);
    }
  };
}

