import { execFile } from 'node:child_process';
import { Gauge, type Registry } from 'prom-client';

/** One GPU as nvidia-smi reports it. */
export interface GpuSample {
  uuid: string;
  /** 0..1, as Triton reports nv_gpu_utilization. */
  utilization: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  powerWatts: number;
}

/** Reads the GPUs, or null where there are none to read (no nvidia-smi, or it failed). */
export type GpuSampler = () => Promise<GpuSample[] | null>;

const QUERY = ['--query-gpu=uuid,utilization.gpu,memory.used,memory.total,power.draw', '--format=csv,noheader,nounits'];
const MIB = 1024 * 1024;

/** Parses `nvidia-smi --query-gpu=uuid,utilization.gpu,memory.used,memory.total,power.draw --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(text: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length < 5 || !f[0]) continue;
    const num = (s: string) => (Number.isFinite(Number(s)) ? Number(s) : 0); // "[N/A]" reads as 0
    out.push({ uuid: f[0], utilization: num(f[1]) / 100, memoryUsedBytes: num(f[2]) * MIB, memoryTotalBytes: num(f[3]) * MIB, powerWatts: num(f[4]) });
  }
  return out;
}

/** A sampler running `command` (nvidia-smi); once it is found missing it is not tried again. */
export function nvidiaSmiSampler(command = 'nvidia-smi'): GpuSampler {
  let missing = false;
  return () =>
    new Promise((resolve) => {
      if (missing) return resolve(null);
      execFile(command, QUERY, { timeout: 2_000 }, (err, stdout) => {
        if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') missing = true;
        resolve(err ? null : parseNvidiaSmi(stdout));
      });
    });
}

/**
 * Registers Triton's GPU gauges, labelled by gpu_uuid, read from `sampler` at each scrape: the names and text form
 * perf_analyzer's --collect-metrics parses (nv_gpu_utilization 0..1, memory in bytes, power in watts). Where no
 * GPU can be read, the series are absent (as in Triton without GPUs).
 */
export function registerGpuMetrics(registry: Registry, sampler: GpuSampler): void {
  let latest: Promise<GpuSample[] | null> | null = null;
  // One nvidia-smi run serves the four gauges of one scrape.
  const sample = () => (latest ??= sampler().finally(() => setTimeout(() => (latest = null), 500).unref()));
  const gauge = (name: string, help: string, pick: (g: GpuSample) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['gpu_uuid'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const g of (await sample()) ?? []) this.set({ gpu_uuid: g.uuid }, pick(g));
      },
    });
  gauge('nv_gpu_utilization', 'GPU utilization rate [0.0 - 1.0)', (g) => g.utilization);
  gauge('nv_gpu_memory_total_bytes', 'GPU total memory, in bytes', (g) => g.memoryTotalBytes);
  gauge('nv_gpu_memory_used_bytes', 'GPU used memory, in bytes', (g) => g.memoryUsedBytes);
  gauge('nv_gpu_power_usage', 'GPU power usage in watts', (g) => g.powerWatts);
}
