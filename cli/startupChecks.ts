/** Start-up checks the CLI makes before a server loads anything, each failing with what to do. */
import { stat } from 'node:fs/promises';
import { backendOptionsSchema } from '../gpu-backend/config/backendOptions';
import { CliError } from './cliError';

// The backend's own rule (backendOptionsSchema), so the two cannot drift apart.
const TOKEN_MIN_LENGTH = backendOptionsSchema.shape.requireToken.unwrap().minLength ?? 0;

/** Refuses a `--require-token` (or SIGLIP_GATEWAY_TOKEN) shorter than the backend accepts. */
export function checkRequireToken(token: string | undefined): void {
  if (token === undefined || token.length >= TOKEN_MIN_LENGTH) return;
  throw new CliError(
    `--require-token (or SIGLIP_GATEWAY_TOKEN) is ${token.length} characters; it must be at least ${TOKEN_MIN_LENGTH}: ` +
      'use a long random secret, e.g. `openssl rand -hex 32`',
  );
}

/** Refuses a `--model-repository` that is not a directory; `instead` says what else would work. */
export async function checkModelRepository(dir: string | undefined, instead = ''): Promise<void> {
  if (dir === undefined) return;
  const s = await stat(dir).catch(() => null);
  if (s?.isDirectory()) return;
  const what = s ? 'is not a directory' : 'not found';
  throw new CliError(`model repository ${dir} ${what}: pass --model-repository DIR, a Triton layout (DIR/<model>/config.json, DIR/<model>/1/model.onnx)${instead}`);
}
