/** Failures to bind a port, told as what to change. */
import { CliError } from './cliError';

/** Runs `start` (a server that listens) and turns a failure to bind into a CliError naming `flag`. */
export async function bindingWith<T>(flag: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    throw explainListenError(err, flag) ?? err;
  }
}

/** The one-line reason for an EADDRINUSE / EACCES / EADDRNOTAVAIL from `listen`, or undefined for anything else. */
export function explainListenError(err: unknown, flag: string): CliError | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.syscall !== 'listen') return undefined;
  switch (e.code) {
    case 'EADDRINUSE':
      return new CliError(`port ${e.port} is in use: stop the other server or pass ${flag}`, { cause: err });
    case 'EACCES':
      return new CliError(`port ${e.port} needs privileges this process lacks: pass ${flag} with a port above 1023`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new CliError(`cannot listen on ${e.address}: it is not an address of this host; pass --host (127.0.0.1, or 0.0.0.0 for all)`, { cause: err });
    default:
      return undefined;
  }
}
