/**
 * Builds a fixture model, instruments it and opens decoders on it — cached per config so a test
 * file pays for each variant once.
 */
import { fixtureConfig } from '../fixtures/weights';
import { buildFixture } from '../fixtures/hubRepo';
import type { FixtureConfig, Weights } from '../fixtures/spec';
import { instrument, type InstrumentedModel } from '../../src/engine/core/onnx/instrument';
import { createDecoder, type Decoder } from '../../src/engine/core/runtime/decoder';
import { createSession, type Session } from '../../src/engine/core/runtime/ort';

export interface FixtureModel {
  cfg: FixtureConfig;
  weights: Weights;
  model: Uint8Array;
  externalData: { path: string; data: Uint8Array }[];
  inst: InstrumentedModel;
  decoder: Decoder;
  original(): Promise<Session>;
}

const cache = new Map<string, Promise<FixtureModel>>();

export function fixtureModel(overrides: Partial<FixtureConfig>): Promise<FixtureModel> {
  const key = JSON.stringify(overrides);
  if (!cache.has(key)) cache.set(key, build(fixtureConfig(overrides)));
  return cache.get(key)!;
}

async function build(cfg: FixtureConfig): Promise<FixtureModel> {
  // Graph writers get the raw weights; the reference uses the effective (rounded/dequantized) ones.
  const repo = buildFixture(cfg);
  const weights = repo.weights;
  const model = repo.files[repo.modelPath];
  const externalData = repo.dataPath ? [{ path: repo.dataPath.split('/').pop()!, data: repo.files[repo.dataPath] }] : [];
  const inst = instrument(model, { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize });
  const decoder = await createDecoder(inst, { device: 'wasm', externalData, vocabSize: cfg.vocabSize });
  let original: Promise<Session> | null = null;
  return {
    cfg, weights, model, externalData, inst, decoder,
    original: () => (original ??= createSession(model, { device: 'wasm', externalData, keepOnDevice: [] })),
  };
}

/** Every fixture variant the engine must handle (DESIGN 2.1), as config overrides. */
export const VARIANTS: Partial<FixtureConfig>[] = [
  { family: 'llama', layout: 'decomposed', dtype: 'fp32' },
  { family: 'qwen2', layout: 'decomposed', dtype: 'fp32' },
  { family: 'llama', layout: 'decomposed', dtype: 'fp16' },
  { family: 'qwen2', layout: 'decomposed', dtype: 'q4' },
  { family: 'llama', layout: 'decomposed', dtype: 'q4f16', externalData: true },
  { family: 'llama', layout: 'builder', attention: 'mha', dtype: 'fp32' },
  { family: 'qwen2', layout: 'builder', attention: 'gqa', dtype: 'fp32', externalData: true },
  { family: 'llama', layout: 'builder', attention: 'gqa', dtype: 'q4' },
  { family: 'qwen2', layout: 'builder', attention: 'mha', dtype: 'fp16' },
  { family: 'llama', layout: 'builder', attention: 'gqa', dtype: 'q4f16' },
];

export const variantName = (v: Partial<FixtureConfig>): string =>
  [v.family, v.layout, v.attention, v.dtype, v.externalData ? 'ext' : ''].filter(Boolean).join('/');

export const isHalf = (v: Partial<FixtureConfig>): boolean => v.dtype === 'fp16' || v.dtype === 'q4f16';
