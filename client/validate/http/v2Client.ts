import { Agent, request, type Dispatcher } from 'undici';
import { ValidateError } from '../validateError';
import { ImageRejectedError } from './imageRejectedError';
import { decodeFirstOutput } from './inferResponse';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './retryPolicy';

/** Texts per embed_text request: the old deployment's `max_batch_size` of 60. */
export const MAX_TEXTS_PER_REQUEST = 60;

/** The text model `embed_text` is asked for (the old deployment's default was another model). */
export const TEXT_EMBED_MODEL = 'siglip_text';

/** Options of {@link V2Client}. */
export interface V2ClientOptions {
  /** Server base URL: the backend, the gateway, or a Triton serving the same models. */
  url: string;
  /** Sent as `Authorization: Bearer <key>` (the gateway's API keys). */
  apiKey?: string;
  /** Keep-alive connections to open at most; one request per connection at a time. */
  connections: number;
  retry?: Partial<RetryPolicy>;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

const NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED']);
const IMAGE_REJECTIONS = new Set([400, 413, 415, 422]);

/**
 * A KServe v2 client for the two requests of the accuracy check: embed_image with the image file's raw bytes as the
 * body, and embed_text with a JSON batch. Keep-alive connections (an undici Agent), retries on 503 and 429 honouring
 * Retry-After, and errors whose messages say what to fix.
 */
export class V2Client {
  readonly baseUrl: string;
  private readonly agent: Dispatcher;
  private readonly auth: Record<string, string>;
  private readonly policy: RetryPolicy;
  private closed = false;

  constructor(options: V2ClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new ValidateError(`--url must be an http(s) URL such as http://127.0.0.1:8000, got "${options.url}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidateError(`--url must be http:// or https://, got "${options.url}"`);
    if (!(Number.isInteger(options.connections) && options.connections >= 1)) throw new ValidateError(`--concurrency must be a positive integer, got ${options.connections}`);
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.agent = new Agent({ connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
    this.auth = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  }

  /** GET /v2/models/{model}: the model's metadata. Connection failures are not retried, so a wrong URL fails fast. */
  async modelMetadata(model: string): Promise<Record<string, unknown>> {
    const r = await this.send('GET', `/v2/models/${model}`, {}, undefined, { retryNetworkErrors: false });
    if (r.status !== 200) throw this.fatal(r, `GET /v2/models/${model}`);
    return parseJson(r.body, `GET /v2/models/${model}`);
  }

  /** GET /v2/models/{model}/config, or undefined when the server does not offer it. */
  async modelConfig(model: string): Promise<Record<string, unknown> | undefined> {
    const r = await this.send('GET', `/v2/models/${model}/config`, {}, undefined, { retryNetworkErrors: false });
    if (r.status !== 200) return undefined;
    try {
      return parseJson(r.body, 'config');
    } catch {
      return undefined;
    }
  }

  /** Embeds one image file's bytes (the old deployment's raw-bytes request); throws ImageRejectedError for a bad image. */
  async embedImage(bytes: Uint8Array, signal?: AbortSignal): Promise<Float32Array> {
    const headers = { 'content-type': 'application/octet-stream', 'inference-header-content-length': '0' };
    const r = await this.send('POST', '/v2/models/embed_image/infer', headers, bytes, { signal });
    if (IMAGE_REJECTIONS.has(r.status)) throw new ImageRejectedError(r.status, `${r.status}: ${errorText(r.body)}`);
    if (r.status !== 200) throw this.fatal(r, 'embed_image');
    const out = decodeFirstOutput(r.body, header(r, 'inference-header-content-length'), 'embed_image');
    if (out.data.length === 0) throw new ValidateError('embed_image returned an empty embedding');
    return out.data;
  }

  /** Embeds up to 60 texts with embed_text (embed_model siglip_text); one embedding per text, in order. */
  async embedTexts(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    if (texts.length > MAX_TEXTS_PER_REQUEST) throw new Error(`embedTexts: ${texts.length} texts, at most ${MAX_TEXTS_PER_REQUEST} per request`);
    const body = JSON.stringify({
      parameters: { embed_model: TEXT_EMBED_MODEL },
      inputs: [{ name: 'INPUT_TEXT', shape: [texts.length, 1], datatype: 'BYTES', data: texts }],
    });
    const r = await this.send('POST', '/v2/models/embed_text/infer', { 'content-type': 'application/json' }, Buffer.from(body), { signal });
    if (r.status !== 200) throw this.fatal(r, 'embed_text');
    const out = decodeFirstOutput(r.body, header(r, 'inference-header-content-length'), 'embed_text');
    const dim = out.shape.length === 2 ? out.shape[1] : out.data.length / texts.length;
    if ((out.shape.length === 2 && out.shape[0] !== texts.length) || !Number.isInteger(dim) || dim <= 0) {
      throw new ValidateError(`embed_text: sent ${texts.length} texts, got outputs[0] of shape [${out.shape}]`);
    }
    return texts.map((_, i) => out.data.slice(i * dim, (i + 1) * dim));
  }

  /** Closes the keep-alive connections (once; later calls do nothing). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.agent.close();
  }

  private async send(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: Uint8Array | undefined,
    opts: { signal?: AbortSignal; retryNetworkErrors?: boolean },
  ): Promise<Reply> {
    const retryNetwork = opts.retryNetworkErrors ?? this.policy.retryNetworkErrors;
    for (let attempt = 1; ; attempt++) {
      let reply: Reply;
      try {
        const res = await request(`${this.baseUrl}${path}`, { method, headers: { ...headers, ...this.auth }, body, dispatcher: this.agent, signal: opts.signal });
        reply = { status: res.statusCode, headers: res.headers, body: new Uint8Array(await res.body.arrayBuffer()) };
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        const code = (err as { code?: string }).code ?? '';
        const message = `cannot reach ${this.baseUrl} (${code || (err as Error).message})`;
        if (!retryNetwork || !NETWORK_ERRORS.has(code)) throw new ValidateError(`${message}: start the server (siglip serve) or pass --url`);
        if (attempt >= this.policy.maxAttempts) throw new ValidateError(`${message} after ${attempt} attempts: is the server still running?`);
        await this.policy.sleep(retryDelayMs(attempt, undefined, this.policy), opts.signal);
        continue;
      }
      if (reply.status !== 503 && reply.status !== 429) return reply;
      if (attempt >= this.policy.maxAttempts) {
        throw new ValidateError(`${method} ${path} was still answered ${reply.status} (${errorText(reply.body)}) after ${attempt} attempts: lower --concurrency or try again later`);
      }
      await this.policy.sleep(retryDelayMs(attempt, header(reply, 'retry-after'), this.policy), opts.signal);
    }
  }

  private fatal(r: Reply, what: string): ValidateError {
    const detail = `${what} answered ${r.status} (${errorText(r.body)})`;
    if (r.status === 401 || r.status === 403) return new ValidateError(`${detail}: pass a valid --api-key for the gateway`);
    if (r.status === 404) return new ValidateError(`${detail}: is --url ${this.baseUrl} a SigLIP server with embed_image and embed_text?`);
    return new ValidateError(`${detail}: check the server's log`);
  }
}

function header(r: Reply, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// Triton's error body is {"error": "<msg>"}; anything else is shown as text, shortened.
function errorText(body: Uint8Array): string {
  const text = Buffer.from(body).toString('utf8');
  try {
    const parsed = JSON.parse(text) as { error?: unknown } | null;
    if (typeof parsed?.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text || 'empty body';
}

function parseJson(body: Uint8Array, what: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(body).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new ValidateError(`${what}: the answer is not JSON; is --url a KServe v2 server?`);
  }
}
