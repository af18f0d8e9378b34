/** Whether onnxruntime's CUDA provider loads here, found the way the backend finds it: by opening a session. */
import { join } from 'node:path';
import { DEFAULT_MODEL_REPOSITORY } from '../gpu-backend/config/backendOptions';
import { createOrtRunner } from '../gpu-backend/runtime/ortRunner';
import type { CudaProbeResult } from './flavorChoice';

// The bundled demo vision model: small, always there, and a graph the CUDA provider accepts.
const PROBE_MODEL = join(DEFAULT_MODEL_REPOSITORY, 'siglip_vision', '1', 'model.onnx');

/**
 * Opens (and releases) a CUDA-only session on a tiny model. A missing provider library, CUDA runtime or
 * device fails here exactly as it would fail the backend's session, which would then fall back to CPU.
 */
export async function probeCudaProvider(modelPath = PROBE_MODEL): Promise<CudaProbeResult> {
  try {
    const runner = await createOrtRunner({ modelPath, providers: ['cuda'], strictProvider: true, inputNames: {}, outputNames: {} });
    await runner.release();
    return { loads: true };
  } catch (err) {
    // createOrtRunner's message is "cannot create ... with providers [cuda]: <ORT's reason>"; the log needs the reason.
    const message = (err as Error).message;
    const at = message.indexOf(']: ');
    return { loads: false, reason: at >= 0 ? message.slice(at + 3) : message };
  }
}
