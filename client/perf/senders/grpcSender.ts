// Sends prebuilt ModelInferRequest messages as unary gRPC calls, many in flight on a channel (HTTP/2 streams), and
// times each as Triton's gRPC client does for perf_analyzer (src/c++/library/grpc_client.cc): send and receive are
// the client's own marshalling of the request and the response, here the handing over of a prebuilt message and
// nothing to decode; the rest of the request time is network and server. A status other than OK is an error.
import * as grpc from '@grpc/grpc-js';
import type { GrpcRequestPlan, PreparedRequest } from '../requests/preparedRequest';
import type { RequestSender, SendResult } from './httpSender';

const PATH = '/inference.GRPCInferenceService/ModelInfer';
const asIs = (b: Buffer) => b;

/** `channels` gRPC channels (TCP connections) to the plan's target, calls spread over them in turn. */
export function createGrpcSender(plan: GrpcRequestPlan, channels: number, nowNs: () => number): RequestSender {
  const clients = Array.from(
    { length: Math.max(1, channels) },
    // A pool of its own per channel, or grpc-js would share one connection among them.
    () => new grpc.Client(plan.target, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.use_local_subchannel_pool': 1 }),
  );
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(plan.metadata)) metadata.set(k, v);
  // Messages as Buffers, made once: the calls send them as they are.
  const messages = new Map<PreparedRequest, Buffer>();
  for (const b of plan.bodies) if (b) messages.set(b, Buffer.from(b.body.buffer, b.body.byteOffset, b.body.byteLength));
  let next = 0;
  return {
    send(request, done) {
      const startNs = nowNs();
      const client = clients[next++ % clients.length];
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
    close: async () => {
      for (const c of clients) c.close();
    },
  };
}
