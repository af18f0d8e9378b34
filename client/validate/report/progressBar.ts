import cliProgress from 'cli-progress';
import type { EmbedProgress } from '../embedImages';

/** What the CLI feeds embedding progress into. */
export interface ProgressSink {
  update(p: EmbedProgress): void;
  stop(): void;
}

const UNITS = { images: 'img/s', texts: 'texts/s' } as const;

/**
 * A progress bar on `stream` (stderr) for the embedding stages: done/total, the rate of embeddings the server made
 * (cached ones excluded, so a resumed run does not report a rate it cannot keep) and the ETA at that rate. Draws
 * nothing when the stream is not a TTY.
 */
export function embeddingProgressBar(stream: NodeJS.WriteStream = process.stderr, now: () => number = () => performance.now()): ProgressSink {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  let stage: EmbedProgress['stage'] | undefined;
  let started = 0;
  return {
    update(p) {
      if (p.stage !== stage) {
        bar?.stop();
        stage = p.stage;
        started = now();
        bar = new cliProgress.SingleBar(
          { stream, hideCursor: true, format: `embedding ${p.stage.padEnd(6)} [{bar}] {value}/{total} | {rate} | ETA {etaText} | {cached} cached, {rejected} refused` },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, p.done, payload(p, 0));
        return;
      }
      const seconds = (now() - started) / 1000;
      const rate = seconds > 0 ? (p.done - p.fromCache) / seconds : 0;
      bar?.update(p.done, payload(p, rate));
    },
    stop() {
      bar?.stop();
      bar = undefined;
      stage = undefined;
    },
  };

  function payload(p: EmbedProgress, rate: number) {
    const left = p.total - p.done;
    const etaText = left === 0 ? '0s' : rate > 0 ? formatSeconds(left / rate) : '…';
    return { rate: `${rate.toFixed(1)} ${UNITS[p.stage]}`, etaText, cached: p.fromCache, rejected: p.rejected };
  }
}

/** 75 → "1m15s", 3725 → "1h02m". */
export function formatSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}
