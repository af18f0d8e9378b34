import { Option, type Command } from 'commander';
import { pino } from 'pino';
import { ensureDevTenant, DEFAULT_KEYS_FILE } from '../../gateway/auth/keysFileWriter';
import { startGateway } from '../../gateway/node';
import { ensureModel } from '../../gpu-backend/convert/ensureModel';
import { startBackend } from '../../gpu-backend/server';
import { onShutdown } from '../shutdown';
import { addBackendOptions, backendOptionsFrom } from './backend';
import { ProgressBars } from '../progressBars';
import { hubEnvironment } from './model';
import { parseInteger } from '../optionParsers';


/** `siglip serve`: the backend, and the gateway in front of it. What `npm start` runs. */
export function registerServeCommand(program: Command): void {
  addBackendOptions(program.command('serve').description('run the backend (:8000) and the gateway (:8080) together'))
    .option('--model <repo>', 'serve this hub checkpoint (e.g. google/siglip-so400m-patch14-384): fetched and converted on first use')
    .option('--models-dir <dir>', 'where --model keeps checkpoints and its converted model repository', 'models')
    .addOption(new Option('--flavor <flavor>', 'graph for --model: cuda (fp16, fused ORT CUDA ops) or portable').choices(['cuda', 'portable']).default('cuda'))
    .option('--gateway-port <port>', 'port of the gateway', parseInteger, 8080)
    .option('--keys <file>', 'gateway keys file; a dev tenant is created on first start', DEFAULT_KEYS_FILE)
    .option('--no-gateway', 'run the backend alone')
    .action(async (o: Record<string, unknown>) => {
      const log = pino({ level: (o.logLevel as string) ?? 'info', base: { service: 'serve' } });
      const backendOpts = backendOptionsFrom(o);
      if (typeof o.model === 'string') {
        const modelsDir = o.modelsDir as string;
        const bars = new ProgressBars();
        const flavor = o.flavor as 'cuda' | 'portable';
        const done = await ensureModel({
          repo: o.model,
          cacheDir: `${modelsDir}/hub`,
          modelRepository: `${modelsDir}/repository`,
          flavor,
          dtype: flavor === 'cuda' ? 'fp16' : 'fp32',
          ...hubEnvironment(),
          onProgress: (p) => (p.stage === 'fetch' ? bars.update(p.file, p.done, p.total) : bars.update(`convert ${p.tower}`, p.done, p.total)),
        });
        bars.stop();
        log.info({ model: o.model, repository: done.modelRepository, converted: done.converted }, 'model ready');
        backendOpts.modelRepository = done.modelRepository;
      }
      let stop: () => Promise<void> = async () => {};
      onShutdown(() => stop());
      const backend = await startBackend(backendOpts);
      stop = () => backend.close();
      if (o.gateway === false) return;
      const dev = await ensureDevTenant(o.keys as string);
      if (dev) {
        process.stderr.write(
          `\nCreated tenant 'dev' in ${o.keys}. Its API key (shown only this once; only its SHA-256 is stored):\n\n  ${dev.key}\n\n` +
            `  curl -H "Authorization: Bearer ${dev.key}" http://127.0.0.1:${o.gatewayPort}/v2/models/siglip_vision\n\n`,
        );
      }
      const gateway = await startGateway({
        port: o.gatewayPort as number,
        host: backendOpts.host,
        backends: [backend.url],
        keysFile: o.keys as string,
        backendToken: backendOpts.requireToken,
      });
      pino({ base: { service: 'gateway' } }).info({ url: gateway.url }, 'gateway ready');
      stop = async () => {
        await gateway.close();
        await backend.close();
      };
    });
}
