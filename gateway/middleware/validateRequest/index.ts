/**
 * Reads the body once and checks it before any backend sees it: content type (415), size against the
 * model's limit (413), and the request itself (400). Sets `c.var.body` and `c.var.cost`. Where the runtime
 * relays bodies (RelayBody on Node), a binary body is checked from its JSON header and then relayed while its
 * tensor bytes arrive; a JSON body is checked as it arrives (JsonInferCheck) and, when it is large, relayed from
 * its first `data` array on, its last byte held back until the check at its end has passed.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { InferenceError } from '../../../shared/errors';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../../../shared/protocol';
import type { InflightBodies } from '../../body/inflightBodies';
import { binaryHeaderLength } from '../../../shared/codec/binaryTensor';
import { checkBodyContentType } from '../../../shared/contract/contentType';
import { isRawRequest, rawRequestInput } from '../../../shared/contract/rawRequest';
import { clientDeparture, webBodyReader, type BodyReader, type BodyRelay, type RelayedBody } from '../../body/readBody';
import { deferRejection } from '../deferRejection';
import type { GatewayEnv } from '../../env';
import { validateEmbeddingsBody } from '../../validation/embeddingsBody';
import { jsonInferCheck, validateInferBody, validateInferParts } from '../../validation/inferBody';
import { assertModelAllowed } from '../modelAccess/index';

// Reserves a body's bytes in the gateway-wide cap before it is read: its declared length, or the limit.
// Past the cap it waits its turn (a client that leaves meanwhile gives up its place).
async function reserveBody(inflight: InflightBodies | undefined, declared: string | undefined, limit: number, c: Context<GatewayEnv>): Promise<() => void> {
  if (!inflight) return () => {};
  const n = declared === undefined ? limit : Number(declared);
  return inflight.reserve(Number.isFinite(n) && n >= 0 ? Math.min(n, limit) : limit, clientDeparture(c));
}

/** Options of `validateInfer`. */
export interface ValidateInferOptions {
  readBody?: BodyReader;
  /** The gateway-wide cap on body bytes held at once (503 past it). */
  inflight?: InflightBodies;
  /** Where the runtime can, binary bodies are checked from their JSON header and relayed while they arrive. */
  relayBody?: BodyRelay;
  /** JSON bodies at least this long are relayed while they arrive (GatewaySettings.relayJsonFromBytes). */
  relayJsonFromBytes?: number;
}

/** Middleware factory for model routes (after `modelAccess`): GETs cost 1; an infer costs its batch size. */
export function validateInfer(options: ValidateInferOptions = {}): MiddlewareHandler<GatewayEnv> {
  const readBody = options.readBody ?? webBodyReader;
  const relayJsonFrom = options.relayJsonFromBytes ?? Infinity;
  return async function validateInfer(c, next) {
    c.set('cost', 1);
    let release = () => {};
    // A body being relayed holds its buffer until it has all arrived, even when the request is answered before
    // (a 429 from the first `data` array, a refusal): its reservation lasts as long.
    let relayed: RelayedBody | undefined;
    await deferRejection(c, async () => {
      if (c.req.method !== 'POST') return;
      const model = c.get('model')!;
      const headerLength = c.req.header(INFERENCE_HEADER_CONTENT_LENGTH);
      if (headerLength === undefined) checkBodyContentType(c.req.header('content-type'));
      const limit = headerLength === undefined ? model.maxBodyBytes.json : model.maxBodyBytes.binary;
      const declared = c.req.header('content-length');
      if (declared !== undefined && Number(declared) > limit) throw tooLargeFor(limit);
      release = await reserveBody(options.inflight, declared, limit, c);
      if (headerLength === undefined && options.relayBody) {
        const check = jsonInferCheck(model, declared !== undefined && Number(declared) >= relayJsonFrom);
        const relay = options.relayBody(c, limit, check);
        relayed = relay;
        if (relay) {
          // On from the first `data` array (a large body), or once it has all arrived and passed; a body refused
          // after it went on fails its backend request instead (see forwardToBackend's transport).
          const passed = relay.ended().then(() => check.cost);
          passed.catch(() => {});
          c.set('cost', await Promise.race([check.streamable, passed]));
          c.set('body', relay);
          return;
        }
      }
      // A binary body's JSON header says everything the checks need, except for BYTES inputs (their
      // elements are counted): for other models the tensor bytes go on to a backend as they arrive.
      const relay = headerLength !== undefined && !model.inputs.some((i) => i.datatype === 'BYTES') ? options.relayBody?.(c, limit) : undefined;
      relayed = relay;
      if (relay && isRawRequest(headerLength)) {
        try {
          rawRequestInput(model.contract, relay.length);
        } catch (err) {
          await relay.done();
          throw err;
        }
        c.set('body', relay);
        return;
      }
      if (relay) {
        try {
          const n = binaryHeaderLength(headerLength, relay.length);
          c.set('cost', validateInferParts(await relay.prefix(n), relay.length - n, model));
        } catch (err) {
          // Answer once the client has sent it all, as for a body read whole.
          await relay.done();
          throw err;
        }
        c.set('body', relay);
        return;
      }
      const body = await readBody(c, limit);
      c.set('cost', validateInferBody(body, headerLength, model));
      c.set('body', body);
    });
    try {
      await next();
    } finally {
      if (relayed) void relayed.done().then(release);
      else release();
    }
  };
}

/** Options of `validateEmbeddings`. */
export interface ValidateEmbeddingsOptions {
  maxBodyBytes: number;
  maxItems: number;
  readBody?: BodyReader;
  inflight?: InflightBodies;
}

/** Middleware factory for `/v1/embeddings` (after `tenantAuth`): the towers it uses must be allowed; cost = item count. */
export function validateEmbeddings(options: ValidateEmbeddingsOptions): MiddlewareHandler<GatewayEnv> {
  const { maxBodyBytes, maxItems } = options;
  const readBody = options.readBody ?? webBodyReader;
  return async function validateEmbeddings(c, next) {
    c.set('cost', 1);
    let release = () => {};
    await deferRejection(c, async () => {
      checkBodyContentType(c.req.header('content-type'));
      const declared = c.req.header('content-length');
      if (declared !== undefined && Number(declared) > maxBodyBytes) throw tooLargeFor(maxBodyBytes);
      release = await reserveBody(options.inflight, declared, maxBodyBytes, c);
      const body = await readBody(c, maxBodyBytes);
      const { models, items } = validateEmbeddingsBody(body, maxItems);
      for (const model of models) assertModelAllowed(c.get('tenant'), model);
      c.set('modelName', models.join(','));
      c.set('cost', items);
      c.set('body', body);
    });
    try {
      await next();
    } finally {
      release();
    }
  };
}

function tooLargeFor(limit: number): InferenceError {
  return new InferenceError('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${limit} bytes for this model`);
}
