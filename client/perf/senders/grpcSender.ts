// Sends prebuilt ModelInferRequest messages as unary gRPC calls, many in flight on a channel (HTTP/2 streams), and
// times each as Triton's gRPC client does for perf_analyzer (src/c++/library/grpc_client.cc): send and receive are
// the client's own marshalling of the request and the response, here the handing over of a prebuilt message and
// nothing to decode; the rest of the request time is network and server. A status other than OK is an error.
import * as grpc from '@grpc/grpc-js';
import type { GrpcRequestPlan, PreparedRequest } from '../requests/preparedRequest';
import type { RequestSender, SendResult } from './httpSender';

const PATH = '/inference.GRPCInferenceService/ModelInfer';
const asIs = (b: Buffer) => b;

/**
 * One gRPC channel (one HTTP/2 connection) to the plan's target, every call of this thread multiplexed on it, as
 * Triton's client library shares one channel per server among perf_analyzer's contexts.
 */
export function createGrpcSender(plan: GrpcRequestPlan, nowNs: () => number): RequestSender {
  const client = new grpc.Client(plan.target, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.enable_channelz': 0 });
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(plan.metadata)) metadata.set(k, v);
  // Messages as Buffers, made once: the calls send them as they are.
  const messages = new Map<PreparedRequest, Buffer>();
  for (const b of plan.bodies) if (b) messages.set(b, Buffer.from(b.body.buffer, b.body.byteOffset, b.body.byteLength));
  return {
    send(request, done) {
      const startNs = nowNs();
      let sentNs = 0;
      client.makeUnaryRequest(PATH, asIs, asIs, messages.get(request)!, metadata, {}, (err: grpc.ServiceError | null) => {
        const endNs = nowNs();
        const r: SendResult = {
          startNs,
          endNs,
          sendNs: (sentNs || endNs) - startNs,
          recvNs: 0,
          error: err ? `gRPC ${grpc.status[err.code]} from ${plan.target}: ${err.details}` : null,
        };
        done(r);
      });
      sentNs = nowNs();
    },
    close: async () => client.close(),
  };
}
