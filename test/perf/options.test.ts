// Option parsing: perf_analyzer's forms (docs/cli.md), and one-line errors that say what to change.
import { describe, expect, it } from 'vitest';
import { createClientBackend } from '../../client/perf/backends/createClientBackend';
import { PerfUsageError } from '../../client/perf/errors';
import { checkBatchSize, parseComposingModels, parseModelInfo } from '../../client/perf/model/modelInfo';
import { parseHeaderOption } from '../../client/perf/options/headerOption';
import { resolvePerfOptions } from '../../client/perf/options/perfOptions';
import { parseRange, rangeValues } from '../../client/perf/options/range';
import { parseRequestParameter } from '../../client/perf/options/requestParameter';
import { normalizeServerUrl } from '../../client/perf/options/serverUrl';
import { parseShapeOption } from '../../client/perf/options/shapeOption';

describe('ranges', () => {
  it('parses start[:end[:step]] with perf_analyzer\'s defaults', () => {
    expect(parseRange('4', 'f', true)).toEqual({ start: 4, end: 4, step: 1 });
    expect(parseRange('1:8', 'f', true)).toEqual({ start: 1, end: 8, step: 1 });
    expect([...rangeValues(parseRange('1:8:3', 'f', true))]).toEqual([1, 4, 7]);
    expect([...rangeValues(parseRange('0.5:1.5:0.1', 'f', false))]).toHaveLength(11);
  });

  it('sweeps an open range (end 0) lazily', () => {
    const it = rangeValues(parseRange('2:0:2', 'f', true));
    expect([it.next().value, it.next().value, it.next().value]).toEqual([2, 4, 6]);
  });

  it('refuses what it cannot read', () => {
    expect(() => parseRange('1:2:3:4', '--concurrency-range', true)).toThrow(/takes start\[:end\[:step\]\]/);
    expect(() => parseRange('1.5', '--concurrency-range', true)).toThrow(/not a non-negative integer/);
    expect(() => parseRange('8:2', '--concurrency-range', true)).toThrow(/end 2 is below start 8/);
  });
});

describe('option values', () => {
  it('reads -H with or without a space after the colon', () => {
    expect(parseHeaderOption('Authorization: Bearer sk-1')).toEqual(['authorization', 'Bearer sk-1']);
    expect(parseHeaderOption('X-A:b')).toEqual(['x-a', 'b']);
    expect(() => parseHeaderOption('no colon')).toThrow(/-H takes 'Header: value'/);
  });

  it('reads --request-parameter name:value:type', () => {
    expect(parseRequestParameter('base64_encoded:true:bool')).toEqual(['base64_encoded', true]);
    expect(parseRequestParameter('embed_model:siglip_text:string')).toEqual(['embed_model', 'siglip_text']);
    expect(parseRequestParameter('max_tokens:256:int')).toEqual(['max_tokens', 256]);
    expect(parseRequestParameter('url:http://x:8000:string')).toEqual(['url', 'http://x:8000']);
    expect(() => parseRequestParameter('a:yes:bool')).toThrow(/true or false/);
    expect(() => parseRequestParameter('a:1:float')).toThrow(/bool, int or string/);
  });

  it('reads --shape NAME:dims and --bls-composing-models', () => {
    expect(parseShapeOption('PIXEL_VALUES:3,384,384')).toEqual(['PIXEL_VALUES', [3, 384, 384]]);
    expect(() => parseShapeOption('X:3,a')).toThrow(/--shape takes NAME:d1,d2/);
    expect(parseComposingModels('siglip_vision,b:3')).toEqual([{ name: 'siglip_vision', version: '' }, { name: 'b', version: '3' }]);
  });

  it('takes -u with or without a scheme, keeping a path prefix', () => {
    expect(normalizeServerUrl('127.0.0.1:8000').href).toBe('http://127.0.0.1:8000/');
    expect(normalizeServerUrl('http://127.0.0.1:8080/').origin).toBe('http://127.0.0.1:8080');
    expect(normalizeServerUrl('https://gw.example/siglip/').pathname).toBe('/siglip');
  });
});

describe('resolvePerfOptions', () => {
  it("has perf_analyzer's defaults", () => {
    const o = resolvePerfOptions({ model: 'siglip_vision' });
    expect(o).toMatchObject({
      url: new URL('http://127.0.0.1:8000'),
      protocol: 'http',
      load: { kind: 'concurrency', range: { start: 1, end: 1, step: 1 } },
      measurementMode: 'time_windows',
      measurementIntervalMs: 5000,
      measurementRequestCount: 50,
      stabilityPercentage: 10,
      maxTrials: 10,
      percentile: null,
      batchSize: 1,
      inputTensorFormat: 'binary',
      outputTensorFormat: 'binary',
      stringLength: 128,
    });
  });

  it('refuses mixes that cannot work, each in one line', () => {
    const bad = (raw: object) => {
      try {
        resolvePerfOptions({ model: 'm', ...raw });
      } catch (err) {
        expect(err).toBeInstanceOf(PerfUsageError);
        expect((err as Error).message).not.toContain('\n');
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ concurrencyRange: '1', requestRateRange: '10' })).toMatch(/not both/);
    expect(bad({ inputTensorFormat: 'raw', batchSize: 4 })).toMatch(/drop -b/);
    expect(bad({ inputTensorFormat: 'raw', requestParameter: ['base64_encoded:true:bool'] })).toMatch(/no JSON header/);
    expect(bad({ concurrencyRange: '1:0' })).toMatch(/latency-threshold/);
    expect(bad({ percentile: '100' })).toMatch(/1 to 99/);
    expect(bad({ requestDistribution: 'poisson' })).toMatch(/only applies with --request-rate-range/);
    expect(bad({ maxTrials: 'x' })).toMatch(/--max-trials takes an integer/);
  });

  it('-i grpc takes host:port, Triton\'s gRPC port by default, and gets the gRPC client backend', async () => {
    const o = resolvePerfOptions({ model: 'm', protocol: 'grpc' });
    expect(o.url.host).toBe('localhost:8001');
    expect(resolvePerfOptions({ model: 'm', protocol: 'grpc', url: '127.0.0.1:9001' }).url.host).toBe('127.0.0.1:9001');
    expect(resolvePerfOptions({ model: 'm', protocol: 'grpc', url: 'grpc://[::1]:9001' }).url.host).toBe('[::1]:9001');
    for (const url of ['http://127.0.0.1:8001', '127.0.0.1', '127.0.0.1:8001/v2']) {
      expect(() => resolvePerfOptions({ model: 'm', protocol: 'grpc', url })).toThrow(/-u with -i grpc takes host:port/);
    }
    const backend = createClientBackend({ protocol: o.protocol, url: o.url, headers: {} });
    expect(backend.protocol).toBe('grpc');
    await backend.close();
  });
});

describe('parseModelInfo', () => {
  const metadata = {
    name: 'siglip_vision',
    inputs: [{ name: 'PIXEL_VALUES', datatype: 'FP32', shape: [-1, 3, 384, 384] }],
    outputs: [{ name: 'EMBEDDING', datatype: 'FP32', shape: [-1, 64] }],
  };

  it('drops the batch dim when max_batch_size > 0', () => {
    const m = parseModelInfo(metadata, { max_batch_size: 32 });
    expect(m.inputs[0].shape).toEqual([3, 384, 384]);
    expect(m.maxBatchSize).toBe(32);
    expect(() => checkBatchSize(m, 33)).toThrow(/above siglip_vision's max_batch_size 32/);
    expect(() => checkBatchSize(parseModelInfo(metadata, { max_batch_size: 0 }), 2)).toThrow(/does not support batching/);
  });

  it('applies --shape only to dims the model leaves open', () => {
    const open = { ...metadata, inputs: [{ name: 'X', datatype: 'FP32', shape: [-1, -1] }] };
    expect(parseModelInfo(open, { max_batch_size: 8 }, { shapes: { X: [7] } }).inputs[0].shape).toEqual([7]);
    expect(parseModelInfo(metadata, { max_batch_size: 8 }, { shapes: { PIXEL_VALUES: [1, 2, 3] } }).inputs[0].shape).toEqual([3, 384, 384]);
    expect(() => parseModelInfo(metadata, {}, { shapes: { NOPE: [1] } })).toThrow(/no such input/);
  });

  it('lists an ensemble\'s steps as composing models', () => {
    const m = parseModelInfo(metadata, { platform: 'ensemble', ensemble_scheduling: { step: [{ model_name: 'pre', model_version: -1 }, { model_name: 'net', model_version: 2 }] } });
    expect(m.composing).toEqual([{ name: 'pre', version: '' }, { name: 'net', version: '2' }]);
  });
});
