import type { Command } from 'commander';
import { registerBackendCommand } from './backend';
import { registerGatewayCommands } from './gateway';
import { registerModelCommands } from './model';
import { registerServeCommand } from './serve';

/** Adds every subcommand to the program. */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerBackendCommand(program);
  registerGatewayCommands(program);
  registerModelCommands(program);
}
