import { describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { buildProgram } from '../../cli/main';
import type { Command } from 'commander';
import { runSiglip } from './support/cli';

const lines = (text: string) => text.split('\n').filter(Boolean);

describe('siglip usage errors', () => {
  it('an unknown option: exit code 2, one line naming it and where the help is', async () => {
    const r = await runSiglip(['serve', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("siglip serve: unknown option '--bogus'; see 'siglip serve --help'\n");
  });

  it('a bad option value: exit code 2, one line with the value and what was expected', async () => {
    const r = await runSiglip(['backend', '--port', 'eighty']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^siglip backend: option '--port <port>' argument 'eighty' is invalid\. expected an integer/)]);
  });

  it('a missing required option and an option without its value: exit code 2, one line each', async () => {
    const missing = await runSiglip(['keys', 'create']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("siglip keys create: required option '--tenant <name>' not specified; see 'siglip keys create --help'\n");
    const noValue = await runSiglip(['gateway', '--backend']);
    expect(noValue.code).toBe(2);
    expect(lines(noValue.stderr)).toEqual([expect.stringMatching(/^siglip gateway: option '--backend <url>' argument missing/)]);
  });

  it('a bad --backend is refused as a usage error before anything starts', async () => {
    const r = await runSiglip(['gateway', '--backend', 'ftp://gpu-a:8000']);
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringContaining("only http and https are supported")]);
  });
});

describe('siglip --version', () => {
  it.each([[[]], [['serve']], [['keys', 'create']], [['model', 'fetch']]])('prints the package version for siglip %j', async (path) => {
    const r = await runSiglip([...path, '--version']);
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('is an option of every command and subcommand, as is --debug', () => {
    const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
    const commands = all(buildProgram());
    expect(commands.length).toBeGreaterThan(8);
    for (const cmd of commands) {
      const flags = cmd.options.map((o) => o.long);
      expect({ command: cmd.name(), version: flags.includes('--version'), debug: flags.includes('--debug') }).toEqual({ command: cmd.name(), version: true, debug: true });
    }
  });
});
