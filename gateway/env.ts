/** Hono typing shared by the gateway's middleware: what each step leaves for the next. */
import type { InferenceError } from '../shared/errors';
import type { ModelInfo } from './backends/modelCatalog';
import type { StreamedBody } from './backends/transport';
import type { TenantPolicy } from './types';

/** Per-request state, set in pipeline order. */
export interface GatewayVariables {
  requestId: string;
  tenant: TenantPolicy;
  /** Canonical backend path, rebuilt from validated parts (never the client's raw path). */
  backendPath: string;
  /** The model named by the path or body. */
  modelName: string;
  /** The version named by the path, if any. */
  modelVersion: string | undefined;
  model: ModelInfo | undefined;
  /** The request body, read once and forwarded as it is; on Node a binary body is relayed while it arrives. */
  body: Uint8Array | StreamedBody | undefined;
  /** Tokens this request takes: its batch size, or 1. */
  cost: number;
  /** A validation failure, answered after the rate limiter has charged for it. */
  rejection: InferenceError | undefined;
  /** The error an error answer was built from (errorResponse), for the failure log. */
  failure: unknown;
}

/** The gateway's Hono environment. */
export type GatewayEnv = { Variables: GatewayVariables };
