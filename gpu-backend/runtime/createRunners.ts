import { join } from 'node:path';
import type { RepositoryEntry } from '../config/modelRepository';
import { createOrtRunner, type OrtRunnerOptions } from './ortRunner';
import { createThreadedOrtRunner, type ThreadedRunnerEvents } from './threadedRunner';
import type { ModelRunner } from './types';

/** Provider and naming settings read from a model's config `parameters`. */
export interface RuntimeParameters {
  providers: string[];
  strict: boolean;
  inputNames: Record<string, string>;
  outputNames: Record<string, string>;
  deviceId?: number;
  intraOpThreads?: number;
}

/** The runtime settings of a model's config (typed and checked when the config was parsed), with the CLI's overrides. */
export function runtimeParameters(entry: RepositoryEntry, overrides: { providers?: string[]; strict?: boolean }): RuntimeParameters {
  const p = entry.config.parameters;
  const kind = entry.config.instance_group[0]?.kind ?? 'KIND_AUTO';
  let providers = overrides.providers ?? p.execution_providers ?? ['cuda', 'cpu'];
  if (kind === 'KIND_CPU') providers = ['cpu'];
  return {
    providers,
    strict: overrides.strict || p.strict_execution_provider === true,
    inputNames: p.onnx_input_names ?? {},
    outputNames: p.onnx_output_names ?? {},
    deviceId: p.cuda_device_id,
    intraOpThreads: p.intra_op_num_threads,
  };
}

/** Opens one model instance: the seam tests use to wrap the production runner (e.g. to hold its runs at a gate). */
export type RunnerFactory = (options: OrtRunnerOptions, events: ThreadedRunnerEvents) => Promise<ModelRunner>;

/**
 * The production factory: each instance in a thread of its own (onnxruntime-node computes synchronously on the
 * calling thread, so the event loop keeps reading, decoding and batching while a batch runs), or in-process.
 */
export function defaultRunnerFactory(threaded: boolean): RunnerFactory {
  return threaded ? (o, events) => createThreadedOrtRunner(o, events) : (o) => createOrtRunner(o);
}

/** Opens one session per instance_group count for an ONNX model. */
export async function createRunners(
  entry: RepositoryEntry,
  params: RuntimeParameters,
  onFallback: (msg: string) => void,
  create: RunnerFactory,
  events: ThreadedRunnerEvents = {},
): Promise<ModelRunner[]> {
  const count = entry.config.instance_group.reduce((n, g) => n + g.count, 0);
  const runners: ModelRunner[] = [];
  let fallbackLogged = false;
  for (let i = 0; i < count; i++) {
    runners.push(
      await create(
        {
          modelPath: join(entry.versionDir, 'model.onnx'),
          providers: params.providers,
          strictProvider: params.strict,
          inputNames: params.inputNames,
          outputNames: params.outputNames,
          deviceId: params.deviceId,
          intraOpThreads: params.intraOpThreads,
          onFallback: (msg) => {
            if (!fallbackLogged) onFallback(msg);
            fallbackLogged = true;
          },
        },
        events,
      ),
    );
  }
  return runners;
}
