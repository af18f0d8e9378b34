import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBackend } from '../../gpu-backend/server';
import { spawnBackend } from '../helpers/backendProcess';
import { captureLogger } from '../helpers/logCapture';
import { TempRepository, type RawModelConfig } from '../helpers/tempRepository';
import { expectServing } from '../helpers/visionRequests';

const start = (modelRepository: string, extra: object = {}, logger = pino({ level: 'silent' })) =>
  startBackend({ port: 0, metricsPort: false, modelRepository, providers: ['cpu'], workers: 0, ...extra }, logger);

describe('model repository validation at start-up', () => {
  let repo: TempRepository;
  beforeEach(async () => {
    repo = await TempRepository.create();
  });
  afterEach(() => repo.remove());

  /** Start-up must fail with a message that names the config file and the offending field. */
  async function expectStartupError(edit: (c: RawModelConfig) => void, field: string | RegExp) {
    await repo.addModel('siglip_vision', edit);
    const err: Error = await start(repo.dir).then(
      (b) => b.close().then(() => Promise.reject(new Error('start-up succeeded'))),
      (e: Error) => e,
    );
    expect(err.message).toContain(repo.configPath('siglip_vision'));
    if (typeof field === 'string') expect(err.message).toContain(field);
    else expect(err.message).toMatch(field);
    return err;
  }

  it('refuses an unknown data_type, naming input.0.data_type', async () => {
    await expectStartupError((c) => (c.input[0].data_type = 'TYPE_FLOAT'), "'input.0.data_type'");
  });

  it('refuses a bad intra_op_num_threads, naming parameters.intra_op_num_threads (it used to be dropped silently)', async () => {
    await expectStartupError((c) => (c.parameters.intra_op_num_threads = 'four'), "'parameters.intra_op_num_threads'");
    await repo.remove();
    repo = await TempRepository.create();
    await expectStartupError((c) => (c.parameters.intra_op_num_threads = { string_value: '0' }), "'parameters.intra_op_num_threads'");
  });

  it('refuses an onnx_input_names that is not a name map, naming the field (it used to be a bare SyntaxError)', async () => {
    await expectStartupError((c) => (c.parameters.onnx_input_names = { string_value: '{not json' }), "'parameters.onnx_input_names'");
  });

  it('takes parameters in Triton\'s {"string_value": ...} form as well as plain JSON', async () => {
    await repo.addModel('siglip_vision', (c) => {
      c.parameters.onnx_input_names = { string_value: '{"PIXEL_VALUES":"pixel_values"}' };
      c.parameters.intra_op_num_threads = { string_value: '1' };
      c.parameters.execution_providers = { string_value: '["cpu"]' };
    });
    const backend = await start(repo.dir);
    try {
      await expectServing(backend.url);
    } finally {
      await backend.close();
    }
  });

  it('refuses a pipeline that does not say what it takes (the kind is no longer guessed from its files)', async () => {
    await repo.addModel('siglip_vision');
    await repo.addModel('embed_image', (c) => delete c.parameters.pipeline);
    const err: Error = await start(repo.dir).then(
      (b) => b.close().then(() => Promise.reject(new Error('start-up succeeded'))),
      (e: Error) => e,
    );
    expect(err.message).toContain(repo.configPath('embed_image'));
    expect(err.message).toContain(`field 'parameters.pipeline': a pipeline must say what it takes: "image" (image files) or "text"`);
  });

  it('refuses a config without max_batch_size', async () => {
    await expectStartupError((c) => delete c.max_batch_size, "'max_batch_size'");
  });

  it('refuses negative dims, naming the dimension', async () => {
    await expectStartupError((c) => (c.input[0].dims = [3, -384, 384]), "'input.0.dims.1'");
  });

  it('refuses a name that differs from the model directory', async () => {
    await expectStartupError((c) => (c.name = 'siglip_vision_v2'), /field 'name'.*'siglip_vision_v2'.*'siglip_vision'/);
  });

  it('refuses an unknown field (a typo must not be silently ignored)', async () => {
    await expectStartupError((c) => (c.max_batch = 8), 'max_batch');
  });

  it('refuses a queue policy with a negative size', async () => {
    await expectStartupError((c) => (c.dynamic_batching.default_queue_policy.max_queue_size = -1), "'dynamic_batching.default_queue_policy.max_queue_size'");
  });

  it('refuses a config.json that is not valid JSON', async () => {
    await repo.addModel('siglip_vision');
    await repo.writeConfig('siglip_vision', '{"name": "siglip_vision", "max_batch_size": 8,');
    const err: Error = await start(repo.dir).then(() => new Error('start-up succeeded'), (e: Error) => e);
    expect(err.message).toContain(repo.configPath('siglip_vision'));
    expect(err.message).toMatch(/not valid JSON/);
  });

  it('refuses a version directory without model.onnx, naming the missing file', async () => {
    const dir = await repo.addModel('siglip_vision');
    await rm(join(dir, '1', 'model.onnx'));
    const err: Error = await start(repo.dir).then(() => new Error('start-up succeeded'), (e: Error) => e);
    expect(err.message).toContain(repo.configPath('siglip_vision'));
    expect(err.message).toContain(join(dir, '1', 'model.onnx'));
  });

  it('refuses a model with no numbered version directory', async () => {
    const dir = await repo.addModel('siglip_vision');
    await rename(join(dir, '1'), join(dir, 'latest'));
    const err: Error = await start(repo.dir).then(() => new Error('start-up succeeded'), (e: Error) => e);
    expect(err.message).toContain(repo.configPath('siglip_vision'));
    expect(err.message).toMatch(/version directory/);
  });

  it('names the model and its ONNX graph when a tensor mapping points at a missing graph output', async () => {
    await repo.addModel('siglip_vision', (c) => (c.parameters.onnx_output_names = { EMBEDDING: 'image_embeds' }));
    const err: Error = await start(repo.dir).then(() => new Error('start-up succeeded'), (e: Error) => e);
    expect(err.message).toContain('image_embeds');
    expect(err.message).toContain(join(repo.dir, 'siglip_vision'));
  });

  it('serves the highest numbered version, comparing numbers, not strings', async () => {
    const dir = await repo.addModel('siglip_vision');
    await rename(join(dir, '1'), join(dir, '10'));
    // Version 9 sorts after 10 as a string; its model is not even ONNX, so serving it would fail start-up.
    await mkdir(join(dir, '9'));
    await writeFile(join(dir, '9', 'model.onnx'), 'not an onnx model');
    const backend = await start(repo.dir);
    try {
      const meta = await (await fetch(`${backend.url}/v2/models/siglip_vision`)).json();
      expect(meta.versions).toEqual(['10']);
      expect((await fetch(`${backend.url}/v2/models/siglip_vision/versions/10/ready`)).status).toBe(200);
      expect((await fetch(`${backend.url}/v2/models/siglip_vision/versions/9/ready`)).status).toBe(404);
      const stats = (await (await fetch(`${backend.url}/v2/models/siglip_vision/stats`)).json()).model_stats[0];
      expect(stats.version).toBe('10');
      await expectServing(backend.url);
    } finally {
      await backend.close();
    }
  });

  it('refuses an empty model repository', async () => {
    const err: Error = await start(repo.dir).then(() => new Error('start-up succeeded'), (e: Error) => e);
    expect(err.message).toContain(repo.dir);
    expect(err.message).toMatch(/no models/);
  });
});

describe('execution providers', () => {
  let repo: TempRepository;
  beforeEach(async () => {
    repo = await TempRepository.create();
    // Two instances: the fallback must still be reported once per model, not once per session.
    await repo.addModel('siglip_vision', (c) => {
      c.instance_group = [{ count: 2, kind: 'KIND_AUTO' }];
      c.parameters.execution_providers = ['cuda', 'cpu'];
    });
  });
  afterEach(() => repo.remove());

  it('falls back to CPU when CUDA cannot load, logging one clear line, and logs the provider in use', async (ctx) => {
    const { logger, lines } = captureLogger();
    const backend = await startBackend({ port: 0, metricsPort: false, modelRepository: repo.dir, workers: 0 }, logger);
    try {
      const loaded = lines.find((l) => l.msg === 'model loaded');
      if (loaded?.provider === 'cuda') ctx.skip(); // a GPU host: nothing to fall back from
      const fallback = lines.filter((l) => /cuda/i.test(l.msg) && /fall/i.test(l.msg));
      expect(fallback).toHaveLength(1);
      expect(fallback[0]).toMatchObject({ level: 40, model: 'siglip_vision' });
      expect(fallback[0].msg).not.toContain('\n');
      expect(fallback[0].msg).toMatch(/'cpu'/);
      expect(loaded).toMatchObject({ model: 'siglip_vision', provider: 'cpu', instances: 2 });
      await expectServing(backend.url);
    } finally {
      await backend.close();
    }
  });

  it('refuses to start with strictProvider when CUDA cannot load', async (ctx) => {
    const outcome = await startBackend({ port: 0, metricsPort: false, modelRepository: repo.dir, workers: 0, strictProvider: true }, pino({ level: 'silent' })).then(
      async (b) => {
        await b.close();
        return null;
      },
      (e: Error) => e,
    );
    if (!outcome) ctx.skip(); // CUDA loaded: a GPU host, nothing for strict mode to refuse
    expect(outcome!.message).toMatch(/cuda/i);
    expect(outcome!.message).toContain(join(repo.dir, 'siglip_vision'));
  });

  it('prints nothing but its own log line about the fallback (no native multi-line error on stderr)', async (ctx) => {
    const backend = await spawnBackend(['--model-repository', repo.dir, '--workers', '1']);
    try {
      const loaded = backend.logs.find((l) => l.msg === 'model loaded');
      if (loaded?.provider === 'cuda') ctx.skip();
      expect(backend.logs.filter((l) => /falling back/.test(l.msg))).toHaveLength(1);
      expect(backend.stderr()).not.toMatch(/onnxruntime|ONNXRuntimeError/i);
    } finally {
      await backend.kill();
    }
  });
});
