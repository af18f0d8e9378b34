import { inspect } from 'node:util';
import { Command, CommanderError, Option } from 'commander';
import { registerCommands } from './commands/index';
import { describeError, oneLine } from './describeError';
import { CLI_VERSION } from './version';

/** Exit codes: 1 for a failure (a start-up mistake, a failed run), 2 for a usage error, as POSIX tools do. */
export const EXIT = { failure: 1, usage: 2 } as const;

/** Builds the `siglip` program; each subcommand lives in cli/commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command('siglip')
    .description('SigLIP embedding service: Triton-compatible backend, edge gateway and model tools')
    .enablePositionalOptions()
    // Commander's errors become exceptions (for runCli to map to exit code 2), and subcommands inherit this.
    .exitOverride();
  // Subcommands share this object until they configure their own output (as `perf` does).
  const inherited = program.configureOutput();
  registerCommands(program);
  for (const cmd of [program, ...descendants(program)]) {
    const name = commandPath(cmd);
    cmd.version(CLI_VERSION, '-V, --version', 'print the version and exit').addOption(new Option('--debug', 'print the stack trace of an error'));
    if (cmd.configureOutput() !== inherited) continue;
    // One line for a usage error: commander's message (and its "Did you mean" hint), then where the help is.
    cmd.configureOutput({
      outputError: (message, write) => write(`${name}: ${oneLine(message.replace(/^error: /, ''))}; see '${name} --help'\n`),
    });
  }
  return program;
}

/** Runs the CLI; resolves with the exit code for a run that must end now, or undefined while servers run on. */
export async function runCli(argv: string[], writeErr: (text: string) => void = (t) => process.stderr.write(t)): Promise<number | undefined> {
  const program = buildProgram();
  let running = 'siglip';
  program.hook('preAction', (_program, action) => {
    running = commandPath(action);
  });
  try {
    await program.parseAsync(argv);
    return undefined;
  } catch (err) {
    // Help and --version end with code 0; commander has already printed a usage error's line.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT.usage;
    writeErr(`${running}: ${describeError(err)}\n`);
    if (wantsDebug(argv)) writeErr(`${inspect(err)}\n`);
    return EXIT.failure;
  }
}

/** Runs the CLI with the given argv (process.argv form); a failure exits at once, even with a server half started. */
export async function main(argv: string[]): Promise<void> {
  const code = await runCli(argv);
  if (code !== undefined) process.exit(code);
}

function descendants(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...descendants(c)]);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

// Read from argv rather than from parsed options: it must work for errors thrown before or while parsing.
function wantsDebug(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--debug');
}
