/**
 * The largest gRPC message the server accepts (grpc.max_receive_message_length; gRPC's own default, 4 MiB, is
 * less than two 384×384 images). Big enough for a full batch of every model whose inputs have a fixed size
 * (max_batch_size × the bytes of one item's inputs), and never below the HTTP body limit, which is also what
 * bounds a message of variable-size inputs (image files, texts). Past it, gRPC refuses the message with
 * RESOURCE_EXHAUSTED before any handler sees it, and the connection goes on serving.
 */
import { TRITON_TYPES, type ModelConfig } from '../../shared/model-repository/modelConfig';
import { DATATYPE_SIZE, type Datatype } from '../../shared/protocol';

/** Room for the message's own fields (names, shapes, parameters) around the tensor bytes. */
const MESSAGE_SLACK_BYTES = 64 * 1024;

/** Bytes of one batch item's inputs, or undefined when an input's size varies (BYTES, or a -1 dimension). */
function itemBytes(config: Pick<ModelConfig, 'input'>): number | undefined {
  let total = 0;
  for (const input of config.input) {
    const datatype: Datatype = TRITON_TYPES[input.data_type];
    if (datatype === 'BYTES' || input.dims.some((d) => d < 0)) return undefined;
    total += input.dims.reduce((a, b) => a * b, 1) * DATATYPE_SIZE[datatype];
  }
  return total;
}

/** The receive limit for the repository's model configs, at least `bodyLimit` (the HTTP --max-body-bytes). */
export function grpcReceiveLimit(configs: Iterable<Pick<ModelConfig, 'input' | 'max_batch_size'>>, bodyLimit: number): number {
  let largest = bodyLimit;
  for (const c of configs) {
    const bytes = itemBytes(c);
    if (bytes !== undefined) largest = Math.max(largest, c.max_batch_size * bytes);
  }
  // grpc-js keeps the limit in a signed 32-bit integer.
  return Math.min(largest + MESSAGE_SLACK_BYTES, 2 ** 31 - 1);
}
