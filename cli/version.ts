/** The version `--version` prints: the package's. */
import pkg from '../package.json';

export const CLI_VERSION: string = pkg.version;
