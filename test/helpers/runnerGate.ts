import type { ModelRunner } from '../../gpu-backend/runtime/types';
import { defaultRunnerFactory, type RunnerFactory } from '../../gpu-backend/runtime/createRunners';

/**
 * Holds model executions at a gate so a test can keep every instance busy for exactly as long as it wants:
 * queue policy and cancellation then follow from the order of events, never from how fast the machine is.
 * The runs themselves are the real onnxruntime ones.
 */
class RunnerGate {
  private held: Promise<void> | null = null;
  private release: (() => void) | null = null;
  /** Executions inside a runner right now (held at the gate or computing). */
  active = 0;
  /** Executions started so far. */
  started = 0;
  /** Runners (numbered in the order they were opened) with an execution inside them right now. */
  readonly busyRunners = new Set<number>();
  private opened = 0;

  /** From now on, executions wait at the gate. */
  close(): void {
    if (!this.held) this.held = new Promise((resolve) => (this.release = resolve));
  }

  /** Lets every held execution (and later ones) through. */
  open(): void {
    this.release?.();
    this.held = null;
    this.release = null;
  }

  /** Wraps a runner so its executions pass the gate. */
  wrap(runner: ModelRunner): ModelRunner {
    const id = this.opened++;
    return {
      get provider() {
        return runner.provider;
      },
      run: async (inputs, outputNames) => {
        this.started++;
        this.active++;
        this.busyRunners.add(id);
        try {
          if (this.held) await this.held;
          return await runner.run(inputs, outputNames);
        } finally {
          this.active--;
          this.busyRunners.delete(id);
        }
      },
      get healthy() {
        return runner.healthy;
      },
      kill: runner.kill?.bind(runner),
      release: () => runner.release(),
    };
  }
}

/** The gate of a test file (one module instance per test file). */
export const runnerGate = new RunnerGate();

/** The production runner (threaded: an ONNX Runtime session in its own worker thread), behind `runnerGate`. */
export const gatedRunner: RunnerFactory = async (options, events) => runnerGate.wrap(await defaultRunnerFactory(true)(options, events));
