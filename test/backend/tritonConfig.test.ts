import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../gpu-backend/server';
import { startTestBackend } from '../helpers/backend';
import { checkMessage, loadProto } from '../helpers/protoJson';

const ModelConfig = loadProto('inference/model_config.proto').lookupType('inference.ModelConfig');

describe("GET /v2/models/{m}/config in Triton's model-config JSON", () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startTestBackend();
  });
  afterAll(() => backend.close());

  it.each(['siglip_vision', 'siglip_text', 'embed_image', 'embed_text'])('%s parses as inference.ModelConfig, strictly (as tritonclient parses it)', async (name) => {
    const config = await (await fetch(`${backend.url}/v2/models/${name}/config`)).json();
    expect(() => checkMessage(ModelConfig, config)).not.toThrow();
    expect(config.name).toBe(name);
    for (const v of Object.values(config.parameters)) expect(Object.keys(v as object)).toEqual(['string_value']);
  });

  it("serves the Triton deployment's pipeline parameters, and the models embed_model may name", async () => {
    const config = await (await fetch(`${backend.url}/v2/models/embed_image/config`)).json();
    expect(config.parameters).toMatchObject({
      default_base64_encoded: { string_value: 'false' },
      default_embed_model: { string_value: 'siglip_vision' },
      embed_model_choices: { string_value: 'siglip_vision' },
    });
    expect(config).toMatchObject({ max_batch_size: 60, input: [{ name: 'INPUT_IMAGE', data_type: 'TYPE_STRING', dims: [1] }] });
  });

  it('the checker refuses what json_format.Parse refuses: an unknown field, a bare parameter value, a wrong enum', () => {
    expect(() => checkMessage(ModelConfig, { name: 'x', nope: 1 })).toThrow(/no field 'nope'/);
    expect(() => checkMessage(ModelConfig, { parameters: { onnx_input_names: { PIXEL_VALUES: 'pixel_values' } } })).toThrow(/no field 'PIXEL_VALUES'/);
    expect(() => checkMessage(ModelConfig, { input: [{ data_type: 'FLOAT' }] })).toThrow(/not a DataType value/);
    expect(() => checkMessage(ModelConfig, { max_batch_size: '8x' })).toThrow(/expected an integer/);
  });
});
