import type { Command } from 'commander';
import { startBackend } from '../../gpu-backend/server';
import { onShutdown } from '../shutdown';
import { addBackendOptions, backendOptionsFrom } from './backend';

/** `siglip serve`: the backend, and the gateway in front of it. What `npm start` runs. */
export function registerServeCommand(program: Command): void {
  addBackendOptions(program.command('serve').description('run the backend (:8000) and the gateway (:8080) together')).action(
    async (o: Record<string, unknown>) => {
      const backend = await startBackend(backendOptionsFrom(o));
      onShutdown(() => backend.close());
    },
  );
}
