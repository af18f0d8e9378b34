import { availableParallelism } from 'node:os';
import { type Command, Option } from 'commander';
import { startBackend, type Backend } from '../../gpu-backend/server';
import type { BackendOptionsInput } from '../../gpu-backend/config/backendOptions';
import { bindingWith } from '../listenErrors';
import { addLogLevelOption, loggerFrom } from '../logOptions';
import { onShutdown } from '../shutdown';
import { checkModelRepository, checkRequireToken } from '../startupChecks';
import { parseInteger, parsePort } from '../optionParsers';

/** Adds the backend's options to a command (shared by `backend` and `serve`). */
export function addBackendOptions(cmd: Command): Command {
  cmd
    .option('--port <port>', 'port of the KServe v2 HTTP API', parsePort, 8000)
    .option('--grpc-port <port>', "Triton's gRPC port, KServe v2 GRPCInferenceService and grpc.health.v1 (default: --port + 1, so 8001; 0 turns gRPC off)", parsePort)
    .option('--metrics-port <port>', "Triton's metrics port, GET /metrics (default: --port + 2, so 8002; 0 picks a free one)", parsePort)
    .option('--no-metrics-port', 'serve /metrics on the API port only')
    .option('--host <host>', 'address to bind (loopback unless told otherwise)', '127.0.0.1')
    .option('--model-repository <dir>', 'Triton-layout model repository (default: the bundled demo models)')
    .option('--providers <list>', 'execution providers to try in order, overriding each model config (e.g. cuda,cpu)')
    .option('--strict', 'refuse to start if a model cannot use its first execution provider', false)
    .option('--workers <n>', 'worker threads for decoding and preprocessing (default: one per core)', parseInteger)
    .option('--http-threads <n>', 'threads that accept on --port and serve infer requests off the main thread (0: none; default: half the cores, 1 to 8)', parseInteger)
    .addOption(new Option('--require-token <secret>', 'refuse requests without this x-siglip-gateway-token header').env('SIGLIP_GATEWAY_TOKEN'))
    .option('--image-url-allowlist <prefixes>', 'comma-separated URL prefixes /v1/embeddings may fetch images from (default: none)')
    .option('--max-body-bytes <n>', 'largest request body (413 past it; default 64 MiB)', parseInteger)
    .option('--max-request-pixels <n>', 'pixels of all images of one request, from their headers (413 past it; default 256000000)', parseInteger)
    .option('--max-text-bytes <n>', 'bytes of one text element (413 past it; default 16384)', parseInteger)
    .option('--allow-client-shm', "let clients pass tensors in Triton's system shared memory (default: on when --host is loopback)")
    .option('--no-allow-client-shm', 'refuse shared-memory registration even on loopback')
    .option('--body-idle-timeout <ms>', 'longest pause between two chunks of a request body (408 past it; default 30000)', parseInteger)
    .addOption(new Option('--json-decoder <kind>', 'JSON tensor decoder (naive is the benchmark baseline)').choices(['fast', 'naive']).default('fast').hideHelp());
  return addLogLevelOption(cmd);
}

/** Turns parsed CLI options into backend options. */
export function backendOptionsFrom(o: Record<string, unknown>): BackendOptionsInput {
  const port = o.port as number;
  // Triton's trio is 8000/8001/8002: the metrics port follows the API port unless given (false: --no-metrics-port).
  const metricsPort = o.metricsPort === false ? false : typeof o.metricsPort === 'number' ? o.metricsPort : port === 0 ? 0 : port + 2;
  // gRPC follows it the same way (8001 by default, a free port with --port 0); --grpc-port 0 turns gRPC off.
  const grpcPort = o.grpcPort === 0 ? false : typeof o.grpcPort === 'number' ? o.grpcPort : port === 0 ? 0 : port + 1;
  return {
    port,
    metricsPort,
    grpcPort,
    host: o.host as string,
    modelRepository: o.modelRepository as string | undefined,
    providers: typeof o.providers === 'string' ? o.providers.split(',').map((s) => s.trim()) : undefined,
    strictProvider: Boolean(o.strict),
    workers: o.workers as number | undefined,
    httpThreads: (o.httpThreads as number | undefined) ?? Math.max(1, Math.min(8, Math.floor(availableParallelism() / 2))),
    requireToken: o.requireToken as string | undefined,
    jsonDecoder: o.jsonDecoder as 'fast' | 'naive',
    imageUrlAllowlist: typeof o.imageUrlAllowlist === 'string' ? o.imageUrlAllowlist.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    logLevel: o.logLevel as BackendOptionsInput['logLevel'],
    maxBodyBytes: o.maxBodyBytes as number | undefined,
    maxRequestPixels: o.maxRequestPixels as number | undefined,
    maxTextBytes: o.maxTextBytes as number | undefined,
    bodyIdleTimeoutMs: o.bodyIdleTimeout as number | undefined,
    allowClientShm: o.allowClientShm as boolean | undefined,
  };
}

/** `siglip backend`: the Triton-compatible server alone. */
export function registerBackendCommand(program: Command): void {
  addBackendOptions(program.command('backend').description('serve the KServe v2 / Triton-compatible inference API (default :8000)')).action(
    async (o: Record<string, unknown>) => {
      checkRequireToken(o.requireToken as string | undefined);
      await checkModelRepository(o.modelRepository as string | undefined);
      const log = loggerFrom(o).child({ service: 'backend' });
      // Signals are handled from the start: one that comes while models load waits for them, then stops.
      let backend: Promise<Backend> | null = null;
      onShutdown(async () => (await backend)?.close());
      backend = bindingWith('--port', () => startBackend(backendOptionsFrom(o), log));
      await backend;
    },
  );
}
