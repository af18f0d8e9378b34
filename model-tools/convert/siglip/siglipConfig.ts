import { z } from 'zod';

/** Architecture of a SigLIP vision tower, read from config.json. */
export interface VisionTowerConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numChannels: number;
  imageSize: number;
  patchSize: number;
  layerNormEps: number;
}

/** Architecture of a SigLIP text tower, read from config.json. */
export interface TextTowerConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  vocabSize: number;
  maxPositions: number;
  layerNormEps: number;
  projectionSize: number;
}

/** The towers a config.json describes: a full SiglipModel has both, a standalone tower checkpoint one. */
export interface SiglipArchitecture {
  vision?: VisionTowerConfig;
  text?: TextTowerConfig;
}

// Defaults are transformers' SiglipVisionConfig / SiglipTextConfig defaults: the hub's config.json files state
// only the fields that differ from them (so400m's text_config has no vocab_size, for example).
const hiddenAct = z
  .string()
  .default('gelu_pytorch_tanh')
  .refine((a) => a === 'gelu_pytorch_tanh', { message: 'only hidden_act "gelu_pytorch_tanh" (tanh-approximated GELU) is supported' });

const visionSchema = z
  .object({
    hidden_size: z.number().int().positive().default(768),
    intermediate_size: z.number().int().positive().default(3072),
    num_hidden_layers: z.number().int().positive().default(12),
    num_attention_heads: z.number().int().positive().default(12),
    num_channels: z.number().int().positive().default(3),
    image_size: z.number().int().positive().default(224),
    patch_size: z.number().int().positive().default(16),
    layer_norm_eps: z.number().positive().default(1e-6),
    hidden_act: hiddenAct,
  })
  .passthrough();

const textSchema = z
  .object({
    hidden_size: z.number().int().positive().default(768),
    intermediate_size: z.number().int().positive().default(3072),
    num_hidden_layers: z.number().int().positive().default(12),
    num_attention_heads: z.number().int().positive().default(12),
    vocab_size: z.number().int().positive().default(32000),
    max_position_embeddings: z.number().int().positive().default(64),
    layer_norm_eps: z.number().positive().default(1e-6),
    projection_size: z.number().int().positive().nullish(),
    hidden_act: hiddenAct,
  })
  .passthrough();

/** Reads the towers' architecture from a parsed config.json (SiglipModel, siglip_vision_model or siglip_text_model). */
export function parseSiglipConfig(json: unknown, source = 'config.json'): SiglipArchitecture {
  const root = z.object({ model_type: z.string().optional() }).passthrough().parse(json) as Record<string, unknown>;
  const modelType = root.model_type;
  const parse = <T>(schema: z.ZodType<T>, value: unknown, what: string): T => {
    const r = schema.safeParse(value ?? {});
    if (!r.success) throw new Error(`${source}: ${what}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    return r.data;
  };
  let arch: SiglipArchitecture;
  if (modelType === 'siglip_vision_model') arch = { vision: toVision(parse(visionSchema, root, 'vision config')) };
  else if (modelType === 'siglip_text_model') arch = { text: toText(parse(textSchema, root, 'text config')) };
  else if (modelType === 'siglip' || 'vision_config' in root || 'text_config' in root) {
    arch = {
      vision: toVision(parse(visionSchema, root.vision_config, 'vision_config')),
      text: toText(parse(textSchema, root.text_config, 'text_config')),
    };
  } else {
    throw new Error(`${source}: model_type "${String(modelType)}" is not a SigLIP model (expected siglip, siglip_vision_model or siglip_text_model)`);
  }
  for (const [name, t] of Object.entries(arch) as [string, VisionTowerConfig | TextTowerConfig][]) {
    if (t.hiddenSize % t.numHeads !== 0) throw new Error(`${source}: ${name} hidden_size ${t.hiddenSize} is not divisible by num_attention_heads ${t.numHeads}`);
  }
  return arch;
}

function toVision(c: z.output<typeof visionSchema>): VisionTowerConfig {
  return {
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numChannels: c.num_channels,
    imageSize: c.image_size,
    patchSize: c.patch_size,
    layerNormEps: c.layer_norm_eps,
  };
}

function toText(c: z.output<typeof textSchema>): TextTowerConfig {
  return {
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    vocabSize: c.vocab_size,
    maxPositions: c.max_position_embeddings,
    layerNormEps: c.layer_norm_eps,
    // transformers: projection_size defaults to hidden_size.
    projectionSize: c.projection_size ?? c.hidden_size,
  };
}

/** Patches per side of the vision tower's grid; the strided Conv drops a remainder (so400m: 384 / 14 → 27). */
export function gridSize(v: VisionTowerConfig): number {
  return Math.floor(v.imageSize / v.patchSize);
}
