/**
 * gRPC's standard health service (grpc.health.v1.Health, doc/health-checking.md) for load balancers and
 * Kubernetes gRPC probes: SERVING once every model is ready and until shutdown starts, NOT_SERVING otherwise.
 * It answers without the gateway token, during start-up and while draining. "" and the inference service are
 * known; Check answers NOT_FOUND for any other name, Watch SERVICE_UNKNOWN (as the standard says).
 */
import type * as grpc from '@grpc/grpc-js';
import { notFound } from '../../shared/errors';
import type { GrpcServer } from './grpcServer';
import { INFERENCE_SERVICE } from './protos';

type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const KNOWN = new Set(['', INFERENCE_SERVICE]);

/** How often Watch looks for a change it was not told of (a model instance that crashed, or came back). */
const WATCH_POLL_MS = 1000;

/** The Health service's handlers; `isServing` says whether the backend can take inference now. */
export function healthHandlers(server: GrpcServer, isServing: () => boolean): grpc.UntypedServiceImplementation {
  const status = (service: string): ServingStatus => (!KNOWN.has(service) ? 'SERVICE_UNKNOWN' : isServing() ? 'SERVING' : 'NOT_SERVING');
  const policy = { public: true, duringStartup: true };
  return {
    Check: server.unary(policy, (request) => {
      const service = (request as { service?: string }).service ?? '';
      if (!KNOWN.has(service)) throw notFound(`unknown service '${service}' (known: '' and '${INFERENCE_SERVICE}')`);
      return { status: status(service) };
    }),
    Watch: server.stream<grpc.ServerWritableStream<unknown, unknown>>(policy, (call) =>
      new Promise<void>((resolve) => {
        const service = (call.request as { service?: string }).service ?? '';
        let last: ServingStatus | null = null;
        const send = () => {
          const now = status(service);
          if (now !== last) call.write({ status: now });
          last = now;
        };
        const timer = setInterval(send, WATCH_POLL_MS);
        timer.unref();
        let done = false;
        const finish = (end: boolean) => {
          if (done) return;
          done = true;
          clearInterval(timer);
          stopDrain();
          if (end) call.end();
          resolve();
        };
        // Shutting down: say so, then end the stream (a watch would otherwise hold the drain open).
        const stopDrain = server.whenDraining(() => {
          send();
          finish(true);
        });
        call.on('cancelled', () => finish(false));
        send();
      }),
    ),
  };
}
