/**
 * A model's files, from the hub, from dropped files, or from a folder on disk.
 *
 * Hub downloads follow transformers.js's own conventions so the two share one cache and one configuration:
 * URLs are `env.remoteHost` + `env.remotePathTemplate` ({model}/resolve/{revision}/) + file, fetched with
 * `env.fetch`; the cache is the one transformers.js would pick (env.customCache, else the browser Cache API
 * named env.cacheKey keyed by URL, else in Node its file cache under env.cacheDir keyed `<id>/<file>`), and
 * the variant list comes from `ModelRegistry.get_available_dtypes`. transformers.js 4.3 does not export its
 * file getter (getModelFile), only model/tokenizer/config loaders, so the byte download itself is ours:
 * we need the raw .onnx bytes to edit them, never a session built by transformers.js.
 *
 * External-data file names are read from the model (initializer locations), never guessed.
 */
import { env, ModelRegistry } from '@huggingface/transformers';
import type { Device, ModelDtype, ModelSource, ProgressEvent } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { modelBuffer, readModel } from '../onnx/model';
import { chooseDevice, type DeviceChoice } from './device';
import { ProgressTracker } from './progress';

export type JsonObject = Record<string, unknown>;

export interface ModelFiles {
  /** Hub id, dropped folder name, or disk path: what ModelInfo.id and share links use. */
  id: string;
  config: JsonObject;
  generationConfig?: JsonObject;
  tokenizerJson: JsonObject;
  tokenizerConfig: JsonObject;
  /** Repo-relative path of the graph file, e.g. "onnx/model_q4f16.onnx". */
  onnxFile: string;
  onnx: Uint8Array;
  /** `path` is the location string exactly as stored in the model (onnxruntime-web matches on it). */
  externalData: { path: string; data: Uint8Array }[];
  dtype: ModelDtype;
  device: Device;
  deviceReason: string;
  /** Variants the source has ([] when they could not be listed). */
  availableDtypes: ModelDtype[];
}

export interface LoadFilesOptions {
  dtype?: ModelDtype;
  /** Sets transformers.js's env.remoteHost (tests point it at a local server). */
  remoteHost?: string;
  onProgress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Device and variant choice once the available variants are known; default: wasm with the requested dtype. */
  pickDtype?: (available: ModelDtype[]) => DeviceChoice;
}

/** File-name suffixes, as transformers.js and the onnx-community repos use them (q8 is "model_quantized"). */
export const DTYPE_SUFFIX: Record<ModelDtype, string> = {
  fp32: '', fp16: '_fp16', q4: '_q4', q4f16: '_q4f16', q8: '_quantized', quantized: '_quantized',
  int8: '_int8', uint8: '_uint8', bnb4: '_bnb4',
};

export const onnxFileFor = (dtype: ModelDtype): string => `onnx/model${DTYPE_SUFFIX[dtype]}.onnx`;

/** Variants present among repo-relative file names ("quantized" is reported as q8, transformers.js's name). */
export function dtypesFromFileNames(names: Iterable<string>): ModelDtype[] {
  const set = new Set(names);
  return (Object.keys(DTYPE_SUFFIX) as ModelDtype[]).filter((d) => d !== 'quantized' && set.has(onnxFileFor(d)));
}

/** One way of reaching a repo's files. `get` resolves null when the file does not exist. */
interface FileSource {
  readonly id: string;
  readonly stage: string;
  /** For messages: "hub repo "org/name" (revision main, http://…/)". */
  readonly where: string;
  get(file: string, tracker: ProgressTracker, signal?: AbortSignal): Promise<Uint8Array | null>;
  dtypes(config: JsonObject): Promise<ModelDtype[]>;
}

export async function loadModelFiles(source: ModelSource, opts: LoadFilesOptions = {}): Promise<ModelFiles> {
  if (opts.remoteHost) env.remoteHost = opts.remoteHost.endsWith('/') ? opts.remoteHost : `${opts.remoteHost}/`;
  const src = openSource(source);
  const tracker = new ProgressTracker(src.stage, opts.onProgress);
  const get = (file: string): Promise<Uint8Array | null> => {
    opts.signal?.throwIfAborted();
    return src.get(file, tracker, opts.signal);
  };
  // Fetched together, but a failure is reported in this file order, whichever request failed first,
  // so a missing repo always reads "no config.json".
  const settled = await Promise.allSettled([
    get('config.json').then((b) => parseJson(src, 'config.json', b, HINT.config)),
    get('generation_config.json').then((b) => (b ? parseJson(src, 'generation_config.json', b, '') : undefined)),
    get('tokenizer.json').then((b) => parseJson(src, 'tokenizer.json', b, HINT.tokenizer)),
    get('tokenizer_config.json').then((b) => parseJson(src, 'tokenizer_config.json', b, HINT.tokenizer)),
  ]);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [config, generationConfig, tokenizerJson, tokenizerConfig] = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    JsonObject, JsonObject | undefined, JsonObject, JsonObject,
  ];
  const availableDtypes = await src.dtypes(config);
  const pickDtype = opts.pickDtype ?? defaultPick(opts.dtype);
  const choice = pickDtype(availableDtypes);
  const onnxFile = onnxFileFor(choice.dtype);
  const onnx = await get(onnxFile);
  if (!onnx) throw missingVariant(src, choice.dtype, availableDtypes);
  const externalData = await getExternalData(src, onnxFile, onnx, get);
  tracker.done();
  return {
    id: src.id, config, generationConfig, tokenizerJson, tokenizerConfig, onnxFile, onnx, externalData,
    dtype: choice.dtype, device: choice.device, deviceReason: choice.reason, availableDtypes,
  };
}

const HINT = {
  config: 'It must be a Hugging Face model folder (config.json, tokenizer.json, tokenizer_config.json, onnx/model_<dtype>.onnx); check the model id or the folder you picked.',
  tokenizer: 'Steering Lab needs the tokenizer files that transformers.js repos ship (tokenizer.json and tokenizer_config.json); use an ONNX export that includes them, e.g. an onnx-community repo.',
};

function defaultPick(dtype: ModelDtype | undefined): (available: ModelDtype[]) => DeviceChoice {
  return (available) => chooseDevice({ preference: 'wasm', hasWebGPU: false, requestedDtype: dtype, availableDtypes: available });
}

function openSource(source: ModelSource): FileSource {
  switch (source.kind) {
    case 'hub': return new HubSource(source.id, source.revision ?? 'main');
    case 'files': return new RecordSource(source.name, source.files);
    case 'path': return new DiskSource(source.path);
  }
}

function parseJson(src: FileSource, file: string, bytes: Uint8Array | null, hint: string): JsonObject {
  if (!bytes) throw new EngineError('load-failed', `${capital(src.where)} has no ${file}. ${hint}`);
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as JsonObject;
    throw new Error('not a JSON object');
  } catch (e) {
    throw new EngineError('load-failed', `${file} in ${src.where} is not valid JSON (${(e as Error).message}); the download may be truncated, so fetch it again.`);
  }
}

function missingVariant(src: FileSource, dtype: ModelDtype, available: ModelDtype[]): EngineError {
  const list = available.length
    ? `Available variants: ${available.join(', ')}. Load one of those instead.`
    : 'No variant list could be found; check that the repo has an onnx/ folder (an ONNX export such as an onnx-community repo).';
  return new EngineError('load-failed', `${capital(src.where)} has no ${onnxFileFor(dtype)} (the ${dtype} variant). ${list}`);
}

/** Fetches every external-data file the model names, as onnx/<location>, keeping the stored location as its path. */
async function getExternalData(
  src: FileSource, onnxFile: string, onnx: Uint8Array, get: (file: string) => Promise<Uint8Array | null>,
): Promise<{ path: string; data: Uint8Array }[]> {
  const locations = readModel(onnx).externalLocations;
  return Promise.all(locations.map(async (location) => {
    const file = externalDataFile(onnxFile, location);
    const data = await get(file);
    if (!data) {
      throw new EngineError('load-failed', `${onnxFile} keeps its weights in the external-data file "${location}", but ${src.where} has no ${file}. Add that file (it sits next to the .onnx file) and load again.`);
    }
    return { path: location, data };
  }));
}

/** Repo path of an external-data location, relative to the graph file's folder; refuses paths leaving the repo. */
export function externalDataFile(onnxFile: string, location: string): string {
  const dir = onnxFile.includes('/') ? onnxFile.slice(0, onnxFile.lastIndexOf('/') + 1) : '';
  const rel = location.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  if (rel === '' || rel.startsWith('/') || rel.split('/').includes('..') || /^[a-z]+:/i.test(rel)) {
    throw new EngineError('load-failed', `${onnxFile} names an external-data file outside its folder ("${location}"); refusing to read it.`);
  }
  return dir + rel;
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (e instanceof DOMException && e.name === 'AbortError');
}

// ---------------------------------------------------------------------------------------------------------
// Hub

/** Joins URL parts with single slashes, as transformers.js's pathJoin does. */
function joinUrl(...parts: string[]): string {
  return parts
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, '') : p.replace(/^\/+|\/+$/g, '')))
    .filter((p) => p !== '')
    .join('/');
}

class HubSource implements FileSource {
  readonly stage = 'download';
  constructor(readonly id: string, private readonly revision: string) {
    if (!/^[\w.-]+(\/[\w.-]+)?$/.test(id) || id.includes('..')) {
      throw new EngineError('bad-input', `"${id}" is not a hub model id; use the form "org/name", e.g. onnx-community/Qwen2.5-0.5B-Instruct.`);
    }
  }

  get where(): string { return `hub repo "${this.id}" (revision ${this.revision}, ${env.remoteHost})`; }

  url(file: string): string {
    const path = env.remotePathTemplate.replaceAll('{model}', this.id).replaceAll('{revision}', encodeURIComponent(this.revision));
    return joinUrl(env.remoteHost, path, file);
  }

  async get(file: string, tracker: ProgressTracker, signal?: AbortSignal): Promise<Uint8Array | null> {
    const url = this.url(file);
    const cache = await openCache();
    const key = cache?.keyFor(this.id, this.revision, file, url) ?? url;
    const hit = await cache?.match(key).catch(() => undefined);
    if (hit) {
      tracker.finish(file, hit.length); // from cache: complete in one step
      return hit;
    }
    const res = await this.fetch(file, url, signal);
    if (!res) return null;
    const bytes = await readBody(res, file, tracker, signal);
    // A full disk or quota must not fail the load; the next load just downloads again.
    await cache?.put(key, bytes).catch(() => undefined);
    return bytes;
  }

  /** The response for a file, null on 404; other failures become load-failed with the reason. */
  private async fetch(file: string, url: string, signal?: AbortSignal): Promise<Response | null> {
    if (!env.allowRemoteModels) {
      throw new EngineError('load-failed', `${file} of ${this.id} is not cached and downloads are disabled (env.allowRemoteModels = false). Load the model from a folder instead.`);
    }
    let res: Response;
    try {
      res = await env.fetch(url, { signal });
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      throw new EngineError('load-failed', `Could not download ${url}: ${(e as Error).message}. Check the network connection (the hub must be reachable) and try again.`);
    }
    if (res.status === 404) return null;
    if (res.status === 401 || res.status === 403) {
      throw new EngineError('load-failed', `The hub refused ${file} of ${this.id} (HTTP ${res.status}): the repository does not exist, or it is gated or private. Check the id; for a gated model, download it and load the folder.`);
    }
    if (!res.ok) throw new EngineError('load-failed', `Downloading ${url} failed with HTTP ${res.status}; try again later.`);
    return res;
  }

  async dtypes(config: JsonObject): Promise<ModelDtype[]> {
    try {
      // transformers.js probes onnx/model<suffix>.onnx for each dtype with a 1-byte range request.
      const found = await ModelRegistry.get_available_dtypes(this.id, { config: config as never, revision: this.revision });
      const ours = Object.keys(DTYPE_SUFFIX) as string[];
      return found.filter((d): d is ModelDtype => ours.includes(d));
    } catch {
      return []; // listing is a courtesy for error messages and variant choice; the download itself reports problems
    }
  }
}

/** Reads a body with per-chunk progress into one buffer (sized by Content-Length when given, grown otherwise). */
async function readBody(res: Response, file: string, tracker: ProgressTracker, signal?: AbortSignal): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  const size = Number.isFinite(declared) && declared > 0 ? declared : undefined;
  tracker.start(file, size);
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    tracker.finish(file, bytes.length);
    return bytes;
  }
  // A model graph gets room after its bytes so instrumentation can edit it in place (no copy of the weights).
  let buf = size === undefined ? new Uint8Array(1 << 20) : file.endsWith('.onnx') ? modelBuffer(size) : new Uint8Array(size);
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    signal?.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) break;
    // A compressed transfer can deliver more bytes than Content-Length said: grow.
    if (n + value.length > buf.length) buf = grow(buf, n, n + value.length);
    buf.set(value, n);
    n += value.length;
    tracker.update(file, n, size);
  }
  tracker.finish(file, n);
  return n === buf.length ? buf : buf.slice(0, n);
}

/** Reads a stream into `buf`, which must be exactly its length (a cached Response's Content-Length). */
async function streamInto(body: ReadableStream<Uint8Array>, buf: Uint8Array): Promise<Uint8Array> {
  const reader = body.getReader();
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > buf.length) throw new EngineError('load-failed', `A cached file is longer than its recorded ${buf.length} bytes; clear the browser's model cache and load again.`);
    buf.set(value, n);
    n += value.length;
  }
  if (n !== buf.length) throw new EngineError('load-failed', `A cached file has ${n} of its recorded ${buf.length} bytes; clear the browser's model cache and load again.`);
  return buf;
}

function grow(buf: Uint8Array, used: number, needed: number): Uint8Array<ArrayBuffer> {
  const next = new Uint8Array(Math.max(needed, buf.length * 2));
  next.set(buf.subarray(0, used));
  return next;
}

// ---------------------------------------------------------------------------------------------------------
// Caches, chosen as transformers.js's getCache chooses them

interface ByteCache {
  keyFor(id: string, revision: string, file: string, url: string): string;
  match(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

type ResponseStore = Pick<Cache, 'put'> & { match(key: string): Promise<unknown> };

async function openCache(): Promise<ByteCache | null> {
  if (env.useCustomCache && env.customCache) return responseCache(env.customCache as unknown as ResponseStore);
  if (env.useBrowserCache && typeof caches !== 'undefined') {
    try {
      return responseCache(await caches.open(env.cacheKey));
    } catch {
      // e.g. an incognito iframe: transformers.js also carries on without a cache
    }
  }
  if (env.useFSCache && env.cacheDir && isNode()) return fileCache(env.cacheDir);
  return null;
}

const isNode = (): boolean => typeof process !== 'undefined' && !!process.versions?.node;

/** Cache API (or a custom cache with its interface), keyed by URL like transformers.js. */
function responseCache(store: ResponseStore): ByteCache {
  return {
    keyFor: (_id, _rev, _file, url) => url,
    async match(key) {
      const hit = await store.match(key);
      if (typeof hit === 'string') return readNodeFile(hit); // custom caches may return a file path (Node)
      const withBody = hit as { arrayBuffer?: () => Promise<ArrayBuffer>; body?: ReadableStream<Uint8Array> | null; headers?: Headers } | undefined;
      const size = Number(withBody?.headers?.get('content-length'));
      // A model graph streams straight into a modelBuffer (room to instrument in place, no second copy).
      if (key.endsWith('.onnx') && withBody?.body && Number.isSafeInteger(size) && size > 0) return streamInto(withBody.body, modelBuffer(size));
      return withBody?.arrayBuffer ? new Uint8Array(await withBody.arrayBuffer()) : undefined;
    },
    async put(key, bytes) {
      // Content-Length set explicitly: the Cache API may drop it, and transformers.js reads sizes from it.
      const headers = { 'content-length': String(bytes.byteLength) };
      await store.put(key, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    },
  };
}

/** Node file cache with transformers.js's FileCache layout: <cacheDir>/<id>/<file> (revision in the path unless main). */
function fileCache(dir: string): ByteCache {
  const pathOf = (key: string): string => `${dir.replace(/[\\/]+$/, '')}/${key}`;
  return {
    keyFor: (id, revision, file) => (revision === 'main' ? `${id}/${file}` : `${id}/${revision}/${file}`),
    match: (key) => readNodeFile(pathOf(key)),
    async put(key, bytes) {
      const fs = await nodeFs();
      const path = pathOf(key);
      const tmp = `${path}.tmp.${process.pid}.${Math.random().toString(36).slice(2)}`;
      await fs.mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
      await fs.writeFile(tmp, bytes as Uint8Array<ArrayBuffer>);
      await fs.rename(tmp, path); // readers never see a partial file
    },
  };
}

type NodeFs = typeof import('node:fs/promises');

/** node:fs/promises, imported only when used so this module stays loadable in browsers. */
async function nodeFs(): Promise<NodeFs> {
  const name = 'node:fs/promises';
  return (await import(/* @vite-ignore */ name)) as NodeFs;
}

/**
 * A file's bytes, or undefined when it does not exist. A model graph (.onnx) is read into a
 * `modelBuffer`, with room after it for instrumenting in place.
 */
export async function readNodeFile(path: string): Promise<Uint8Array | undefined> {
  const fs = await nodeFs();
  try {
    if (path.endsWith('.onnx')) {
      const handle = await fs.open(path, 'r');
      try {
        const size = (await handle.stat()).size;
        const bytes = modelBuffer(size);
        for (let o = 0; o < size;) {
          const { bytesRead } = await handle.read(bytes, o, Math.min(1 << 26, size - o), o);
          if (bytesRead === 0) throw new Error(`the file ended at byte ${o} of ${size}`);
          o += bytesRead;
        }
        return bytes;
      } finally {
        await handle.close();
      }
    }
    const b = await fs.readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Dropped files and disk folders

/** A dropped folder. Keys may carry the folder's own name as a prefix ("MyModel/config.json"); it is stripped. */
class RecordSource implements FileSource {
  readonly stage = 'read';
  private readonly files: Map<string, Uint8Array>;
  constructor(readonly id: string, files: Record<string, Uint8Array>) {
    this.files = normalizeKeys(files);
  }
  get where(): string { return `the folder "${this.id}"`; }
  async get(file: string, tracker: ProgressTracker): Promise<Uint8Array | null> {
    const bytes = this.files.get(file) ?? null;
    if (bytes) tracker.finish(file, bytes.length);
    return bytes;
  }
  async dtypes(): Promise<ModelDtype[]> { return dtypesFromFileNames(this.files.keys()); }
}

function normalizeKeys(files: Record<string, Uint8Array>): Map<string, Uint8Array> {
  const entries = Object.entries(files).map(([k, v]) => [k.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, ''), v] as const);
  if (entries.some(([k]) => k === 'config.json')) return new Map(entries);
  const configs = entries.filter(([k]) => /^[^/]+\/config\.json$/.test(k));
  if (configs.length !== 1) return new Map(entries);
  const prefix = configs[0][0].slice(0, -'config.json'.length);
  return new Map(entries.filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v] as const));
}

/** A folder on disk in hub layout (Node only: CLI and tests). */
class DiskSource implements FileSource {
  readonly stage = 'read';
  constructor(readonly id: string) {
    if (!isNode()) throw new EngineError('bad-input', 'Loading a model from a disk path works only in Node (CLI, tests); in the browser, drop the folder instead.');
  }
  get where(): string { return `the folder ${this.id}`; }
  private pathOf(file: string): string { return `${this.id.replace(/[\\/]+$/, '')}/${file}`; }
  async get(file: string, tracker: ProgressTracker): Promise<Uint8Array | null> {
    try {
      const bytes = await readNodeFile(this.pathOf(file));
      if (bytes) tracker.finish(file, bytes.length);
      return bytes ?? null;
    } catch (e) {
      throw new EngineError('load-failed', `Could not read ${this.pathOf(file)}: ${(e as Error).message}.`);
    }
  }
  async dtypes(): Promise<ModelDtype[]> {
    const fs = await nodeFs();
    const names = await fs.readdir(this.pathOf('onnx')).catch(() => [] as string[]);
    return dtypesFromFileNames(names.map((n) => `onnx/${n}`));
  }
}
