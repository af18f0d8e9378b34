import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../cli/main';
import { embeddingProgressBar, formatSeconds } from '../../client/validate/report/progressBar';

const CLI = fileURLToPath(new URL('../../bin/siglip.js', import.meta.url));

describe('siglip validate', () => {
  it('--help describes every option', () => {
    const help = buildProgram().commands.find((c) => c.name() === 'validate')!.helpInformation();
    for (const flag of ['--data <dir>', '--url <url>', '--api-key <key>', '--classes <n>', '--train-per-class <n>', '--valid-per-class <n>', '--seed <s>', '--concurrency <n>', '--templates <file>', '--cache <dir>', '--no-cache', '--no-ensemble', '--out <dir>']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('http://127.0.0.1:8000');
    expect(help).toContain('KNeighborsClassifier(n_neighbors=10,');
    expect(help).toContain('--data <dir>           dataset folder');
  });

  it('fails with one line that says what to do', () => {
    const r = spawnSync(process.execPath, [CLI, 'validate', '--data', '/nonexistent/imagenet', '--no-cache'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'siglip validate: cannot read /nonexistent/imagenet/LOC_synset_mapping.txt (ENOENT): --data must be a folder with LOC_synset_mapping.txt, train/ and valid/\n',
    );
  });
});

describe('embedding progress bar', () => {
  const progress = { stage: 'images' as const, done: 1, total: 10, fromCache: 0, rejected: 0 };

  it('draws nothing when stderr is not a TTY', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let written = 0;
    (stream as unknown as PassThrough).on('data', () => written++);
    const bar = embeddingProgressBar(stream);
    bar.update(progress);
    bar.update({ ...progress, done: 5 });
    bar.stop();
    expect(written).toBe(0);
  });

  it('shows done/total, the rate of images the server embedded and the ETA at that rate', () => {
    const out: string[] = [];
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 }) as unknown as NodeJS.WriteStream;
    (stream as unknown as PassThrough).on('data', (c: Buffer) => out.push(c.toString()));
    let now = 0;
    const bar = embeddingProgressBar(stream, () => now);
    bar.update({ ...progress, done: 0 });
    now = 2000; // 2 s later: 4 embedded, 2 from the cache
    bar.update({ ...progress, done: 6, fromCache: 2 });
    bar.stop();
    const text = out.join('');
    expect(text).toContain('6/10 | 2.0 img/s | ETA 2s | 2 cached, 0 refused');
  });

  it('formats the ETA in s, m and h', () => {
    expect([formatSeconds(5), formatSeconds(75), formatSeconds(3725)]).toEqual(['5s', '1m15s', '1h02m']);
  });
});
