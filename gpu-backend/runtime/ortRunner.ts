// The only module that imports onnxruntime-node.
import ort from 'onnxruntime-node';
import { internal, InferenceError } from '../../shared/errors';
import { DATATYPE_INFO, datatypeOfOrt } from '../../shared/datatypes';
import type { ModelRunner, RunnerTensor, TensorData } from './types';

/** Options resolved from a model's config.json for one session. */
export interface OrtRunnerOptions {
  modelPath: string;
  /** Preference order, e.g. ["cuda", "cpu"]. */
  providers: string[];
  /** Refuse to start when the first provider cannot load, instead of falling back. */
  strictProvider: boolean;
  /** Public tensor name → ONNX graph name. */
  inputNames: Record<string, string>;
  outputNames: Record<string, string>;
  deviceId?: number;
  intraOpThreads?: number;
  /** Called once with a one-line explanation when a provider could not load. */
  onFallback?: (message: string) => void;
}


function providerConfig(name: string, deviceId: number | undefined): ort.InferenceSession.ExecutionProviderConfig {
  if (name === 'cuda') return { name: 'cuda', deviceId: deviceId ?? 0 };
  return name;
}

// ORT's default logger prints a multi-line native error when a provider library is missing; we log one line
// instead (see onFallback), and every other failure still reaches us as an exception.
ort.env.logLevel = 'fatal';

async function createSession(opts: OrtRunnerOptions, providers: string[]): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(opts.modelPath, {
    executionProviders: providers.map((p) => providerConfig(p, opts.deviceId)),
    graphOptimizationLevel: 'all',
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    // ORT's own logger would print a multi-line native error for a missing provider; we log one line instead.
    logSeverityLevel: 3,
    // Spinning intra-op threads would burn the cores that decode and preprocess requests between batches.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
}

/** Opens an ONNX Runtime session, trying each provider in order, falling back to CPU unless strict. */
export async function createOrtRunner(opts: OrtRunnerOptions): Promise<ModelRunner> {
  let providers = opts.providers.length ? [...opts.providers] : ['cpu'];
  let session: ort.InferenceSession | undefined;
  while (!session) {
    try {
      session = await createSession(opts, providers);
    } catch (err) {
      const first = providers[0];
      const reason = (err as Error).message.split('\n')[0];
      if (opts.strictProvider || providers.length <= 1) {
        throw new Error(`cannot create an ONNX Runtime session for ${opts.modelPath} with providers [${providers}]: ${reason}`);
      }
      providers = providers.slice(1);
      opts.onFallback?.(`execution provider '${first}' could not load (${reason}); falling back to '${providers[0]}'`);
    }
  }
  checkNames(session, opts);
  return new OrtRunner(session, providers[0], opts);
}

function checkNames(session: ort.InferenceSession, opts: OrtRunnerOptions): void {
  for (const [pub, onnx] of Object.entries(opts.inputNames)) {
    if (!session.inputNames.includes(onnx)) {
      throw new Error(`${opts.modelPath}: input ${pub} maps to ONNX input '${onnx}', but the graph has [${session.inputNames}]`);
    }
  }
  for (const [pub, onnx] of Object.entries(opts.outputNames)) {
    if (!session.outputNames.includes(onnx)) {
      throw new Error(`${opts.modelPath}: output ${pub} maps to ONNX output '${onnx}', but the graph has [${session.outputNames}]`);
    }
  }
}

class OrtRunner implements ModelRunner {
  // onnxruntime-node refuses tensors over a SharedArrayBuffer (the batcher's batch buffers), so those are copied
  // into this runner's own staging arrays, allocated once; in a threaded instance the copy runs off the event loop.
  private readonly staging = new Map<string, TensorData>();

  constructor(
    private readonly session: ort.InferenceSession,
    readonly provider: string,
    private readonly opts: OrtRunnerOptions,
  ) {}

  async run(inputs: Record<string, RunnerTensor>, outputNames: readonly string[]): Promise<Record<string, RunnerTensor>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(inputs)) {
      const type = DATATYPE_INFO[t.datatype].ort as ort.Tensor.Type;
      feeds[this.opts.inputNames[name] ?? name] = new ort.Tensor(type, this.unshared(name, t.data) as never, t.dims);
    }
    const fetches = outputNames.map((n) => this.opts.outputNames[n] ?? n);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await this.session.run(feeds, fetches);
    } catch (err) {
      if (err instanceof InferenceError) throw err;
      throw internal(`onnxruntime failed: ${(err as Error).message.split('\n')[0]}`);
    }
    const out: Record<string, RunnerTensor> = {};
    outputNames.forEach((n, i) => {
      const t = result[fetches[i]];
      out[n] = { data: t.data as TensorData, datatype: datatypeOfOrt(t.type) ?? 'FP32', dims: t.dims.map(Number) };
    });
    return out;
  }

  private unshared(name: string, data: TensorData): TensorData {
    if (!(data.buffer instanceof SharedArrayBuffer)) return data;
    let buf = this.staging.get(name);
    if (!buf || buf.length < data.length) {
      buf = new (data.constructor as { new (n: number): TensorData })(data.length);
      this.staging.set(name, buf);
    }
    const view = buf.subarray(0, data.length);
    view.set(data as never);
    return view;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
