import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A file the fake hub serves; `lfs` files are listed with their sha256 and redirected to a CDN route, as on the hub. */
export interface FakeFile {
  path: string;
  content: Buffer;
  lfs?: boolean;
}

/** A request the fake hub saw. */
export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  range?: string;
}

/** Faults to inject. */
export interface FakeHubFaults {
  /** Cut the connection after this many body bytes, on the first full-body GET of `path` only. */
  cutOnce?: { path: string; afterBytes: number };
  /** Serve this content for `path` instead of the one whose hash is listed. */
  corrupt?: { path: string; content: Buffer };
}

/**
 * A local imitation of the Hugging Face hub routes fetchModel uses:
 * - GET /api/models/{repo}/tree/{revision}: [{type, path, size, oid, lfs?: {oid, size, pointerSize}}]
 * - GET /{repo}/resolve/{revision}/{path}: regular files directly (ETag = git blob id); LFS files as a 302 to
 *   /cdn/{sha256} (with X-Linked-Etag / X-Linked-Size), like the hub's redirect to its CDN
 * - Range requests answered with 206 and Content-Range; X-Repo-Commit on resolve responses.
 */
export class FakeHub {
  readonly requests: SeenRequest[] = [];
  readonly commit = 'c0ffee'.padEnd(40, '0');
  faults: FakeHubFaults = {};
  private server?: Server;
  private cutDone = false;

  constructor(
    readonly repo: string,
    readonly files: FakeFile[],
  ) {}

  /** Starts listening on 127.0.0.1 (random port); returns the base URL. */
  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Stops the server and drops open connections. */
  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? 'GET', url: url.pathname, authorization: req.headers.authorization, range: req.headers.range });
    const tree = `/api/models/${this.repo}/tree/`;
    const resolve = `/${this.repo}/resolve/`;
    if (url.pathname.startsWith(tree)) return this.tree(res);
    if (url.pathname.startsWith(resolve)) {
      const [, ...rest] = decodeURIComponent(url.pathname.slice(resolve.length)).split('/');
      return this.resolve(req, res, rest.join('/'));
    }
    if (url.pathname.startsWith('/cdn/')) {
      const file = this.files.find((f) => sha256(f.content) === url.pathname.slice('/cdn/'.length));
      if (file) return this.serveBytes(req, res, file, { ETag: `"${sha256(file.content)}"` });
    }
    res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end('not found');
  }

  private tree(res: ServerResponse): void {
    const body = this.files.map((f) => ({
      type: 'file',
      path: f.path,
      size: f.lfs ? 134 : f.content.length,
      oid: f.lfs ? gitBlobSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(f.content)}\n`)) : gitBlobSha1(f.content),
      ...(f.lfs ? { lfs: { oid: sha256(f.content), size: f.content.length, pointerSize: 134 } } : {}),
    }));
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  private resolve(req: IncomingMessage, res: ServerResponse, path: string): void {
    const file = this.files.find((f) => f.path === path);
    if (!file) {
      res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'X-Repo-Commit': this.commit }).end();
      return;
    }
    if (file.lfs) {
      res
        .writeHead(302, {
          Location: `/cdn/${sha256(file.content)}`,
          'X-Linked-Etag': `"${sha256(file.content)}"`,
          'X-Linked-Size': String(file.content.length),
          'X-Repo-Commit': this.commit,
        })
        .end();
      return;
    }
    this.serveBytes(req, res, file, { ETag: `"${gitBlobSha1(file.content)}"`, 'X-Repo-Commit': this.commit });
  }

  private serveBytes(req: IncomingMessage, res: ServerResponse, file: FakeFile, headers: Record<string, string>): void {
    const content = this.faults.corrupt?.path === file.path ? this.faults.corrupt.content : file.content;
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = content.length - 1;
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), end) : end;
      if (start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${content.length}` }).end();
        return;
      }
    }
    const body = content.subarray(start, end + 1);
    res.writeHead(m ? 206 : 200, {
      ...headers,
      'Accept-Ranges': 'bytes',
      'Content-Length': String(body.length),
      ...(m ? { 'Content-Range': `bytes ${start}-${end}/${content.length}` } : {}),
    });
    const cut = this.faults.cutOnce;
    const probe = m !== null && start === 0 && end === 0;
    if (cut && cut.path === file.path && !this.cutDone && !probe) {
      this.cutDone = true;
      res.write(body.subarray(0, cut.afterBytes), () => res.destroy());
      return;
    }
    res.end(body);
  }
}

/** sha256 of bytes, hex. */
function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** git's blob id: sha1 of `blob <size>\0<content>`. */
function gitBlobSha1(b: Buffer): string {
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
}
