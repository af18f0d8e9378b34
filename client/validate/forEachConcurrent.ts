/**
 * Runs `task(i)` for i in [0, count) with at most `limit` running at once, in index order of start. The first
 * failure stops new starts; the running ones finish, then it is thrown. An aborted signal also stops new starts.
 */
export async function forEachConcurrent(count: number, limit: number, task: (i: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < count) {
      if (signal?.aborted) {
        failure = { error: signal.reason };
        break;
      }
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  if (failure) throw failure.error;
}
