import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const CLI = fileURLToPath(new URL('../bin/siglip.js', import.meta.url));

/** A server started as a child process of the bench, so the load generator does not share its event loop. */
export interface ChildServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs `siglip <args>` and waits for the JSON log line with `msg` (e.g. "backend ready"), whose `url` field
 * says where it listens.
 */
export function startCli(args: string[], readyMsg: string, env: Record<string, string> = {}): Promise<ChildServer> {
  return startScript(CLI, args, readyMsg, env);
}

/** Runs a Node script the same way as `startCli` (the bench's reference proxy, for one). */
export function startScript(script: string, args: string[], readyMsg: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let rec: { msg?: string; url?: string };
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (rec.msg === readyMsg && rec.url) {
        resolve({
          url: rec.url,
          child,
          stop: () =>
            new Promise((done) => {
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`${script} ${args.join(' ')} exited with ${code} before ready: ${stderr.slice(-2000)}`)));
  });
}
