/** `Authorization: Bearer <key>` against the key store; sets `c.var.tenant` or answers 401. */
import type { MiddlewareHandler } from 'hono';
import { InferenceError } from '../../../shared/errors';
import { silentLogger, type Logger } from '../../../shared/log/logger';
import { apiKeyId } from '../../auth/apiKey';
import { errorResponse } from '../../respond/errorResponse';
import type { GatewayEnv } from '../../env';
import type { KeyStore } from '../../types';

/** Options of `tenantAuth`. */
export interface TenantAuthOptions {
  keys: KeyStore;
  realm?: string;
  /** Where refusals are logged (info): the request id, why, and the key's public id. Never the key. */
  log?: Logger;
}

// RFC 6750 §2.1: b64token after the scheme, which is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Middleware factory: 401 with `WWW-Authenticate: Bearer` for a missing or unknown key. */
export function tenantAuth(options: TenantAuthOptions): MiddlewareHandler<GatewayEnv> {
  const { keys } = options;
  const log = options.log ?? silentLogger;
  const realm = `Bearer realm="${options.realm ?? 'siglip'}"`;
  // RFC 6750 §3: no error code when the request carried no credentials at all.
  const missing = { 'WWW-Authenticate': realm };
  const invalid = { 'WWW-Authenticate': `${realm}, error="invalid_token"` };
  return async function tenantAuth(c, next) {
    const header = c.req.header('authorization');
    if (header === undefined) {
      log.info({ requestId: c.get('requestId'), status: 401, reason: 'no Authorization header' }, 'unauthenticated');
      return errorResponse(c, new InferenceError('UNAUTHENTICATED', 'missing Authorization: Bearer <key> header'), missing);
    }
    const token = BEARER.exec(header)?.[1];
    const tenant = token === undefined ? undefined : await keys.lookup(token);
    if (!tenant) {
      const keyId = token === undefined ? undefined : apiKeyId(token);
      log.info({ requestId: c.get('requestId'), status: 401, reason: token === undefined ? 'not a Bearer token' : 'unknown API key', keyId }, 'unauthenticated');
      return errorResponse(c, new InferenceError('UNAUTHENTICATED', 'invalid API key'), invalid);
    }
    c.set('tenant', tenant);
    await next();
  };
}
