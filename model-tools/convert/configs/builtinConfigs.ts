import { fileURLToPath } from 'node:url';

/**
 * Architectures shipped with the project, so `siglip model synth --like so400m` works offline.
 * Names map to config.json files in this directory.
 */
export const BUILTIN_CONFIGS: Record<string, string> = {
  so400m: fileURLToPath(new URL('./siglip-so400m-patch14-384.json', import.meta.url)),
  'google/siglip-so400m-patch14-384': fileURLToPath(new URL('./siglip-so400m-patch14-384.json', import.meta.url)),
};
