import { availableParallelism } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createTenantKey, DEFAULT_KEYS_FILE } from '../../gateway/auth/keysFileWriter';
import { parseBackendList } from '../../gateway/config';
import { startGateway } from '../../gateway/node';
import { CliError } from '../cliError';
import { bindingWith } from '../listenErrors';
import { addLogLevelOption, loggerFrom } from '../logOptions';
import { onReloadSignal } from '../reloadSignal';
import { onShutdown } from '../shutdown';
import { parseInteger, parsePort, parsePositive } from '../optionParsers';

// Each --backend is checked as it is parsed, so a bad one is a usage error rather than a failed start.
const collectBackend = (v: string, prev: string[] | undefined) => {
  try {
    parseBackendList([v]);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return [...(prev ?? []), v];
};

/** `siglip gateway` and `siglip keys create`. */
export function registerGatewayCommands(program: Command): void {
  const gateway = program
    .command('gateway')
    .description('serve the edge gateway on Node (auth, rate limits, validation, load balancing) in front of backends')
    .option('--port <port>', 'port to listen on', parsePort, 8080)
    .option('--host <host>', 'address to bind (loopback unless told otherwise)', '127.0.0.1')
    .option('--backend <url>', 'backend origin, `URL` or `name=URL`; repeat for several (default http://127.0.0.1:8000)', collectBackend)
    .option('--keys <file>', 'keys file (create keys with `siglip keys create`)', DEFAULT_KEYS_FILE)
    .addOption(new Option('--backend-token <secret>', 'shared secret sent to backends as x-siglip-gateway-token').env('SIGLIP_GATEWAY_TOKEN'))
    .option('--require-token', 'refuse to start without a backend token (--backend-token or SIGLIP_GATEWAY_TOKEN)', false)
    .option('--request-timeout <ms>', 'per-request timeout; past it the client gets 504', parseInteger, 30_000)
    .option('--max-body-wait <ms>', 'how long a request waits for room among the bodies in flight (256 MiB) before a 503; 0 refuses at once', parseInteger, 10_000)
    .option('--http-threads <n>', 'threads that accept on --port and serve requests off the main thread, which keeps the rate limits (0: none; default: half the cores, 1 to 8)', parseInteger)
    .addOption(new Option('--limiter-failure <mode>', 'when the rate limiter is unreachable: closed (503) or open').choices(['closed', 'open']).default('closed'));
  addLogLevelOption(gateway).action(async (o: Record<string, unknown>) => {
    if (o.requireToken && !o.backendToken) throw new CliError('--require-token: give --backend-token or set SIGLIP_GATEWAY_TOKEN');
    const log = loggerFrom(o).child({ service: 'gateway' });
    const gw = await bindingWith('--port', () =>
      startGateway(
        {
          port: o.port as number,
          host: o.host as string,
          backends: (o.backend as string[] | undefined) ?? ['http://127.0.0.1:8000'],
          keysFile: o.keys as string,
          backendToken: o.backendToken as string | undefined,
          requestTimeoutMs: o.requestTimeout as number,
          maxBodyWaitMs: o.maxBodyWait as number,
          limiterFailure: o.limiterFailure as 'closed' | 'open',
          httpThreads: (o.httpThreads as number | undefined) ?? Math.max(1, Math.min(8, Math.floor(availableParallelism() / 2))),
          logLevel: o.logLevel as never,
        },
        log,
      ),
    );
    // One line, like the backend's "backend ready", so scripts and the bench can find the URL.
    log.info({ url: gw.url, httpThreads: gw.httpThreads }, 'gateway ready');
    onReloadSignal(() => gw.reloadKeys(), log, { keys: o.keys });
    onShutdown(() => gw.close());
  });

  program
    .command('keys')
    .description('manage gateway API keys')
    .command('create')
    .description('create a key for a tenant; prints it once and stores only its SHA-256')
    .requiredOption('--tenant <name>', 'tenant name')
    .option('--keys <file>', 'keys file', DEFAULT_KEYS_FILE)
    .option('--models <list>', 'comma-separated models the tenant may use (* for all)')
    .option('--rate <n>', 'sustained rate, images per second', parsePositive)
    .option('--burst <n>', 'bucket size: the largest burst and the largest batch', parseInteger)
    .option('--kv', 'also print the `wrangler kv key put` command for the Workers gateway', false)
    .action(async (o: Record<string, unknown>) => {
      const created = await createTenantKey(o.keys as string, {
        tenant: o.tenant as string,
        models: typeof o.models === 'string' ? o.models.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
        rate: o.rate as number | undefined,
        burst: o.burst as number | undefined,
      });
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`tenant '${created.tenant}': key ${created.id} created; its SHA-256 is stored in ${o.keys as string}. The key is shown only this once.\n`);
      if (o.kv) {
        const json = JSON.stringify(created.record).replace(/'/g, `'\\''`);
        process.stderr.write(`Workers: npx wrangler kv key put --binding KEYS --remote '${created.kvKey}' '${json}'\n`);
      }
    });
}
