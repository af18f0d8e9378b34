/**
 * A Logger that writes pino-shaped JSON lines through `console` (workerd has no pino transport): `level` as a
 * name, `time` in ISO form, the bound fields, the line's fields, then `msg`.
 */
import { LOG_LEVELS, type LogFn, type Logger, type LogLevel } from './logger';

/** Options of {@link consoleJsonLogger}. */
export interface ConsoleJsonLoggerOptions {
  level?: LogLevel;
  /** Fields on every line (`service`). */
  bindings?: Record<string, unknown>;
  /** Where a finished line goes; defaults to console.log (console.error for warn and error). */
  write?: (line: string, level: LogLevel) => void;
  now?: () => Date;
}

const rank = (level: LogLevel) => LOG_LEVELS.indexOf(level);

const defaultWrite = (line: string, level: LogLevel) => (rank(level) <= rank('warn') ? console.error(line) : console.log(line));

/** Builds the logger; lines below `level` cost one comparison. */
export function consoleJsonLogger(options: ConsoleJsonLoggerOptions = {}): Logger {
  const threshold = rank(options.level ?? 'info');
  const write = options.write ?? defaultWrite;
  const now = options.now ?? (() => new Date());
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: LogLevel): LogFn =>
      threshold === rank('silent') || rank(level) > threshold
        ? () => {}
        : (fields, msg) => write(JSON.stringify({ level, time: now().toISOString(), ...bindings, ...serializeErrors(fields), msg }), level);
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => make({ ...bindings, ...more }) };
  };
  return make(options.bindings ?? {});
}

// Errors stringify to {}: give them pino's err shape (type, message, stack).
function serializeErrors(fields: object): object {
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) (out ??= { ...fields })[k] = { type: v.name, message: v.message, stack: v.stack };
  }
  return out ?? fields;
}
