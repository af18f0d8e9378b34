import { InvalidArgumentError, type Command } from 'commander';
import { embeddingProgressBar } from '../../client/validate/report/progressBar';
import { renderMethodComparison, renderResultsTable } from '../../client/validate/report/resultsMarkdown';
import { writeResults } from '../../client/validate/report/writeResults';
import { DEFAULT_CACHE_DIR, DEFAULT_CONCURRENCY, DEFAULT_URL, runValidate } from '../../client/validate/runValidate';
import { parseInteger } from '../optionParsers';

interface ValidateCliOptions {
  data: string;
  url: string;
  apiKey?: string;
  classes?: number;
  trainPerClass?: number;
  validPerClass?: number;
  seed: number;
  concurrency: number;
  templates?: string;
  cache: string | false;
  ensemble: boolean;
  out?: string;
}

/** Adds `siglip validate`: the old deployment's ImageNet accuracy check, against any server speaking KServe v2. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      "embed an ImageNet-style dataset through a server's embed_image and embed_text and print the old deployment's accuracy table " +
        '(10-shot kNN and zero-shot top-1/top-5, scored as scikit-learn KNeighborsClassifier(n_neighbors=10, weights="distance", metric="cosine") ' +
        'with top_k_accuracy_score), plus the 80-template prompt ensemble scored by argmax cosine',
    )
    .requiredOption('--data <dir>', 'dataset folder: LOC_synset_mapping.txt, train/<synset>/<synset>_<n>.JPEG, valid/<synset>/<synset>_<n>.JPEG')
    .option('--url <url>', 'server base URL: the backend, the gateway, or a Triton serving embed_image and embed_text', DEFAULT_URL)
    .option('--api-key <key>', 'API key for the gateway, sent as Authorization: Bearer <key>')
    .option('--classes <n>', 'use n classes, chosen by --seed (default: all)', positiveInteger)
    .option('--train-per-class <n>', 'use at most n train images per class, chosen by --seed (default: all)', positiveInteger)
    .option('--valid-per-class <n>', 'use at most n valid images per class, chosen by --seed (default: all)', positiveInteger)
    .option('--seed <s>', 'seed of the subset choice; the same seed always picks the same images', parseInteger, 0)
    .option('--concurrency <n>', 'requests in flight at once, over keep-alive connections', positiveInteger, DEFAULT_CONCURRENCY)
    .option('--templates <file>', 'more zero-shot templates, one per line: {text} is the class description, {label} its synset')
    .option('--cache <dir>', 'embedding cache, keyed by file content and model identity; a rerun embeds only what is missing', DEFAULT_CACHE_DIR)
    .option('--no-cache', 'embed everything again and keep nothing')
    .option('--no-ensemble', 'skip the 80 CLIP ImageNet templates (80 prompts per class to embed)')
    .option('--out <dir>', 'write results.json (every figure and the settings), results.md and per_class_accuracy.csv')
    .addHelpText(
      'after',
      [
        '',
        'The table goes to stdout; progress, cache use and refused images to stderr. A corrupt image (answered 400)',
        'is reported, counted and left out. 503 and 429 answers are retried, honouring Retry-After.',
        '',
        'Example (ImageNet subset: 1,000 classes, 10 train and 20 valid images each):',
        '  siglip validate --data ~/imagenet-subset --url http://127.0.0.1:8000 --out results/',
      ].join('\n'),
    )
    .action(async (o: ValidateCliOptions) => {
      const bar = embeddingProgressBar(process.stderr);
      const note = (line: string) => {
        bar.stop();
        process.stderr.write(`${line}\n`);
      };
      // Ctrl-C stops sending and lets the cache finish its writes; a second one exits at once.
      const interrupt = new AbortController();
      const onSignal = () => {
        if (interrupt.signal.aborted) process.exit(130);
        interrupt.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await runValidate({
          data: o.data,
          url: o.url,
          apiKey: o.apiKey,
          classes: o.classes,
          trainPerClass: o.trainPerClass,
          validPerClass: o.validPerClass,
          seed: o.seed,
          concurrency: o.concurrency,
          templatesFile: o.templates,
          cacheDir: o.cache,
          ensemble: o.ensemble,
          onProgress: (p) => bar.update(p),
          onRejected: (r) => note(`refused by the server, skipped: ${r.name}: ${r.error}`),
          log: note,
          signal: interrupt.signal,
        }).finally(() => bar.stop());
        const c = result.counts;
        process.stderr.write(
          `${c.trainImages + c.validImages} images scored (${c.imagesEmbedded} embedded, ${c.imagesFromCache} from the cache, ${c.rejectedImages} refused); ` +
            `${c.textsEmbedded + c.textsFromCache} prompts (${c.textsEmbedded} embedded); scoring ${(result.timings.scoringMs / 1000).toFixed(1)} s\n`,
        );
        const notes = result.notes.map((n) => `- ${n}`).join('\n');
        process.stdout.write(`${renderResultsTable(result.rows)}\n\n${renderMethodComparison(result.rows)}\n${notes ? `\n${notes}\n` : ''}`);
        if (o.out) process.stderr.write(`wrote ${(await writeResults(o.out, result)).join(', ')}\n`);
      } catch (err) {
        if (interrupt.signal.aborted) {
          const kept = o.cache ? `what was embedded is cached in ${o.cache}; run the same command again to continue` : 'nothing was cached (--no-cache)';
          process.stderr.write(`siglip validate: interrupted; ${kept}\n`);
          process.exitCode = 130;
        } else {
          process.stderr.write(`siglip validate: ${(err as Error).message}\n`);
          process.exitCode = 1;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function positiveInteger(value: string): number {
  const n = parseInteger(value);
  if (n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}
