/** A pino logger with the production settings (shared/log/createLogger) whose lines the test can read. */
import { pino } from 'pino';
import { loggerOptions } from '../../../shared/log/createLogger';
import type { LogLevel } from '../../../shared/log/logger';

export type LogLine = Record<string, any>;

/** The logger, every line it wrote (parsed), and the lines with a given message. */
export function logLines(level: LogLevel = 'info') {
  const lines: LogLine[] = [];
  const logger = pino(loggerOptions(level), { write: (line: string) => void lines.push(JSON.parse(line)) }).child({ service: 'gateway' });
  return { logger, lines, withMsg: (msg: string) => lines.filter((l) => l.msg === msg) };
}
