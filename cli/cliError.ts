/**
 * A mistake the user can fix (a port in use, a missing directory, a short secret): the CLI prints its message
 * as one line and exits 1, with the stack only under --debug.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
}
