import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The project root, where `node bin/siglip.js` runs as `npm start` would run it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A `siglip backend` child process, with its pino log lines parsed. */
export interface BackendProcess {
  url: string;
  child: ChildProcess;
  /** Every JSON log line written to stdout so far. */
  logs: Array<Record<string, any>>;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves once stderr matches `pattern`. */
  waitForStderr(pattern: RegExp): Promise<void>;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process if it is still running (cleanup only). */
  kill(): Promise<void>;
}

/** Spawns `node bin/siglip.js backend --port 0 ARGS` and resolves with its URL once it logs "backend ready". */
export function spawnBackend(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BackendProcess> {
  const child = spawn(process.execPath, ['bin/siglip.js', 'backend', '--port', '0', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, any>> = [];
  let stderr = '';
  const stderrWaiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const w of stderrWaiters.splice(0)) {
      if (w.pattern.test(stderr)) w.resolve();
      else stderrWaiters.push(w);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, any>;
      try {
        entry = JSON.parse(line);
      } catch {
        return; // not a log line
      }
      logs.push(entry);
      if (entry.msg === 'backend ready') {
        resolve({
          url: entry.url,
          child,
          logs,
          stderr: () => stderr,
          waitForStderr: (pattern) =>
            pattern.test(stderr) ? Promise.resolve() : new Promise<void>((done) => stderrWaiters.push({ pattern, resolve: done })),
          exited,
          async kill() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`siglip backend exited (code ${code}, signal ${signal}) before it was ready:\n${stderr}`)));
  });
}
