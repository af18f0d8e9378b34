import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The model repository shipped with the project: the demo models (not SigLIP weights). */
export const DEFAULT_MODEL_REPOSITORY = fileURLToPath(new URL('../../model_repository', import.meta.url));

/** Backend settings, validated once at start-up and passed inward as a plain object. */
export const backendOptionsSchema = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8000),
  /**
   * Triton's gRPC port (KServe v2 GRPCInferenceService and grpc.health.v1); false for none. Absent: 8001, or a
   * free port when `port` is 0 (test and bench backends then never collide). See grpcPortOf.
   */
  grpcPort: z.union([z.number().int().min(0).max(65535), z.literal(false)]).optional(),
  /** Triton's metrics port: /metrics alone (it is also on the API port); false for none. */
  metricsPort: z.union([z.number().int().min(0).max(65535), z.literal(false)]).default(8002),
  /** The command GPU metrics are read with (nv_gpu_*); absent, those series are absent. */
  nvidiaSmi: z.string().default('nvidia-smi'),
  modelRepository: z.string().default(DEFAULT_MODEL_REPOSITORY),
  /** Largest request body accepted (413 above). */
  maxBodyBytes: z.number().int().positive().default(64 * 1024 * 1024),
  /** Admission control: bytes of request bodies received and not yet decoded, across all requests. */
  maxInflightBodyBytes: z.number().int().positive().default(160 * 1024 * 1024),
  /** Body reads allowed to wait for that budget before 503s. */
  maxWaitingBodies: z.number().int().min(0).default(4096),
  /** Longest a body read waits for the budget before 503. */
  maxBodyWaitMs: z.number().int().positive().default(30_000),
  /** Longest pause between two chunks of a request body before 408 (nginx's client_body_timeout). */
  bodyIdleTimeoutMs: z.number().int().positive().default(30_000),
  /** Worker threads for decoding and preprocessing; 0 decodes on the event loop. */
  workers: z.number().int().min(0).default(Math.max(1, availableParallelism())),
  /** `naive` decodes JSON with JSON.parse on the event loop: the benchmark's baseline, not for production. */
  jsonDecoder: z.enum(['fast', 'naive']).default('fast'),
  /** JSON bodies at least this large are decoded in a worker. */
  workerThresholdBytes: z.number().int().min(0).default(64 * 1024),
  /** Overrides every model's execution_providers, e.g. ["cpu"]. */
  providers: z.array(z.string()).optional(),
  /** Run each model instance's session in its own worker thread (off the event loop). */
  threadedRuntime: z.boolean().default(true),
  /** Refuse to start when a model's first provider cannot load. */
  strictProvider: z.boolean().default(false),
  /** Shared secret the gateway must send in x-siglip-gateway-token. */
  requireToken: z.string().min(16).optional(),
  /**
   * HTTP threads accepting on the API port and serving infer requests (body, decode, answer) off the main thread,
   * which then only batches and runs models; 0 serves HTTP on the main thread. See gpu-backend/http/threads/.
   */
  httpThreads: z.number().int().min(0).max(64).default(0),
  /** Triton's system shared memory for same-host clients (--allow-client-shm); default: on when bound to loopback. */
  allowClientShm: z.boolean().optional(),
  /** Largest encoded image accepted by embed_image and /v1/embeddings (413 above). */
  maxImageBytes: z.number().int().positive().default(20 * 1024 * 1024),
  /** Largest decoded image (width × height) accepted, against decompression bombs. */
  maxImagePixels: z.number().int().positive().default(50_000_000),
  /** Pixels of all images of one request together, from their headers (413 beyond): 60 images of 4.2 Mpx. */
  maxRequestPixels: z.number().int().positive().default(256_000_000),
  /** Bytes of one text element (413 beyond): SigLIP reads 64 tokens, a few hundred characters. */
  maxTextBytes: z.number().int().positive().default(16 * 1024),
  /** Bytes of all texts of one request (413 beyond). */
  maxRequestTextBytes: z.number().int().positive().default(1024 * 1024),
  /** Allowed URL prefixes for remote images in /v1/embeddings; empty refuses all. */
  imageUrlAllowlist: z.array(z.string()).default([]),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Time to finish accepted requests on SIGTERM before exiting anyway. */
  drainTimeoutMs: z.number().int().positive().default(30_000),
});

export type BackendOptionsInput = z.input<typeof backendOptionsSchema>;
export type BackendOptions = z.output<typeof backendOptionsSchema>;

/** The gRPC port to bind (0: a free one), or false for no gRPC. */
export function grpcPortOf(o: Pick<BackendOptions, 'grpcPort' | 'port'>): number | false {
  return o.grpcPort ?? (o.port === 0 ? 0 : 8001);
}
