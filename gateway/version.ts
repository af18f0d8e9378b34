/** The gateway's version, as /status reports it: the package version. */
// A named import: bundlers (esbuild, wrangler) inline this one field of package.json, not the whole file.
import { version } from '../package.json';

export const GATEWAY_VERSION: string = version;
export const GATEWAY_NAME = 'siglip-gateway';
