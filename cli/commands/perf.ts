import { Option, type Command } from 'commander';
import { EXIT_CODE, PerfStabilityError, PerfUsageError } from '../../client/perf/errors';
import { resolvePerfOptions, type PerfOptionsInput } from '../../client/perf/options/perfOptions';
import { runPerf } from '../../client/perf/runPerf';
import { oneLine } from '../describeError';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `siglip perf`: perf_analyzer's measurement against a KServe v2 server (this backend, the gateway, Triton). Flag
 * names and defaults are perf_analyzer's (its docs/cli.md); the few that are ours say so.
 */
export function registerPerfCommand(program: Command): void {
  program
    .command('perf')
    .description("measure throughput and latency the way Triton's perf_analyzer does (KServe v2 over HTTP or gRPC)")
    .showHelpAfterError(false)
    // perf_analyzer's way: commander's own "error: ..." line, kept to one line (exit code 2, like every usage error).
    .configureOutput({ outputError: (message, write) => write(`${oneLine(message)}\n`) })
    .requiredOption('-m, --model <name>', 'model to measure')
    .option('-x, --model-version <version>', 'model version (default: the server picks)')
    .option('-u, --url <url>', 'server: host:port or http(s)://host:port[/prefix] (default 127.0.0.1:8000; with -i grpc, its gRPC port: localhost:8001)')
    .addOption(new Option('-i, --protocol <protocol>', 'protocol: KServe v2 over HTTP/REST, or over gRPC (raw_input_contents)').choices(['http', 'grpc']).default('http'))
    .option('-H, --header <header>', "extra HTTP header 'Name: value' (repeatable), e.g. -H 'Authorization: Bearer KEY'", collect)
    .option('--concurrency-range <start:end:step>', 'closed loop: concurrent requests to sweep (default 1)')
    .option('--request-rate-range <start:end:step>', 'open loop: requests per second to sweep (sends are scheduled, replies or not)')
    .addOption(new Option('--request-distribution <kind>', 'inter-arrival times in request-rate mode').choices(['constant', 'poisson']))
    .option('--request-count <n>', 'measure exactly n requests per point (one window) instead of windows until stable')
    .option('--warmup-request-count <n>', 'requests sent and discarded before each point', '0')
    .addOption(new Option('--measurement-mode <mode>', 'how windows are made').choices(['time_windows', 'count_windows']).default('time_windows'))
    .option('-p, --measurement-interval <ms>', 'length of a time window', '5000')
    .option('--measurement-request-count <n>', 'requests per count window (count_windows)', '50')
    .option('-s, --stability-percentage <pct>', 'the last 3 windows are stable when max/min of throughput and latency is within this', '10')
    .option('-r, --max-trials <n>', 'windows per point before giving up on stability', '10')
    .option('--percentile <p>', 'judge stability on this latency percentile instead of the average (and report it)')
    .option('-l, --latency-threshold <ms>', 'stop the sweep once latency reaches this (0: no limit)', '0')
    .option('-b, --batch-size <n>', 'batch size of each request', '1')
    .option('--input-data <source>', 'zero, random, a directory, or a perf_analyzer JSON file (repeatable)', collect)
    .option('--shape <name:dims>', 'shape of a variable-sized input, e.g. INPUT:3,224,224 (repeatable)', collect)
    .option('--string-length <n>', 'length of random strings for BYTES inputs', '128')
    .option('--string-data <text>', 'string to send for BYTES inputs instead of random ones')
    .addOption(
      new Option('--input-tensor-format <format>', "inputs as binary tensors, JSON, or raw: Triton's raw binary request (ours: Inference-Header-Content-Length: 0, the body is the one input)")
        .choices(['binary', 'json', 'raw'])
        .default('binary'),
    )
    .addOption(new Option('--output-tensor-format <format>', 'outputs requested as').choices(['binary', 'json']).default('binary'))
    .option('--request-parameter <name:value:type>', 'request parameter (type bool, int or string), e.g. base64_encoded:true:bool (repeatable)', collect)
    .option('--bls-composing-models <list>', "models (name[:version],...) whose server stats are reported under the model's", collect)
    .option('--bls-composing <list>', 'same as --bls-composing-models', collect)
    .option('--max-threads <n>', 'sender threads (default: min(4, cores), at most the concurrency)')
    .option('-f, --latency-report-file <path>', "write perf_analyzer's CSV latency report")
    .option('--verbose-csv', 'add the verbose columns to the CSV', false)
    .option('--json <path>', 'write every point as JSON (ours)')
    .option('--report <path>', 'write a self-contained HTML report with charts (ours)')
    .option('-v, --verbose', 'print every measurement window', false)
    .action(async (o: Record<string, unknown>) => {
      const io = { out: (l: string) => process.stdout.write(`${l}\n`), err: (l: string) => process.stderr.write(`${l}\n`) };
      try {
        await runPerf(resolvePerfOptions(toInput(o)), io);
      } catch (err) {
        if (err instanceof PerfUsageError) process.exitCode = EXIT_CODE.option;
        else if (err instanceof PerfStabilityError) process.exitCode = EXIT_CODE.stability;
        else process.exitCode = EXIT_CODE.generic;
        io.err(`siglip perf: ${(err as Error).message}`);
      }
    });
}

function toInput(o: Record<string, unknown>): PerfOptionsInput {
  const s = (k: string) => o[k] as string | undefined;
  const list = (k: string) => o[k] as string[] | undefined;
  return {
    model: s('model')!,
    modelVersion: s('modelVersion'),
    url: s('url'),
    protocol: s('protocol'),
    header: list('header'),
    concurrencyRange: s('concurrencyRange'),
    requestRateRange: s('requestRateRange'),
    requestDistribution: s('requestDistribution'),
    requestCount: s('requestCount'),
    warmupRequestCount: s('warmupRequestCount'),
    measurementMode: s('measurementMode'),
    measurementInterval: s('measurementInterval'),
    measurementRequestCount: s('measurementRequestCount'),
    stabilityPercentage: s('stabilityPercentage'),
    maxTrials: s('maxTrials'),
    percentile: s('percentile'),
    latencyThreshold: s('latencyThreshold'),
    batchSize: s('batchSize'),
    inputData: list('inputData'),
    shape: list('shape'),
    stringLength: s('stringLength'),
    stringData: s('stringData'),
    inputTensorFormat: s('inputTensorFormat'),
    outputTensorFormat: s('outputTensorFormat'),
    requestParameter: list('requestParameter'),
    blsComposingModels: [...(list('blsComposingModels') ?? []), ...(list('blsComposing') ?? [])],
    maxThreads: s('maxThreads'),
    filename: s('latencyReportFile'),
    verboseCsv: o.verboseCsv as boolean,
    json: s('json'),
    report: s('report'),
    verbose: o.verbose as boolean,
  };
}
