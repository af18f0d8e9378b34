import type { Parameters } from '../../../shared/protocol';
import { batchTensors, requestStep, type InputDataset } from '../inputs/inputDataset';
import type { ModelInfo } from '../model/modelInfo';
import { encodeBinaryTensorRequest } from './binaryTensorRequest';
import { encodeJsonTensorRequest } from './jsonTensorRequest';
import type { HttpRequestPlan, InputTensorFormat, OutputTensorFormat, PreparedRequest } from './preparedRequest';
import { encodeRawBinaryRequest } from './rawBinaryRequest';

/** What the request bodies are built from. */
export interface RequestPlanOptions {
  baseUrl: URL;
  model: ModelInfo;
  dataset: InputDataset;
  batchSize: number;
  inputFormat: InputTensorFormat;
  outputFormat: OutputTensorFormat;
  parameters: Parameters;
  headers: Record<string, string>;
}

/**
 * Encodes, once, the request for every data step a request can start at (see requestStep), so senders only pick a
 * prebuilt body: the client spends its time sending, not encoding.
 */
export function buildHttpRequestPlan(o: RequestPlanOptions): HttpRequestPlan {
  const total = o.dataset.steps.length;
  const bodies = new Array<PreparedRequest | null>(total).fill(null);
  for (let k = 0; k < total; k++) {
    const step = requestStep(0, 1, k, o.batchSize, total);
    if (bodies[step]) continue;
    const tensors = batchTensors(o.model, o.dataset, step, o.batchSize);
    bodies[step] =
      o.inputFormat === 'raw'
        ? encodeRawBinaryRequest(tensors)
        : o.inputFormat === 'json'
          ? encodeJsonTensorRequest(tensors, o.model.outputs, o.outputFormat, o.parameters)
          : encodeBinaryTensorRequest(tensors, o.model.outputs, o.outputFormat, o.parameters);
  }
  const contentType = o.inputFormat === 'json' ? 'application/json' : 'application/octet-stream';
  return {
    transport: 'http',
    origin: o.baseUrl.origin,
    path: `${modelPath(o.baseUrl, o.model.name, o.model.version)}/infer`,
    headers: { 'content-type': contentType, ...o.headers },
    bodies,
  };
}

/** `/v2/models/{m}[/versions/{v}]` under the base URL's path. */
export function modelPath(baseUrl: URL, name: string, version: string): string {
  const v = version ? `/versions/${encodeURIComponent(version)}` : '';
  return `${baseUrl.pathname.replace(/\/+$/, "")}/v2/models/${encodeURIComponent(name)}${v}`;
}
