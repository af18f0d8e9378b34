import { PerfUsageError } from '../errors';

/**
 * Turns `-u` for `-i grpc` into grpc://host:port: perf_analyzer takes host:port there too (default localhost:8001,
 * Triton's gRPC port). A gRPC target has no path, query or http(s) scheme.
 */
export function normalizeGrpcTarget(text: string): URL {
  const bare = text.replace(/^grpc:\/\//i, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(bare)) {
    throw new PerfUsageError(`-u with -i grpc takes host:port (the server's gRPC port, 8001 by default), got '${text}'`);
  }
  let url: URL;
  try {
    url = new URL(`grpc://${bare}`);
  } catch {
    throw new PerfUsageError(`-u with -i grpc takes host:port, got '${text}'`);
  }
  if ((url.pathname && url.pathname !== '/') || url.search || url.hash || !url.port) {
    throw new PerfUsageError(`-u with -i grpc takes host:port (a port, and no path), got '${text}'`);
  }
  return url;
}

/**
 * Turns `-u` into a base URL: perf_analyzer takes `host:port` (default localhost:8000); a scheme is accepted too, so
 * a gateway URL can be pasted as it is. A path prefix is kept (a gateway mounted under one). No trailing slash.
 */
export function normalizeServerUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PerfUsageError(`-u takes host:port or http(s)://host:port, got '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PerfUsageError(`-u: only http and https URLs are supported, got '${url.protocol}'`);
  if (url.search || url.hash) throw new PerfUsageError(`-u: give the server's base URL without a query or fragment, got '${text}'`);
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}
