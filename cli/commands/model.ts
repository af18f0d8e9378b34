import { InvalidArgumentError, Option, type Command } from 'commander';
import { convertModel, type Tower } from '../../model-tools/convert/convertModel';
import { checkpointDirFor } from '../../model-tools/ensureModel';
import { ATTENTION_KINDS, type AttentionKind } from '../../model-tools/convert/siglip/cudaSelfAttention';
import { synthModel } from '../../model-tools/synth/synthModel';
import { fetchModel } from '../../model-tools/hub/fetchModel';
import { parseInteger } from '../optionParsers';
import { ProgressBars } from '../progressBars';

/** The checkpoint `siglip model fetch` and `siglip serve --model` default to. */
const DEFAULT_REPO = 'google/siglip-so400m-patch14-384';

/** Hub settings from the environment: read here, at the CLI edge, and passed inward. */
export function hubEnvironment(env: NodeJS.ProcessEnv = process.env): { endpoint?: string; token?: string } {
  return { endpoint: env.HF_ENDPOINT || undefined, token: env.HF_TOKEN || undefined };
}

/** Adds `siglip model fetch | convert | synth`. */
export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('fetch SigLIP checkpoints from the hub, convert them to ONNX, or synthesize random ones');

  model
    .command('fetch')
    .description('download a SigLIP checkpoint (resumable, hash-verified; HF_TOKEN and HF_ENDPOINT are honoured)')
    .argument('[repo]', 'hub repository', DEFAULT_REPO)
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--into <dir>', 'target directory (default: models/<org>--<name>)')
    .action(async (repo: string, o: { revision: string; into?: string }) => {
      const bars = new ProgressBars();
      const r = await fetchModel({
        repo,
        revision: o.revision,
        into: o.into ?? checkpointDirFor('models', repo),
        ...hubEnvironment(),
        onProgress: (p) => bars.update(p.file, p.done, p.total),
      }).finally(() => bars.stop());
      console.log(`${r.offline ? 'already verified (offline)' : 'fetched and verified'}: ${r.files.join(', ')} in ${r.dir}${r.commit ? ` @ ${r.commit}` : ''}`);
    });

  model
    .command('convert')
    .description('convert a SigLIP safetensors checkpoint into model-repository entries (siglip_vision, siglip_text, embed_*)')
    .requiredOption('--from <dir>', 'checkpoint directory (config.json + model.safetensors)')
    .requiredOption('--into <dir>', 'model repository to write into')
    .addOption(new Option('--dtype <dtype>', 'weight precision').choices(['fp32', 'fp16']).default('fp32'))
    .addOption(new Option('--flavor <flavor>', 'portable: standard ONNX ops; cuda: onnxruntime fused CUDA ops').choices(['portable', 'cuda']).default('portable'))
    .addOption(new Option('--attention <kind>', 'cuda flavor only: self-attention graph (default mha-separate)').choices(ATTENTION_KINDS))
    .option('--towers <list>', 'comma-separated towers (vision,text); default: all in the checkpoint', parseTowers)
    .action(async (o: { from: string; into: string; dtype: 'fp32' | 'fp16'; flavor: 'portable' | 'cuda'; attention?: AttentionKind; towers?: Tower[] }) => {
      const bars = new ProgressBars();
      const r = await convertModel({ ...o, onProgress: (p) => bars.update(`siglip_${p.tower}`, p.done, p.total) }).finally(() => bars.stop());
      console.log(`wrote ${r.models.join(', ')} (${[o.flavor, o.dtype, o.attention].filter(Boolean).join(', ')}) into ${o.into}`);
    });

  model
    .command('synth')
    .description('write a checkpoint with random weights and the architecture of a config (to measure without downloading)')
    .requiredOption('--like <dir|so400m>', 'checkpoint directory, config.json, or a built-in architecture (so400m)')
    .requiredOption('--into <dir>', 'directory to write config.json and model.safetensors into')
    .option('--towers <list>', 'comma-separated towers (vision,text); default: all in the config', parseTowers)
    .addOption(new Option('--dtype <dtype>', 'weight precision').choices(['fp32', 'fp16']).default('fp32'))
    .option('--seed <n>', 'random seed', parseInteger, 0)
    .action(async (o: { like: string; into: string; towers?: Tower[]; dtype: 'fp32' | 'fp16'; seed: number }) => {
      const bars = new ProgressBars();
      const r = await synthModel({ ...o, onProgress: (done, total) => bars.update('model.safetensors', done, total) }).finally(() => bars.stop());
      console.log(`wrote ${r.checkpointPath} (${(r.bytes / 1e9).toFixed(2)} GB) and ${r.configPath}`);
    });
}

function parseTowers(value: string): Tower[] {
  const towers = value.split(',').map((t) => t.trim()).filter(Boolean);
  const bad = towers.filter((t) => t !== 'vision' && t !== 'text');
  if (bad.length || towers.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of vision, text; got "${value}"`);
  return [...new Set(towers)] as Tower[];
}
