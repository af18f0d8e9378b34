/**
 * Reads the body once and checks it before any backend sees it: content type (415), size against the
 * model's limit (413), and the request itself (400). Sets `c.var.body` and `c.var.cost`. On Node a binary
 * body is checked from its JSON header and then relayed while its tensor bytes arrive (see RelayBody).
 */
import type { MiddlewareHandler } from 'hono';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../../../shared/protocol';
import { binaryHeaderLength } from '../../../shared/codec/binaryTensor';
import { checkBodyContentType } from '../../../shared/contract/contentType';
import { isRawRequest, rawRequestInput } from '../../../shared/contract/rawRequest';
import { webBodyReader, type BodyReader, type BodyRelay } from '../../http/readBody';
import { deferRejection } from '../../http/rejection';
import type { GatewayEnv } from '../../http/env';
import { validateEmbeddingsBody } from '../../validation/embeddingsBody';
import { validateInferBody, validateInferParts } from '../../validation/inferBody';
import { assertModelAllowed } from '../modelAccess/index';

/** Options of `validateInfer`. */
export interface ValidateInferOptions {
  readBody?: BodyReader;
  /** Where the runtime can, binary bodies are checked from their JSON header and relayed while they arrive. */
  relayBody?: BodyRelay;
}

/** Middleware factory for model routes (after `modelAccess`): GETs cost 1; an infer costs its batch size. */
export function validateInfer(options: ValidateInferOptions = {}): MiddlewareHandler<GatewayEnv> {
  const readBody = options.readBody ?? webBodyReader;
  return async function validateInfer(c, next) {
    c.set('cost', 1);
    await deferRejection(c, async () => {
      if (c.req.method !== 'POST') return;
      const model = c.get('model')!;
      const headerLength = c.req.header(INFERENCE_HEADER_CONTENT_LENGTH);
      if (headerLength === undefined) checkBodyContentType(c.req.header('content-type'));
      const limit = headerLength === undefined ? model.maxBodyBytes.json : model.maxBodyBytes.binary;
      // A binary body's JSON header says everything the checks need, except for BYTES inputs (their
      // elements are counted): for other models the tensor bytes go on to a backend as they arrive.
      const relay = headerLength !== undefined && !model.inputs.some((i) => i.datatype === 'BYTES') ? options.relayBody?.(c, limit) : undefined;
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
    await next();
  };
}

/** Options of `validateEmbeddings`. */
export interface ValidateEmbeddingsOptions {
  maxBodyBytes: number;
  maxItems: number;
  readBody?: BodyReader;
}

/** Middleware factory for `/v1/embeddings` (after `tenantAuth`): the towers it uses must be allowed; cost = item count. */
export function validateEmbeddings(options: ValidateEmbeddingsOptions): MiddlewareHandler<GatewayEnv> {
  const { maxBodyBytes, maxItems } = options;
  const readBody = options.readBody ?? webBodyReader;
  return async function validateEmbeddings(c, next) {
    c.set('cost', 1);
    await deferRejection(c, async () => {
      checkBodyContentType(c.req.header('content-type'));
      const body = await readBody(c, maxBodyBytes);
      const { models, items } = validateEmbeddingsBody(body, maxItems);
      for (const model of models) assertModelAllowed(c.get('tenant'), model);
      c.set('modelName', models.join(','));
      c.set('cost', items);
      c.set('body', body);
    });
    await next();
  };
}
