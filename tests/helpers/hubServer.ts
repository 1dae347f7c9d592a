/**
 * A local stand-in for the Hugging Face hub: serves repos in the hub URL layout
 * `/<org>/<name>/resolve/<revision>/<path>` from memory or from a folder laid out `<root>/<org>/<name>/<path>`.
 * Content-Length on every response, HEAD, single byte ranges (transformers.js probes files with
 * `Range: bytes=0-0`), 404 with the hub's `x-error-code: EntryNotFound` for missing files.
 * Point transformers.js at it with `env.remoteHost = server.url`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';

export type RepoFiles = Record<string, Uint8Array | string>;

export interface HubServerOptions {
  /** In-memory repos: { "org/name": { "config.json": "...", "onnx/model.onnx": bytes } }. */
  repos?: Record<string, RepoFiles>;
  /** A folder holding `<org>/<name>/<path>`; used when a file is not in `repos`. */
  root?: string;
  /** Files (repo-relative paths) sent without Content-Length, chunked: "size unknown up front". */
  noContentLength?: string[];
  /** Bytes per write for GET bodies, so clients see several chunks (default 16 KiB). */
  chunkSize?: number;
}

export interface HubRequest { method: string; path: string; status: number; range?: string }

export interface HubServer {
  /** "http://127.0.0.1:<port>/" */
  url: string;
  requests: HubRequest[];
  /** GET requests (without Range) that fetched the body of `repo`'s `file`. */
  downloads(repo: string, file: string): number;
  close(): Promise<void>;
}

const ROUTE = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/;

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const requests: HubRequest[] = [];
  const server = createServer((req, res) => {
    // Logged when the status is written, before the body: a client that finished reading always finds its request.
    handle(req, res, opts, (r) => requests.push(r)).catch((e: Error) => { res.statusCode = 500; res.end(e.message); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    downloads: (repo, file) => requests.filter((r) => r.method === 'GET' && !r.range && r.status === 200 && r.path.endsWith(`/${repo}/resolve/main/${file}`)).length,
    close: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((e) => (e ? reject(e) : resolve()));
    }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: HubServerOptions, log: (r: HubRequest) => void): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const method = req.method ?? 'GET';
  const range = req.headers.range;
  const entry = (status: number): void => log({ method, path, status, ...(range ? { range } : {}) });
  const m = ROUTE.exec(path);
  const body = m ? await lookup(opts, m[1], m[3]) : null;
  if (!m || !body) {
    entry(404);
    res.writeHead(404, { 'content-type': 'text/plain', 'x-error-code': 'EntryNotFound', 'content-length': '15' });
    res.end(method === 'HEAD' ? undefined : 'Entry not found');
    return;
  }
  const span = range ? parseRange(range, body.length) : null;
  if (range && !span) {
    entry(416);
    res.writeHead(416, { 'content-range': `bytes */${body.length}` });
    res.end();
    return;
  }
  const bytes = span ? body.subarray(span[0], span[1] + 1) : body;
  const chunked = !span && (opts.noContentLength ?? []).includes(m[3]);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
  if (!chunked) headers['content-length'] = String(bytes.length);
  if (span) headers['content-range'] = `bytes ${span[0]}-${span[1]}/${body.length}`;
  entry(span ? 206 : 200);
  res.writeHead(span ? 206 : 200, headers);
  if (method === 'HEAD') res.end();
  else await writeChunks(res, bytes, opts.chunkSize ?? 16 * 1024);
}

async function lookup(opts: HubServerOptions, repo: string, file: string): Promise<Uint8Array | null> {
  const mem = opts.repos?.[repo]?.[file];
  if (mem !== undefined) return typeof mem === 'string' ? new TextEncoder().encode(mem) : mem;
  if (!opts.root) return null;
  const full = normalize(join(opts.root, repo, file));
  if (!full.startsWith(normalize(opts.root))) return null;
  const info = await stat(full).catch(() => null);
  return info?.isFile() ? new Uint8Array(await readFile(full)) : null;
}

/** "bytes=a-b", "bytes=a-", "bytes=-n" for one range; null when unsatisfiable or malformed. */
function parseRange(header: string, size: number): [number, number] | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') { start = Math.max(0, size - Number(m[2])); end = size - 1; }
  else { start = Number(m[1]); end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1); }
  return start <= end && start < size ? [start, end] : null;
}

async function writeChunks(res: ServerResponse, bytes: Uint8Array, chunk: number): Promise<void> {
  for (let i = 0; i < bytes.length; i += chunk) {
    const ok = res.write(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
    if (!ok) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => res.end(() => resolve()));
}
