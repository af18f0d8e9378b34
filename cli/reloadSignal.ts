/** SIGHUP reloads the gateway's keys file, as daemons reload their configuration; it never stops a server. */
import type { Logger } from '../shared/log/logger';

/** Runs `reload` on each SIGHUP and logs how it went; a failed reload keeps the keys already loaded. */
export function onReloadSignal(reload: () => Promise<void>, log: Logger, fields: Record<string, unknown>): void {
  process.on('SIGHUP', () => {
    reload().then(
      () => log.info(fields, 'keys reloaded'),
      (err: Error) => log.error({ ...fields, error: err.message }, 'keys not reloaded; keeping the previous ones'),
    );
  });
}
