/** The only model paths the gateway forwards, parsed strictly from the normalized URL path. */

/** What a model path asks for. */
export type ModelAction = 'metadata' | 'infer' | 'ready' | 'config' | 'stats';

/** A parsed model route and the canonical path to send to the backend. */
export interface ModelRoute {
  model: string;
  version: string | undefined;
  action: ModelAction;
  method: 'GET' | 'POST';
  backendPath: string;
}

// No '%' anywhere: an encoded '/' or '.' can never become a path separator at the backend. The WHATWG
// URL parser has already removed '.' and '..' segments before this sees the path.
const MODEL_PATH = /^\/v2\/models\/([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})(?:\/versions\/([0-9]{1,9}))?(?:\/(infer|ready|config|stats))?$/;

/** Parses `/v2/models/{m}[/versions/{v}][/{infer,ready,config,stats}]`, or undefined for anything else. */
export function parseModelPath(method: string, pathname: string): ModelRoute | undefined {
  const m = MODEL_PATH.exec(pathname);
  if (!m) return undefined;
  const [, model, version, suffix] = m;
  // `/v2/models/stats` is the backend's all-models statistics route, not a model (and not for tenants).
  if (model === 'stats') return undefined;
  const action = (suffix ?? 'metadata') as ModelAction;
  const wanted = action === 'infer' ? 'POST' : 'GET';
  if (method !== wanted) return undefined;
  const base = version === undefined ? `/v2/models/${model}` : `/v2/models/${model}/versions/${version}`;
  return { model, version, action, method: wanted, backendPath: suffix ? `${base}/${suffix}` : base };
}

/** The path of a request URL, normalized by the URL parser (dot segments resolved, nothing decoded). */
export function pathnameOf(url: string): string {
  return new URL(url).pathname;
}
