/** Issue 11, defect 11: a crashed ONNX Runtime instance thread comes back, and readiness tells the truth meanwhile. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnnxModel } from '../../gpu-backend/models/onnxModel';
import { startBackend, type Backend } from '../../gpu-backend/server';
import { captureLogger } from '../helpers/logCapture';
import { expectServing } from '../helpers/visionRequests';
import { eventually } from './abuse';

describe('a crashed instance thread', () => {
  let backend: Backend;
  const { logger, lines } = captureLogger('info');
  beforeAll(async () => {
    backend = await startBackend({ port: 0, metricsPort: false, providers: ['cpu'], workers: 1 }, logger);
  });
  afterAll(() => backend.close());

  const status = async (path: string) => (await fetch(`${backend.url}${path}`)).status;

  it('is replaced and its model reloaded; until then the model and the server say not ready', async () => {
    const model = backend.models.get('siglip_vision') as OnnxModel;
    await expectServing(backend.url);
    const states: number[] = [];
    const watching = (async () => {
      while (!lines.some((l) => l.msg?.startsWith('model instance reloaded'))) {
        states.push(await status('/v2/health/ready'));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await model.instances[0].kill!();
    await eventually(() => lines.some((l) => l.msg?.startsWith('model instance crashed')), 'the crash is logged');
    // While the thread is being replaced: not ready, and requests are refused with a retryable 503.
    if (!model.ready) {
      expect(await status('/v2/models/siglip_vision/ready')).toBe(503);
    }
    await eventually(() => model.ready, 'the instance is back');
    await watching;
    expect(states).toContain(503);
    expect(await status('/v2/health/ready')).toBe(200);
    await expectServing(backend.url);
    expect(lines.find((l) => l.msg?.startsWith('model instance crashed'))).toMatchObject({ level: 50, model: 'siglip_vision' });
  });
});
