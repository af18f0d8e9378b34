/**
 * Triton's logging extension (GET/POST /v2/logging) over the backend's pino logger: log_info, log_warning,
 * log_error and log_verbose_level pick the logger's level at run time. The backend logs JSON lines to stdout,
 * so log_file and other formats are refused with a clear error instead of being accepted and ignored.
 */
import type { Logger } from 'pino';
import { invalidArgument } from '../../shared/errors';

/** The settings as Triton reports them. */
export interface TritonLogSettings {
  log_file: string;
  log_info: boolean;
  log_warning: boolean;
  log_error: boolean;
  log_verbose_level: number;
  log_format: string;
}

export class LogSettings {
  private state: TritonLogSettings;

  constructor(private readonly logger: Pick<Logger, 'level'>) {
    const level = logger.level;
    const at = (l: string) => ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].indexOf(level) <= ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].indexOf(l) && level !== 'silent';
    this.state = {
      log_file: '',
      log_info: at('info'),
      log_warning: at('warn'),
      log_error: at('error'),
      log_verbose_level: level === 'trace' ? 2 : level === 'debug' ? 1 : 0,
      log_format: 'default',
    };
  }

  get(): TritonLogSettings {
    return { ...this.state };
  }

  /** Applies a POST body; unknown or unsupported settings are refused as a whole (nothing changes). */
  update(body: unknown): TritonLogSettings {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidArgument('logging settings must be a JSON object');
    const next = { ...this.state };
    for (const [key, v] of Object.entries(body)) {
      switch (key) {
        case 'log_info':
        case 'log_warning':
        case 'log_error':
          if (typeof v !== 'boolean') throw invalidArgument(`${key} must be a boolean`);
          next[key] = v;
          break;
        case 'log_verbose_level':
          if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidArgument('log_verbose_level must be a non-negative integer');
          next.log_verbose_level = v;
          break;
        case 'log_file':
          if (v !== '') throw invalidArgument('log_file is not supported: the backend writes JSON lines to stdout; redirect stdout to keep a file');
          break;
        case 'log_format':
          if (v !== 'default') throw invalidArgument(`log_format '${String(v)}' is not supported: the backend's format is JSON lines with ISO times ('default')`);
          break;
        default:
          throw invalidArgument(`unknown logging setting '${key}' (known: log_file, log_info, log_warning, log_error, log_verbose_level, log_format)`);
      }
    }
    this.state = next;
    this.logger.level = next.log_verbose_level >= 2 ? 'trace' : next.log_verbose_level === 1 ? 'debug' : next.log_info ? 'info' : next.log_warning ? 'warn' : next.log_error ? 'error' : 'silent';
    return this.get();
  }
}
