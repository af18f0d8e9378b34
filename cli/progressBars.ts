import cliProgress from 'cli-progress';

/** Progress bars for long CLI work: one bar at a time, relabelled when the file or tower changes; cli-progress draws nothing when stderr is no TTY. */
export class ProgressBars {
  private bar?: cliProgress.SingleBar;
  private label = '';

  update(label: string, done: number, total: number): void {
    if (label !== this.label) {
      this.bar?.stop();
      this.label = label;
      this.bar = new cliProgress.SingleBar(
        { format: `${label.padEnd(24)} [{bar}] {percentage}% | {doneMB}/{totalMB} MB | {eta_formatted}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, done, mb(done, total));
    }
    this.bar?.update(done, mb(done, total));
  }

  stop(): void {
    this.bar?.stop();
  }
}

function mb(done: number, total: number): { doneMB: string; totalMB: string } {
  return { doneMB: (done / 1e6).toFixed(1), totalMB: (total / 1e6).toFixed(1) };
}
