import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelDtype, ProgressEvent } from '../../../src/engine/shared/api';
import { EngineError } from '../../../src/engine/shared/errors';
import { DataType } from '../../../src/engine/core/onnx/schema';
import { dtypesFromFileNames, externalDataFile, loadModelFiles, onnxFileFor } from '../../../src/engine/core/runtime/modelFiles';
import { GraphBuilder } from '../../fixtures/graph';
import { buildFixture, writeFixtureRepo } from '../../fixtures/hubRepo';
import { tokenizerFiles } from '../../fixtures/tokenizer';
import { fixtureConfig } from '../../fixtures/weights';
import { expectProgressRules } from '../../helpers/progressRules';

const enc = (s: string) => new TextEncoder().encode(s);
/** Byte equality regardless of view type (the fixture writer returns Buffers). */
const expectSameBytes = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b)).toBe(0);

/** A tiny valid model whose weights live in an external-data file with a name nobody would guess. */
function oddlyNamedExternalModel(location: string): { model: Uint8Array; data: Uint8Array } {
  const g = new GraphBuilder();
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  const w = g.f32('w', [4, 300], Array.from({ length: 1200 }, (_, i) => i / 1200));
  g.output(g.op('MatMul', [x, w]), DataType.FLOAT, [1, 300]);
  const { model, data } = g.toModel({ externalData: { location } });
  return { model, data: data! };
}

function minimalRepo(extra: Record<string, Uint8Array> = {}): Record<string, Uint8Array> {
  const tk = tokenizerFiles('qwen2');
  return {
    'config.json': enc(JSON.stringify({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], num_hidden_layers: 1 })),
    'tokenizer.json': enc(tk['tokenizer.json']),
    'tokenizer_config.json': enc(tk['tokenizer_config.json']),
    ...extra,
  };
}

async function loadFailed(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(EngineError);
  expect((e as EngineError).code).toBe('load-failed');
  return (e as EngineError).message;
}

describe('dtype file names', () => {
  it('follow transformers.js suffixes (fp32 has none, q8 is "quantized")', () => {
    expect(onnxFileFor('fp32')).toBe('onnx/model.onnx');
    expect(onnxFileFor('q4f16')).toBe('onnx/model_q4f16.onnx');
    expect(onnxFileFor('q8')).toBe('onnx/model_quantized.onnx');
    expect(dtypesFromFileNames(['onnx/model.onnx', 'onnx/model_q4f16.onnx', 'onnx/model_quantized.onnx', 'onnx/model_q4.onnx_data', 'model_fp16.onnx']))
      .toEqual(['fp32', 'q4f16', 'q8']);
  });

  it('external-data files sit next to the graph and may not leave the repo', () => {
    expect(externalDataFile('onnx/model_q4.onnx', 'model_q4.onnx_data')).toBe('onnx/model_q4.onnx_data');
    expect(externalDataFile('onnx/model.onnx', './weights.bin')).toBe('onnx/weights.bin');
    for (const bad of ['../config.json', '/etc/passwd', 'a/../../b', 'https://x/y', '']) {
      expect(() => externalDataFile('onnx/model.onnx', bad)).toThrow(EngineError);
    }
  });
});

describe('loadModelFiles from dropped files', () => {
  it('reads every file, external data by the name stored in the model, with read progress that ends complete', async () => {
    const { model, data } = oddlyNamedExternalModel('shared-weights.v2.bin');
    const files = minimalRepo({ 'onnx/model_q4.onnx': model, 'onnx/shared-weights.v2.bin': data, 'onnx/model.onnx': model });
    const events: ProgressEvent[] = [];
    const out = await loadModelFiles({ kind: 'files', name: 'dropped', files }, { dtype: 'q4', onProgress: (e) => events.push(e) });
    expect(out.onnxFile).toBe('onnx/model_q4.onnx');
    expectSameBytes(out.onnx, model);
    expect(out.externalData.map((e) => e.path)).toEqual(['shared-weights.v2.bin']);
    expectSameBytes(out.externalData[0].data, data);
    expect(out.config.model_type).toBe('qwen2');
    expect(out.generationConfig).toBeUndefined();
    expect(out.tokenizerConfig.tokenizer_class).toBe('Qwen2Tokenizer');
    expect(out.availableDtypes).toEqual(['fp32', 'q4']);
    expect(out).toMatchObject({ id: 'dropped', dtype: 'q4', device: 'wasm' });
    expectProgressRules(events);
    const total = Object.values(files).reduce((n, b) => n + b.length, 0) - model.length; // model.onnx is not read
    expect(events.at(-1)).toMatchObject({ stage: 'read', loaded: total, total, done: true });
  });

  it('strips the dropped folder name from the keys', async () => {
    const prefixed = Object.fromEntries(Object.entries(minimalRepo({ 'onnx/model.onnx': oddlyNamedExternalModel('d').model, 'onnx/d': new Uint8Array(4800) }))
      .map(([k, v]) => [`My-Model/${k}`, v]));
    const out = await loadModelFiles({ kind: 'files', name: 'My-Model', files: prefixed }, { dtype: 'fp32' });
    expect(out.onnxFile).toBe('onnx/model.onnx');
  });

  it('lets the device choice pick the variant', async () => {
    const { model } = buildOnnx();
    const files = minimalRepo({ 'onnx/model_q4f16.onnx': model, 'onnx/model_q4.onnx': model });
    let seen: ModelDtype[] = [];
    const out = await loadModelFiles({ kind: 'files', name: 'x', files }, {
      pickDtype: (available) => { seen = available; return { device: 'webgpu', dtype: 'q4', reason: 'because' }; },
    });
    expect(seen).toEqual(['q4', 'q4f16']);
    expect(out).toMatchObject({ dtype: 'q4', device: 'webgpu', deviceReason: 'because' });
  });

  it('names the missing file and what to do', async () => {
    const { model } = buildOnnx();
    const base = { 'onnx/model_q4f16.onnx': model };
    expect(await loadFailed(loadModelFiles({ kind: 'files', name: 'x', files: minimalRepo(base) }, { dtype: 'q4' })))
      .toMatch(/onnx\/model_q4\.onnx.*Available variants: q4f16/);
    expect(await loadFailed(loadModelFiles({ kind: 'files', name: 'x', files: minimalRepo() }, { dtype: 'q4' })))
      .toMatch(/onnx\/ folder/);
    const noTok = minimalRepo(base);
    delete noTok['tokenizer.json'];
    expect(await loadFailed(loadModelFiles({ kind: 'files', name: 'x', files: noTok }, { dtype: 'q4f16' }))).toMatch(/has no tokenizer\.json/);
    const noConfig = minimalRepo(base);
    delete noConfig['config.json'];
    expect(await loadFailed(loadModelFiles({ kind: 'files', name: 'x', files: noConfig }, { dtype: 'q4f16' }))).toMatch(/has no config\.json/);
    const ext = oddlyNamedExternalModel('blob.bin');
    expect(await loadFailed(loadModelFiles({ kind: 'files', name: 'x', files: minimalRepo({ 'onnx/model.onnx': ext.model }) }, { dtype: 'fp32' })))
      .toMatch(/external-data file "blob\.bin".*onnx\/blob\.bin/);
    const badJson = minimalRepo({ ...base, 'config.json': enc('{ nope') });
    expect(await loadFailed(loadModelFiles({ kind: 'files', name: 'x', files: badJson }, { dtype: 'q4f16' }))).toMatch(/config\.json .*not valid JSON/);
  });

  it('a cancelled load rejects with an AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    const files = minimalRepo({ 'onnx/model.onnx': buildOnnx().model });
    await expect(loadModelFiles({ kind: 'files', name: 'x', files }, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

function buildOnnx(): { model: Uint8Array } {
  const g = new GraphBuilder();
  const x = g.input('x', DataType.FLOAT, [1]);
  g.output(g.op('Identity', [x]), DataType.FLOAT, [1]);
  return g.toModel();
}

describe('loadModelFiles from a folder on disk', () => {
  let dir: string;
  const cfg = fixtureConfig({ family: 'llama', dtype: 'q4', externalData: true });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'model-files-'));
    await writeFixtureRepo(cfg, dir, { extraDtypes: ['fp32'] });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the hub layout, lists variants from onnx/, and matches the fixture bytes', async () => {
    const repo = buildFixture(cfg, { extraDtypes: ['fp32'] });
    const events: ProgressEvent[] = [];
    const out = await loadModelFiles({ kind: 'path', path: dir }, { dtype: 'q4', onProgress: (e) => events.push(e) });
    expect(out.availableDtypes).toEqual(['fp32', 'q4']);
    expectSameBytes(out.onnx, repo.files['onnx/model_q4.onnx']);
    expect(out.externalData.map((e) => e.path)).toEqual(['model_q4.onnx_data']);
    expectSameBytes(out.externalData[0].data, repo.files['onnx/model_q4.onnx_data']);
    expect(out.generationConfig?.eos_token_id).toEqual(JSON.parse(new TextDecoder().decode(repo.files['generation_config.json'])).eos_token_id);
    expectProgressRules(events);
  });

  it('a missing folder is load-failed naming config.json', async () => {
    expect(await loadFailed(loadModelFiles({ kind: 'path', path: join(dir, 'nope') }))).toMatch(/config\.json/);
  });
});
