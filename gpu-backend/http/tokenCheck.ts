import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { InferenceError } from '../../shared/errors';
import { GATEWAY_TOKEN_HEADER } from '../../shared/protocol';

/**
 * The gateway's shared secret (--require-token), checked in constant time on every route but health; with no
 * token configured every request passes.
 */
export function tokenCheck(requireToken: string | undefined): (req: IncomingMessage, path: string) => void {
  if (!requireToken) return () => {};
  const want = Buffer.from(requireToken);
  return function checkToken(req, path) {
    if (path.startsWith('/v2/health/')) return;
    const got = Buffer.from(String(req.headers[GATEWAY_TOKEN_HEADER] ?? ''));
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new InferenceError('UNAUTHENTICATED', `missing or wrong ${GATEWAY_TOKEN_HEADER} header`);
    }
  };
}
