/** `Authorization: Bearer <key>` against the key store; sets `c.var.tenant` or answers 401. */
import type { MiddlewareHandler } from 'hono';
import { InferenceError } from '../../../shared/errors';
import { errorResponse } from '../../http/errorResponse';
import type { GatewayEnv } from '../../http/env';
import type { KeyStore } from '../../types';

/** Options of `tenantAuth`. */
export interface TenantAuthOptions {
  keys: KeyStore;
  realm?: string;
}

// RFC 6750 §2.1: b64token after the scheme, which is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** Middleware factory: 401 with `WWW-Authenticate: Bearer` for a missing or unknown key. */
export function tenantAuth(options: TenantAuthOptions): MiddlewareHandler<GatewayEnv> {
  const { keys } = options;
  const realm = `Bearer realm="${options.realm ?? 'siglip'}"`;
  // RFC 6750 §3: no error code when the request carried no credentials at all.
  const missing = { 'WWW-Authenticate': realm };
  const invalid = { 'WWW-Authenticate': `${realm}, error="invalid_token"` };
  return async function tenantAuth(c, next) {
    const header = c.req.header('authorization');
    if (header === undefined) {
      return errorResponse(c, new InferenceError('UNAUTHENTICATED', 'missing Authorization: Bearer <key> header'), missing);
    }
    const token = BEARER.exec(header)?.[1];
    const tenant = token === undefined ? undefined : await keys.lookup(token);
    if (!tenant) return errorResponse(c, new InferenceError('UNAUTHENTICATED', 'invalid API key'), invalid);
    c.set('tenant', tenant);
    await next();
  };
}
