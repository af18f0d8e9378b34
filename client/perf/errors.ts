/**
 * A mistake in how `siglip perf` was called or what it was pointed at: the message says what to change, in one
 * line, and the CLI prints it without a stack. perf_analyzer exits with OPTION_ERROR (3) for these.
 */
export class PerfUsageError extends Error {
  override readonly name = 'PerfUsageError';
}

/**
 * The measurement could not be made stable (perf_analyzer's STABILITY_ERROR, exit code 2; src/constants.h).
 */
export class PerfStabilityError extends Error {
  override readonly name = 'PerfStabilityError';
}

/** Exit codes as perf_analyzer's src/constants.h defines them. */
export const EXIT_CODE = { success: 0, stability: 2, option: 3, generic: 99 } as const;
