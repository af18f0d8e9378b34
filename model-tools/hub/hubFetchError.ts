/** The hub could not be reached or refused a checkpoint: one line that says why and what to do instead. */
import { HubApiError } from '@huggingface/hub';

/** Where the fetch was going when it failed. */
export interface HubFetchTarget {
  repo: string;
  revision: string;
  hubUrl: string;
}

// What a user can do about any hub failure, whatever its cause.
const ADVICE =
  'set HF_ENDPOINT to a hub mirror you can reach, and HF_TOKEN for a gated or private repo; or, without the hub, convert a local ' +
  'checkout with `siglip model convert --from DIR --into REPOSITORY` and serve it with `--model-repository REPOSITORY`';

/** A fetch that failed on the network or at the hub (not a hash mismatch, not a repo without the files). */
export class HubFetchError extends Error {
  override readonly name = 'HubFetchError';
  /** The hub's HTTP status, when it answered. */
  readonly status: number | undefined;

  constructor(target: HubFetchTarget, cause: unknown) {
    const status = causes(cause).find((e): e is HubApiError => e instanceof HubApiError)?.statusCode;
    super(`${describe(target, cause, status)}: ${ADVICE}`, { cause });
    this.status = status;
  }
}

function describe({ repo, revision, hubUrl }: HubFetchTarget, cause: unknown, status: number | undefined): string {
  const what = `${repo}@${revision}`;
  if (status === 401 || status === 403) return `the hub at ${hubUrl} refused ${what} (HTTP ${status}; gated, private, or a bad HF_TOKEN)`;
  if (status === 404) return `the hub at ${hubUrl} has no ${what} (HTTP 404): check the repo name and --revision`;
  if (status !== undefined) return `the hub at ${hubUrl} answered HTTP ${status} for ${what}`;
  return `cannot download ${what} from ${hubUrl} (${networkReason(cause)})`;
}

// An error and its causes, outermost first (bounded: a cause chain can be a cycle).
function causes(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = err; e instanceof Error && chain.length < 5; e = e.cause) chain.push(e);
  return chain;
}

// fetch's "fetch failed" hides the reason in `cause` (ENOTFOUND, ECONNREFUSED, a TLS error...).
function networkReason(err: unknown): string {
  let reason = '';
  for (const e of causes(err)) {
    const code = (e as NodeJS.ErrnoException).code;
    const part = code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
    if (!reason.includes(part)) reason = reason ? `${reason}: ${part}` : part;
  }
  return reason.replace(/\s*\n\s*/g, ' ') || String(err);
}
