/**
 * The real hub download path against a local server with the hub URL layout: transformers.js settings
 * (env.remoteHost, its file cache, ModelRegistry's variant probe) and our byte download, with progress.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/engine/shared/api';
import { toErrorData } from '../../src/engine/shared/errors';
import { loadModelFiles } from '../../src/engine/core/runtime/modelFiles';
import { isModelBuffer } from '../../src/engine/core/onnx/model';
import { buildFixture } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { startHubServer, type HubServer } from '../helpers/hubServer';
import { expectProgressRules } from '../helpers/progressRules';

const repo = buildFixture(fixtureConfig({ family: 'llama', dtype: 'q4', externalData: true }), { extraDtypes: ['fp32', 'q4f16'] });
const sameBytes = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b)).toBe(0);
const saved = { remoteHost: env.remoteHost, cacheDir: env.cacheDir, useFSCache: env.useFSCache, allowRemoteModels: env.allowRemoteModels };

let server: HubServer;
let cacheDir: string;
let n = 0;
/** A fresh repo id per test: transformers.js memoizes file metadata per id, across servers. */
let id: string;

beforeAll(async () => {
  server = await startHubServer({
    repos: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`steering-lab-test/tiny-llama-${i}`, repo.files])),
    noContentLength: ['tokenizer.json'],
    chunkSize: 8 * 1024,
  });
});
beforeEach(async () => {
  id = `steering-lab-test/tiny-llama-${n++}`;
  cacheDir = await mkdtemp(join(tmpdir(), 'hub-cache-'));
  Object.assign(env, { remoteHost: server.url, cacheDir, useFSCache: true, allowRemoteModels: true });
});
afterEach(() => rm(cacheDir, { recursive: true, force: true }));
afterAll(async () => {
  Object.assign(env, saved);
  await server.close();
});

async function load(dtype: 'q4' | 'fp16' | 'fp32' = 'q4', signal?: AbortSignal) {
  const events: ProgressEvent[] = [];
  const files = await loadModelFiles({ kind: 'hub', id }, { dtype, onProgress: (e) => events.push(e), signal });
  return { files, events };
}

describe('hub download through a local hub server', () => {
  it('loads a hub id: every file byte-exact, external data by its stored name, progress that only grows and ends complete', async () => {
    const { files, events } = await load();
    sameBytes(files.onnx, repo.files['onnx/model_q4.onnx']);
    expect(files.externalData.map((e) => e.path)).toEqual(['model_q4.onnx_data']);
    sameBytes(files.externalData[0].data, repo.files['onnx/model_q4.onnx_data']);
    expect(files.config.model_type).toBe('llama');
    expect(files.tokenizerConfig.chat_template).toBe(JSON.parse(new TextDecoder().decode(repo.files['tokenizer_config.json'])).chat_template);
    expect(files.generationConfig?.eos_token_id).toEqual(JSON.parse(new TextDecoder().decode(repo.files['generation_config.json'])).eos_token_id);
    expect(files.availableDtypes).toEqual(['fp32', 'q4', 'q4f16']);
    expect(files).toMatchObject({ id, dtype: 'q4', onnxFile: 'onnx/model_q4.onnx' });

    expectProgressRules(events);
    const wanted = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data'];
    const bytes = wanted.reduce((s, f) => s + repo.files[f].length, 0);
    expect(events.at(-1)).toMatchObject({ stage: 'download', loaded: bytes, total: bytes, done: true });
    expect(events.filter((e) => !e.done).length).toBeGreaterThan(5); // the data file arrives in chunks
    for (const f of wanted) expect(server.downloads(id, f)).toBe(1);
    // Variant probing used 1-byte range requests, not downloads.
    expect(server.requests.some((r) => r.range === 'bytes=0-0' && r.path.endsWith(`${id}/resolve/main/onnx/model_fp16.onnx`))).toBe(true);
  });

  it('a second load comes from the cache: no downloads, still a complete progress stream', async () => {
    await load();
    const { files, events } = await load();
    sameBytes(files.externalData[0].data, repo.files['onnx/model_q4.onnx_data']);
    expect(server.downloads(id, 'onnx/model_q4.onnx')).toBe(1);
    expect(server.downloads(id, 'onnx/model_q4.onnx_data')).toBe(1);
    expectProgressRules(events);
    expect(events.at(-1)?.done).toBe(true);
  });

  it('shares transformers.js\'s own cache: AutoTokenizer then loads the tokenizer without downloading it', async () => {
    await load();
    const tok = await AutoTokenizer.from_pretrained(id);
    expect(tok.encode('Hello')[0]).toBe(tok.bos_token_id);
    expect(server.downloads(id, 'tokenizer.json')).toBe(1);
    expect(server.downloads(id, 'tokenizer_config.json')).toBe(1);
  });

  it('uses a Cache-API-style cache (env.customCache, as the browser Cache API is used) keyed by URL', async () => {
    const store = new Map<string, Response>();
    const cache = {
      match: async (key: string) => store.get(key)?.clone(),
      put: async (key: string, res: Response) => { store.set(key, res); },
    };
    Object.assign(env, { useCustomCache: true, customCache: cache });
    try {
      const downloaded = await load();
      expect(isModelBuffer(downloaded.files.onnx)).toBe(true); // a download with Content-Length, too
      expect([...store.keys()]).toContain(`${server.url}${id}/resolve/main/onnx/model_q4.onnx_data`);
      expect(store.get(`${server.url}${id}/resolve/main/config.json`)?.headers.get('content-length')).toBe(String(repo.files['config.json'].length));
      const { files, events } = await load();
      sameBytes(files.externalData[0].data, repo.files['onnx/model_q4.onnx_data']);
      // The graph comes out of the cache into a buffer with room to instrument it in place (issue 14).
      sameBytes(files.onnx, repo.files['onnx/model_q4.onnx']);
      expect(isModelBuffer(files.onnx)).toBe(true);
      expect(server.downloads(id, 'onnx/model_q4.onnx_data')).toBe(1);
      expectProgressRules(events);
    } finally {
      Object.assign(env, { useCustomCache: false, customCache: null });
    }
  });

  it('a missing variant is load-failed and lists the variants that exist', async () => {
    const e = toErrorData(await load('fp16').catch((err: unknown) => err));
    expect(e.code).toBe('load-failed');
    expect(e.message).toContain('onnx/model_fp16.onnx');
    expect(e.message).toContain('Available variants: fp32, q4, q4f16');
  });

  it('a missing repo is load-failed naming config.json', async () => {
    const e = toErrorData(await loadModelFiles({ kind: 'hub', id: 'nobody/nothing-here' }).catch((err: unknown) => err));
    expect(e.code).toBe('load-failed');
    expect(e.message).toMatch(/nobody\/nothing-here.*has no config\.json/);
  });

  it('an unreachable host is load-failed, and remoteHost in the options is honoured', async () => {
    const e = toErrorData(await loadModelFiles({ kind: 'hub', id }, { remoteHost: 'http://127.0.0.1:9' }).catch((err: unknown) => err));
    expect(e.code).toBe('load-failed');
    expect(e.message).toMatch(/127\.0\.0\.1:9/);
  });

  it('cancelling mid-download rejects as cancelled', async () => {
    const ac = new AbortController();
    const events: ProgressEvent[] = [];
    const p = loadModelFiles({ kind: 'hub', id }, {
      dtype: 'q4', signal: ac.signal,
      onProgress: (ev) => { events.push(ev); if (ev.detail === 'onnx/model_q4.onnx_data') ac.abort(); },
    });
    expect(toErrorData(await p.catch((err: unknown) => err)).code).toBe('cancelled');
    expect(events.some((ev) => ev.done)).toBe(false);
  });

  it('a bad hub id is bad-input', async () => {
    const e = toErrorData(await loadModelFiles({ kind: 'hub', id: '../etc' }).catch((err: unknown) => err));
    expect(e.code).toBe('bad-input');
  });
});
