/** What an HTTP thread and the main thread say to each other over the thread's MessagePort. */
import type { MessagePort } from 'node:worker_threads';
import type { ModelContract } from '../../../shared/contract/modelContract';
import type { DecodedJsonRequest } from '../../../shared/codec/jsonInferRequest';
import type { Parameters } from '../../../shared/protocol';
import type { SerializedTaskError } from '../../workers/taskErrors';
import type { InputTensor, OutputTensor } from '../../models/types';

/** A model an HTTP thread serves infer requests for (the rest of its routes are the main thread's). */
export interface ThreadModel {
  name: string;
  version: string;
  contract: ModelContract;
}

/** What an HTTP thread starts from (WorkerPool init). */
export interface HttpThreadInit {
  index: number;
  /** Its own descriptor of the API port's listening socket (-1: none to be had; the thread's init fails). */
  fd: number;
  /** The main thread's loopback listener, for every request that is not an infer of a ThreadModel. */
  mainUrl: string;
  port: MessagePort;
  models: ThreadModel[];
  requireToken?: string;
  logLevel: string;
  /**
   * JSON bodies this long or longer are decoded by the main thread's decode pool (read in place from this thread's
   * shared-memory body), so that several decode at once; shorter ones here. Absent: all here (no pool).
   */
  decodeInPoolFromBytes?: number;
  /** The backend's --json-decoder: 'naive' (the benchmark's baseline) decodes with JSON.parse here too. */
  jsonDecoder: 'fast' | 'naive';
  /** This thread's share of the backend's body limits. */
  body: { maxBodyBytes: number; idleTimeoutMs: number; capacity: number; maxWaiting: number; maxWaitMs: number };
}

/** Thread → main. */
export type FromHttpThread =
  | {
      t: 'infer';
      id: number;
      model: string;
      version?: string;
      inputs: InputTensor[];
      parameters: Parameters;
      outputs: string[];
      /** Time already spent on the request in the thread (reading, decoding), counted in its duration. */
      elapsedMs: number;
      requestId: string;
    }
  /** A JSON body in shared memory, for the decode pool (the thread keeps the body until the answer). */
  | { t: 'decode'; id: number; body: Uint8Array }
  | { t: 'cancel'; id: number }
  /** A request the thread refused before asking for inference (a bad body): counted in the model's failures. */
  | { t: 'failed'; model: string; elapsedMs: number; reason: string }
  | { t: 'drained' };

/** Main → thread. */
export type ToHttpThread =
  | { t: 'result'; id: number; outputs: OutputTensor[] }
  | { t: 'decoded'; id: number; decoded: DecodedJsonRequest }
  | { t: 'error'; id: number; error: SerializedTaskError; cancelled?: boolean }
  | { t: 'drain'; timeoutMs: number };
