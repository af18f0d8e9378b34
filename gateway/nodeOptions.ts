/** The Node gateway's options (`startGateway`, and each HTTP thread's copy of them). */
import { z } from 'zod';
import { LOG_LEVELS } from '../shared/log/logger';
import { keysFileSchema } from './auth/keysFile';
import { sharedSettingsSchema } from './config';

/** Options of `startGateway`. */
export const startGatewayOptionsSchema = sharedSettingsSchema.extend({
  port: z.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  /** `URL` or `name=URL`, one per backend. */
  backends: z.array(z.string()).min(1, 'at least one backend is required'),
  /** Path of the keys file (see `siglip keys create`). */
  keysFile: z.string().optional(),
  /** Keys given inline instead of a file (tests). */
  keys: keysFileSchema.optional(),
  /** Keep-alive connections per backend. */
  connections: z.number().int().positive().default(256),
  /** Level of the default logger (a logger passed to startGateway keeps its own). */
  logLevel: z.enum(LOG_LEVELS).default('info'),
  /** Threads that accept on the port and serve requests off the main thread (0: the main thread serves). */
  httpThreads: z.number().int().nonnegative().max(64).default(0),
});

export type StartGatewayOptions = z.input<typeof startGatewayOptionsSchema>;
/** The options once parsed, defaults filled in (what each HTTP thread is started with). */
export type GatewayOptions = z.output<typeof startGatewayOptionsSchema>;
