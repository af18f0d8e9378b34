import { Option, type Command } from 'commander';
import { ensureDevTenant, DEFAULT_KEYS_FILE } from '../../gateway/auth/keysFileWriter';
import { startGateway, type RunningGateway } from '../../gateway/node';
import { ensureModel } from '../../model-tools/ensureModel';
import { startBackend } from '../../gpu-backend/server';
import { probeCudaProvider } from '../cudaProbe';
import { chooseFlavor, type FlavorRequest } from '../flavorChoice';
import { bindingWith } from '../listenErrors';
import { loggerFrom } from '../logOptions';
import { parsePort } from '../optionParsers';
import { ProgressBars } from '../progressBars';
import { onReloadSignal } from '../reloadSignal';
import { onShutdown } from '../shutdown';
import { checkModelRepository, checkRequireToken } from '../startupChecks';
import { addBackendOptions, backendOptionsFrom } from './backend';
import { hubEnvironment } from './model';

/** `siglip serve`: the backend, and the gateway in front of it. What `npm start` runs. */
export function registerServeCommand(program: Command): void {
  addBackendOptions(program.command('serve').description('run the backend (:8000) and the gateway (:8080) together'))
    .option('--model <repo>', 'serve this hub checkpoint (e.g. google/siglip-so400m-patch14-384): fetched and converted on first use')
    .option('--models-dir <dir>', 'where --model keeps checkpoints and its converted model repository', 'models')
    .addOption(
      new Option('--flavor <flavor>', 'graph for --model: cuda (fp16, fused ORT CUDA ops), portable (fp32), or auto: cuda where the CUDA provider loads')
        .choices(['auto', 'cuda', 'portable'])
        .default('auto'),
    )
    .option('--gateway-port <port>', 'port of the gateway', parsePort, 8080)
    .option('--keys <file>', 'gateway keys file; a dev tenant is created on first start; SIGHUP reloads it', DEFAULT_KEYS_FILE)
    .option('--no-gateway', 'run the backend alone')
    .action(async (o: Record<string, unknown>) => {
      checkRequireToken(o.requireToken as string | undefined);
      const root = loggerFrom(o);
      const log = root.child({ service: 'serve' });
      const backendOpts = backendOptionsFrom(o);
      // SIGHUP reloads the keys, as under `siglip gateway`; handled from the start, so an early one cannot kill.
      let gateway: RunningGateway | undefined;
      onReloadSignal(
        async () => {
          if (o.gateway === false) throw new Error('no gateway runs (--no-gateway)');
          if (!gateway) throw new Error('the gateway has not started yet; it reads the keys file when it does');
          await gateway.reloadKeys();
        },
        root.child({ service: 'gateway' }),
        { keys: o.keys },
      );
      if (typeof o.model === 'string') {
        const modelsDir = o.modelsDir as string;
        const choice = await chooseFlavor(o.flavor as FlavorRequest, backendOpts.providers, () => probeCudaProvider());
        log.info({ model: o.model, flavor: choice.flavor, dtype: choice.dtype, reason: choice.reason }, 'graph flavor chosen');
        const bars = new ProgressBars();
        const done = await ensureModel({
          repo: o.model,
          cacheDir: `${modelsDir}/hub`,
          modelRepository: `${modelsDir}/repository`,
          flavor: choice.flavor,
          dtype: choice.dtype,
          ...hubEnvironment(),
          onProgress: (p) => (p.stage === 'fetch' ? bars.update(p.file, p.done, p.total) : bars.update(`convert ${p.tower}`, p.done, p.total)),
        }).finally(() => bars.stop());
        log.info({ model: o.model, repository: done.modelRepository, converted: done.converted }, 'model ready');
        backendOpts.modelRepository = done.modelRepository;
      } else {
        await checkModelRepository(backendOpts.modelRepository, ', or serve a hub checkpoint with --model REPO');
      }
      let stop: () => Promise<void> = async () => {};
      onShutdown(() => stop());
      const backend = await bindingWith('--port', () => startBackend(backendOpts, root.child({ service: 'backend' })));
      stop = () => backend.close();
      if (o.gateway === false) return;
      const dev = await ensureDevTenant(o.keys as string);
      if (dev) {
        process.stderr.write(
          `\nCreated tenant 'dev' in ${o.keys as string}. Its API key (shown only this once; only its SHA-256 is stored):\n\n  ${dev.key}\n\n` +
            `  curl -H "Authorization: Bearer ${dev.key}" http://127.0.0.1:${o.gatewayPort as number}/v2/models/siglip_vision\n\n`,
        );
      }
      const gatewayLog = root.child({ service: 'gateway' });
      const gw = await bindingWith('--gateway-port', () =>
        startGateway(
          { port: o.gatewayPort as number, host: backendOpts.host, backends: [backend.url], keysFile: o.keys as string, backendToken: backendOpts.requireToken },
          gatewayLog,
        ),
      );
      gateway = gw;
      gatewayLog.info({ url: gw.url }, 'gateway ready');
      stop = async () => {
        await gw.close();
        await backend.close();
      };
    });
}
