// The client backend for `-i`: HTTP (perf_analyzer's default) or gRPC.
import type { ClientBackend, ClientBackendOptions } from './clientBackend';
import { createGrpcClientBackend } from './grpcClientBackend';
import { createHttpClientBackend } from './httpClientBackend';

/** The backend for `-i`. */
export function createClientBackend(o: ClientBackendOptions): ClientBackend {
  if (o.protocol === 'grpc') return createGrpcClientBackend(o.url.host, o.headers);
  return createHttpClientBackend(o.url, o.headers);
}
