/** Any error as the one line the CLI prints: the message alone, never the stack. */
import { ZodError } from 'zod';

// Option keys whose flag is not their kebab-case form.
const FLAG_OF: Record<string, string> = { strictProvider: '--strict' };

/** The message of `err` on one line; a validation error names the option to change. */
export function describeError(err: unknown): string {
  if (err instanceof ZodError) return describeZodError(err);
  return oneLine(err instanceof Error ? err.message || err.name : String(err));
}

/** A message on one line (commander puts its "Did you mean" hint, and some errors their detail, on a line of their own). */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

// Options are validated with zod at start-up (e.g. backendOptionsSchema): its first issue, named as a flag.
function describeZodError(err: ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid options';
  const [key, ...rest] = issue.path.map(String);
  const where = key === undefined ? 'options' : [FLAG_OF[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, ...rest].join('.');
  return `${where}: ${issue.message}`;
}
