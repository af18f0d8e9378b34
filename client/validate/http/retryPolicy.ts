/** How `siglip validate` retries a request the server turned away for load (503, 429) or a dropped connection. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Backoff before the second attempt when the server gives no Retry-After; doubled each attempt, then jittered. */
  baseDelayMs: number;
  /** Cap on any one wait, Retry-After included. */
  maxDelayMs: number;
  /** Retry failed connections (refused, reset) too; off for the first contact, so a wrong --url fails at once. */
  retryNetworkErrors: boolean;
  /** Waits; injectable so tests see the delays without sleeping. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random: () => number;
}

/** 8 attempts, 250 ms doubling to at most 30 s: rides out a restart or a burst of 503s, gives up on a dead server. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  retryNetworkErrors: true,
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  random: Math.random,
};

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1). RFC 9110 §10.2.3: Retry-After is delay-seconds or an
 * HTTP-date; the server's value is honoured as given (capped), otherwise exponential backoff with jitter in
 * [½, 1] of the step, so many clients turned away at once do not come back at once.
 */
export function retryDelayMs(attempt: number, retryAfter: string | undefined, policy: RetryPolicy, now = Date.now()): number {
  const asked = parseRetryAfter(retryAfter, now);
  if (asked !== undefined) return Math.min(asked, policy.maxDelayMs);
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step * (0.5 + 0.5 * policy.random()));
}

/** Milliseconds asked by a Retry-After header, or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
