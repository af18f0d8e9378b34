import { describe, expect, it, vi } from 'vitest';
import { probeCudaProvider } from '../../cli/cudaProbe';
import { chooseFlavor, type CudaProbeResult } from '../../cli/flavorChoice';

const probe = (result: CudaProbeResult) => vi.fn(async () => result);

describe('chooseFlavor (siglip serve --model --flavor)', () => {
  it('auto on a CPU-only host (the CUDA provider does not load): portable fp32, and says why', async () => {
    const cudaMissing = probe({ loads: false, reason: 'Failed to load shared library' });
    expect(await chooseFlavor('auto', undefined, cudaMissing)).toEqual({
      flavor: 'portable',
      dtype: 'fp32',
      reason: 'the CUDA execution provider does not load on this host (Failed to load shared library)',
    });
    expect(cudaMissing).toHaveBeenCalledOnce();
  });

  it('auto where the CUDA provider loads: the cuda flavor in fp16', async () => {
    expect(await chooseFlavor('auto', ['cuda', 'cpu'], probe({ loads: true }))).toEqual({
      flavor: 'cuda',
      dtype: 'fp16',
      reason: 'the CUDA execution provider loads on this host',
    });
  });

  it('auto with --providers that put the CPU first: portable, without probing', async () => {
    const cudaLoads = probe({ loads: true });
    expect(await chooseFlavor('auto', ['cpu'], cudaLoads)).toMatchObject({ flavor: 'portable', dtype: 'fp32', reason: '--providers puts cpu first' });
    expect(cudaLoads).not.toHaveBeenCalled();
  });

  it('an explicit --flavor wins, without probing', async () => {
    const never = probe({ loads: false });
    expect(await chooseFlavor('cuda', undefined, never)).toMatchObject({ flavor: 'cuda', dtype: 'fp16' });
    expect(await chooseFlavor('portable', ['cuda'], never)).toMatchObject({ flavor: 'portable', dtype: 'fp32' });
    expect(never).not.toHaveBeenCalled();
  });
});

describe('probeCudaProvider', () => {
  it('reports the provider as not loading, with the reason, when no CUDA session can be opened', async () => {
    const result = await probeCudaProvider('/nonexistent/model.onnx');
    expect(result.loads).toBe(false);
    expect(result.reason).toEqual(expect.any(String));
    expect(result.reason).not.toContain('cannot create an ONNX Runtime session');
  });
});
