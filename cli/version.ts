/** The version `--version` prints: the package's. */
// A named import: the build (esbuild) inlines this one field of package.json, not the whole file.
import { version } from '../package.json';

export const CLI_VERSION: string = version;
