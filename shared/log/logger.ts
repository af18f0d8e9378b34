/**
 * The logger the servers' code is written against: pino's calling convention (fields first, then the message),
 * so a pino logger fits as it is, and a runtime without pino (workerd) supplies its own.
 */

/** Writes one line: `fields` merged into the line, `msg` as its message. */
export type LogFn = (fields: object, msg: string) => void;

/** One component's logger; `child` binds fields (`component`, `model`) to every line it writes. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** Level names, most to least severe, as pino spells them; `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A level name (see LOG_LEVELS). */
export type LogLevel = (typeof LOG_LEVELS)[number];

const ignore: LogFn = () => {};

/** Writes nothing (tests, and apps built without a logger). */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore, child: () => silentLogger };
