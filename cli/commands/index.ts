import type { Command } from 'commander';
import { registerBackendCommand } from './backend';
import { registerGatewayCommands } from './gateway';
import { registerModelCommands } from './model';
import { registerPerfCommand } from './perf';
import { registerServeCommand } from './serve';
import { registerValidateCommand } from './validate';

/** Adds every subcommand to the program. */
export function registerCommands(program: Command): void {
  registerServeCommand(program);
  registerBackendCommand(program);
  registerGatewayCommands(program);
  registerModelCommands(program);
  registerValidateCommand(program);
  registerPerfCommand(program);
}
