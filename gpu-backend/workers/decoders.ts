import { decodeJsonInferRequest, decodeJsonInferRequestNaive, type DecodedJsonRequest } from '../../shared/codec/jsonInferRequest';
import type { BackendOptions } from '../config/backendOptions';
import { WorkerPool } from './workerPool';

/** JSON request decoding for the HTTP layer: small bodies inline, big ones in the worker pool. */
export interface Decoders {
  pool: WorkerPool | null;
  // Functions, not methods: the HTTP layer takes them off this object.
  decodeJson: (body: Uint8Array) => Promise<DecodedJsonRequest>;
  decodeJsonInline: (body: Uint8Array) => DecodedJsonRequest;
  close: () => Promise<void>;
}

/** Creates the decoders and their worker pool, sized by options.workers. */
export function createDecoders(options: Pick<BackendOptions, 'workers' | 'workerThresholdBytes' | 'jsonDecoder'>): Decoders {
  const pool = options.workers > 0 ? new WorkerPool({ size: options.workers, name: 'siglip-decode' }) : null;
  const close = async () => {
    await pool?.close();
  };
  if (options.jsonDecoder === 'naive') {
    // The benchmark's baseline: JSON.parse on the event loop, as a naive Node server would do it.
    return { pool, close, decodeJsonInline: decodeJsonInferRequestNaive, decodeJson: async (body) => decodeJsonInferRequestNaive(body) };
  }
  return {
    pool,
    close,
    decodeJsonInline: decodeJsonInferRequest,
    decodeJson: async (body) => {
      if (!pool || body.byteLength < options.workerThresholdBytes) return decodeJsonInferRequest(body);
      // A body in shared memory (the backend's body pool) is read by the worker in place; any other body's
      // buffer moves there without a copy. The decoded typed arrays move back.
      if (body.buffer instanceof SharedArrayBuffer) return pool.run('decodeJsonInferRequest', body);
      const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : new Uint8Array(body);
      return pool.run('decodeJsonInferRequest', owned, [owned.buffer as ArrayBuffer]);
    },
  };
}
