// `siglip perf` as a user runs it: the real bin/siglip.js in a child process. Usage errors are one line that says
// what to do, with perf_analyzer's exit code for option errors (3).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../bin/siglip.js', import.meta.url));
const siglip = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, 'perf', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
};

describe('siglip perf (CLI)', () => {
  it('--help lists every option', () => {
    const { stdout, code } = siglip('--help');
    expect(code).toBe(0);
    for (const flag of [
      '-m, --model', '-u, --url', '-i, --protocol', '-H, --header', '--concurrency-range', '--request-rate-range', '--request-distribution',
      '--request-count', '--measurement-mode', '--measurement-interval', '--measurement-request-count', '--stability-percentage',
      '--max-trials', '--percentile', '--input-data', '--shape', '-b, --batch-size', '--input-tensor-format', '--output-tensor-format',
      '--request-parameter', '--bls-composing-models', '--bls-composing', '-f, --latency-report-file', '--json', '--report', '--max-threads',
    ]) {
      expect(stdout).toContain(flag);
    }
  });

  it('asks for -m in one line', () => {
    const { code, stderr } = siglip('-u', '127.0.0.1:1');
    expect(code).not.toBe(0);
    expect(stderr).toBe("error: required option '-m, --model <name>' not specified");
  });

  it('-i grpc says when no gRPC server answers, in one line', () => {
    const { code, stderr } = siglip('-m', 'siglip_vision', '-i', 'grpc', '-u', '127.0.0.1:1');
    expect(code).toBe(3);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^siglip perf: failed to get model (metadata|config) from 127\.0\.0\.1:1: gRPC UNAVAILABLE: .*is the server running, with its gRPC port at -u\?$/);
  });

  it('says what a bad range should look like, in one line', () => {
    const { code, stderr } = siglip('-m', 'siglip_vision', '--concurrency-range', '1:2:3:4');
    expect(code).toBe(3);
    expect(stderr).toBe("siglip perf: --concurrency-range takes start[:end[:step]], e.g. 1:8:1; got '1:2:3:4'");
  });

  it('says when no server answers, in one line', () => {
    const { code, stderr } = siglip('-m', 'siglip_vision', '-u', '127.0.0.1:1');
    expect(code).toBe(3);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^siglip perf: failed to get model (metadata|config) from http:\/\/127\.0\.0\.1:1\/v2\/models\/siglip_vision.*is the server running \(-u\)\?$/);
  });
});
