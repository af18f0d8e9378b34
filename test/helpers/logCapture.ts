import { pino, type Logger } from 'pino';

/** A pino logger that keeps every line it writes, parsed, for tests to inspect. */
export function captureLogger(level: pino.LevelWithSilent = 'info'): { logger: Logger; lines: Array<Record<string, any>> } {
  const lines: Array<Record<string, any>> = [];
  const logger = pino({ level, base: { service: 'backend' } }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}
