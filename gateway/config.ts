/** Gateway configuration, validated once at start-up (Node options or Worker vars) into plain objects. */
import { z } from 'zod';
import { LOG_LEVELS } from '../shared/log/logger';
import type { BackendTarget } from './backends/transport';

/** A backend given as `URL` or `name=URL`; the URL is an http(s) origin. */
export function parseBackendList(specs: readonly string[]): BackendTarget[] {
  return specs.map((spec, i) => {
    const eq = spec.indexOf('=');
    const hasName = eq > 0 && !spec.slice(0, eq).includes(':');
    const name = hasName ? spec.slice(0, eq) : `backend-${i + 1}`;
    const raw = hasName ? spec.slice(eq + 1) : spec;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error(`backend '${spec}': not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`backend '${spec}': only http and https are supported`);
    if (url.pathname !== '/' || url.search || url.hash) throw new Error(`backend '${spec}': give the origin only (no path or query)`);
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`backend '${spec}': names are 1-64 of A-Z a-z 0-9 _ . -`);
    return { name, url: url.origin };
  });
}

/** Settings both runtimes share, with their defaults. */
export const sharedSettingsSchema = z.object({
  requestTimeoutMs: z.number().int().positive().default(30_000),
  healthIntervalMs: z.number().int().positive().default(2_000),
  cacheTtlSeconds: z.number().int().positive().default(2),
  limiterFailure: z.enum(['closed', 'open']).default('closed'),
  /** Shared secret sent to backends in x-siglip-gateway-token. */
  backendToken: z.string().min(1).optional(),
  /** JSON infer bodies this long or longer go on to a backend while they arrive; shorter ones once checked whole. */
  relayJsonFromBytes: z.number().int().nonnegative().default(1024 * 1024),
  /** How long a request waits for room among the bodies in flight (256 MiB) before a 503; 0 refuses at once. */
  maxBodyWaitMs: z.number().int().nonnegative().default(10_000),
});

/** Vars of the Worker (wrangler.toml `[vars]` and secrets): strings, coerced here. */
export const workerVarsSchema = z.object({
  BACKENDS: z.string().min(1, 'BACKENDS must list at least one backend'),
  BACKEND_TOKEN: z.string().min(1).optional(),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  HEALTH_INTERVAL_MS: z.coerce.number().int().positive().optional(),
  CACHE_TTL_SECONDS: z.coerce.number().int().positive().optional(),
  LIMITER_FAILURE: z.enum(['closed', 'open']).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  RELAY_JSON_FROM_BYTES: z.coerce.number().int().nonnegative().optional(),
});

/** The message of a zod failure, naming the field. */
export function describeConfigError(where: string, error: z.ZodError): string {
  const issue = error.issues[0];
  return `${where}: ${issue.path.join('.') || '(root)'}: ${issue.message}`;
}
