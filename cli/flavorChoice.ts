/**
 * The graph `siglip serve --model` converts, chosen for the provider that will actually run it: the cuda flavor
 * (fp16, fused ORT CUDA ops) is several times slower than portable fp32 when it ends up on the CPU provider.
 */
import type { GraphFlavor } from '../model-tools/convert/siglip/towerGraphs';
import type { WeightDtype } from '../model-tools/convert/tensor/weightTransforms';

/** What `--flavor` accepts: a flavor, or `auto` to probe. */
export type FlavorRequest = 'auto' | GraphFlavor;

/** Whether the CUDA execution provider loads on this host, and if not, why. */
export interface CudaProbeResult {
  loads: boolean;
  reason?: string;
}

/** A flavor, its weight precision, and why it was chosen (logged). */
export interface FlavorChoice {
  flavor: GraphFlavor;
  dtype: WeightDtype;
  reason: string;
}

const CUDA: Omit<FlavorChoice, 'reason'> = { flavor: 'cuda', dtype: 'fp16' };
const PORTABLE: Omit<FlavorChoice, 'reason'> = { flavor: 'portable', dtype: 'fp32' };

/**
 * Picks the flavor: as asked when asked; under `auto`, portable when `--providers` does not put cuda first, else
 * whatever `probeCuda` finds (injected: tests decide, the CLI opens a CUDA session; see cudaProbe.ts).
 */
export async function chooseFlavor(
  requested: FlavorRequest,
  providers: readonly string[] | undefined,
  probeCuda: () => Promise<CudaProbeResult>,
): Promise<FlavorChoice> {
  if (requested === 'cuda') return { ...CUDA, reason: '--flavor cuda' };
  if (requested === 'portable') return { ...PORTABLE, reason: '--flavor portable' };
  if (providers !== undefined && providers[0] !== 'cuda') {
    return { ...PORTABLE, reason: `--providers puts ${providers[0] ?? 'no provider'} first` };
  }
  const probe = await probeCuda();
  if (probe.loads) return { ...CUDA, reason: 'the CUDA execution provider loads on this host' };
  return { ...PORTABLE, reason: `the CUDA execution provider does not load on this host${probe.reason ? ` (${probe.reason})` : ''}` };
}
