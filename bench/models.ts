/**
 * Synthetic models for the benchmarks, generated on demand into `.cache/bench/` (gitignored) and
 * reused while their config and the generator version are unchanged.
 *
 * Decode benchmarks use a q4 (MatMulNBits, float32 body) decoder in the Optimum/torch layout, laid out
 * like a hub repo (config.json, generation_config.json, onnx/model_q4.onnx) so transformers.js can
 * load the very same file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDecomposed } from '../tests/fixtures/decomposedLayout';
import { generationConfig, hfConfig, modelFileName } from '../tests/fixtures/hubRepo';
import { fixtureConfig, makeWeights } from '../tests/fixtures/weights';
import type { FixtureConfig } from '../tests/fixtures/spec';

export const CACHE_DIR = join(process.cwd(), '.cache', 'bench');
/** Bump when the generated files change meaning (forces a rebuild of cached models). */
const GENERATOR_VERSION = 1;

/** The decode-benchmark model: Llama-style, 8 layers, hidden 1024, GQA 16/4 heads, vocab 32k, q4. */
export const DECODE_CONFIG: FixtureConfig = fixtureConfig({
  family: 'llama', layout: 'decomposed', dtype: 'q4', numLayers: 8, hiddenSize: 1024, numHeads: 16, numKvHeads: 4,
  intermediateSize: 2816, vocabSize: 32000, maxPositions: 1024, seed: 20240611,
});

/** A small model for the browser page on SwiftShader (its WebGPU is a CPU emulation). */
export const SMALL_CONFIG: FixtureConfig = fixtureConfig({
  family: 'llama', layout: 'decomposed', dtype: 'q4', numLayers: 4, hiddenSize: 256, numHeads: 8, numKvHeads: 2,
  intermediateSize: 704, vocabSize: 4096, maxPositions: 512, seed: 99,
});

export interface BenchModel {
  cfg: FixtureConfig;
  /** Hub-style repo folder (config.json, onnx/...). */
  dir: string;
  /** Repo-relative path of the model file, e.g. onnx/model_q4.onnx. */
  modelPath: string;
  bytes: Uint8Array;
  built: boolean;
  buildSeconds: number;
}

const json = (o: unknown): string => `${JSON.stringify(o, null, 2)}\n`;

export function modelDirName(cfg: FixtureConfig): string {
  return `${cfg.family}-${cfg.layout}-${cfg.dtype}-L${cfg.numLayers}-D${cfg.hiddenSize}-I${cfg.intermediateSize}-V${cfg.vocabSize}`;
}

/** Builds (or reuses) the hub-style folder of `cfg` under .cache/bench/. */
export function ensureModel(cfg: FixtureConfig, log: (s: string) => void = () => {}): BenchModel {
  const dir = join(CACHE_DIR, modelDirName(cfg));
  const modelPath = `onnx/${modelFileName(cfg.dtype)}`;
  const stampPath = join(dir, 'bench-stamp.json');
  const stamp = json({ version: GENERATOR_VERSION, cfg });
  const file = join(dir, modelPath);
  if (existsSync(stampPath) && existsSync(file) && readFileSync(stampPath, 'utf8') === stamp) {
    return { cfg, dir, modelPath, bytes: new Uint8Array(readFileSync(file)), built: false, buildSeconds: 0 };
  }
  log(`building synthetic model ${modelDirName(cfg)} into ${dir} (one-off)…`);
  const t0 = performance.now();
  const { model } = buildDecomposed(cfg, makeWeights(cfg)).toModel();
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(file, model);
  // Only one dtype exists in this folder; transformers.js must not look for other files.
  const config = hfConfig(cfg);
  writeFileSync(join(dir, 'config.json'), json(config));
  writeFileSync(join(dir, 'generation_config.json'), json(generationConfig(cfg)));
  writeFileSync(stampPath, stamp);
  const buildSeconds = (performance.now() - t0) / 1000;
  log(`  ${(model.length / 1e6).toFixed(1)} MB in ${buildSeconds.toFixed(1)} s`);
  return { cfg, dir, modelPath, bytes: model, built: true, buildSeconds };
}
