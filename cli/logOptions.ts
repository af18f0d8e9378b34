/** `--log-level` on every server command, and the logger it sets up. */
import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import { createLogger } from '../shared/log/createLogger';
import { LOG_LEVELS, type LogLevel } from '../shared/log/logger';

/** Adds `--log-level`; info writes one access line per request. */
export function addLogLevelOption(cmd: Command): Command {
  return cmd.addOption(new Option('--log-level <level>', 'log level (info: one access line per request)').choices(LOG_LEVELS).default('info'));
}

/** The process's root logger: JSON lines, or a human format when stdout is a terminal. */
export function loggerFrom(o: Record<string, unknown>): Logger {
  return createLogger({ level: o.logLevel as LogLevel, pretty: Boolean(process.stdout.isTTY) });
}
