/** Reads a model's cumulative busy seconds (siglip_model_busy_seconds) from a backend's /metrics. */
async function busySeconds(baseUrl: string, model = 'siglip_vision'): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`siglip_model_busy_seconds{model="${model}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

/** Runs `work` and returns its result with the share of wall time during which the model computed nothing. */
export async function measureIdle<T>(baseUrl: string, work: () => Promise<T>, model = 'siglip_vision'): Promise<{ result: T; idle: number }> {
  const b0 = await busySeconds(baseUrl, model);
  const t0 = performance.now();
  const result = await work();
  const wall = (performance.now() - t0) / 1000;
  const b1 = await busySeconds(baseUrl, model);
  return { result, idle: Math.max(0, 1 - (b1 - b0) / wall) };
}
