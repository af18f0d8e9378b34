import { Command } from 'commander';
import { registerCommands } from './commands/index';

/** Builds the `siglip` program; each subcommand lives in cli/commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command('siglip')
    .description('SigLIP embedding service: Triton-compatible backend, edge gateway and model tools')
    .showHelpAfterError()
    .enablePositionalOptions();
  registerCommands(program);
  return program;
}

/** Runs the CLI with the given argv (process.argv form). */
export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
