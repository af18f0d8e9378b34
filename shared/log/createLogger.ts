/**
 * The one place a Node process builds its pino logger (the CLI's server commands): level names, ISO times,
 * JSON lines, or pino-pretty's human format when stdout is a terminal.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogLevel } from './logger';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  level?: LogLevel;
  /** Human-readable lines instead of JSON; the CLI passes `process.stdout.isTTY`. */
  pretty?: boolean;
  /** Where lines go (tests); defaults to stdout. Pretty lines are written to it as text, uncoloured. */
  destination?: DestinationStream;
}

/** pino's settings for our conventions: `level` as a name, `time` in ISO form, no pid/hostname. */
export function loggerOptions(level: LogLevel = 'info'): LoggerOptions {
  return {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

/** Builds the root logger; components take `.child({ service })` of it. */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const { destination } = options;
  if (!options.pretty) return destination ? pino(loggerOptions(options.level), destination) : pino(loggerOptions(options.level));
  // In-process and synchronous: a line is on the terminal before the process can exit after writing it.
  const pretty = pinoPretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l', destination: destination ?? 1, colorize: destination === undefined });
  return pino(loggerOptions(options.level), pretty);
}
