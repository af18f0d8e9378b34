/** The gateway's version, as /status reports it: the package version. */
import pkg from '../package.json';

export const GATEWAY_VERSION: string = pkg.version;
export const GATEWAY_NAME = 'siglip-gateway';
