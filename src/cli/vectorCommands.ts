/**
 * CLI commands for the vector recipes: `vectors` (persona-vector pipeline → file), `sweep` (coefficient sweep of
 * a vector file) and `project` (projections of prompts onto a vector). Each loads the model in-process on wasm.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Engine, ModelDtype, ModelSource, ProgressEvent, TapName } from '../engine/api';
import { EngineError } from '../engine/errors';
import { createEngine } from '../engine/runtime/engine';
import { createFileStore } from '../engine/eval/cache';
import { createOpenAIJudge } from '../engine/eval/judgeOpenAI';
import { createLexicalJudge } from '../engine/eval/lexicalJudge';
import { createLocalJudge } from '../engine/eval/localJudge';
import { builtinPack, BUILTIN_PACKS } from '../engine/eval/packs';
import { runPipeline } from '../engine/eval/pipeline';
import { openAIJudge, type Judge } from '../engine/eval/scoring';
import { runSweep } from '../engine/eval/sweep';
import { parsePersonaPair, parseTraitPack, type TraitPack } from '../engine/eval/traitPack';
import { INDEX_CONVENTIONS, type IndexConvention } from '../engine/io/foreign';
import { importVectorFile } from '../engine/io/import';
import { writeControlVectorGguf } from '../engine/io/gguf';
import { writeSafetensors } from '../engine/io/safetensors';
import { exportVectorJson } from '../engine/io/vectorJson';
import { collectActivations, type Conversation } from '../engine/vectors/collect';
import { dot, unit } from '../engine/vectors/linalg';
import { row, type VectorSet } from '../engine/vectors/meta';
import type { CliCommand } from './commands';
import { ADAPTER_USAGE, adapted, adapterDiffCommand, adapterLoadOptions } from './adapter';

type Values = Record<string, unknown>;

const sourceOf = (path: string): ModelSource => (existsSync(path) ? { kind: 'path', path } : { kind: 'hub', id: path });

function int(v: Values, name: string, fallback?: number): number | undefined {
  if (v[name] === undefined) return fallback;
  const n = Number(v[name]);
  if (!Number.isFinite(n)) throw new EngineError('bad-input', `--${name} must be a number; got "${String(v[name])}".`);
  return n;
}

function need(v: Values, name: string, what: string): string {
  if (typeof v[name] !== 'string' || v[name] === '') throw new EngineError('bad-input', `This command needs --${name} ${what}.`);
  return v[name] as string;
}

export async function withEngine<T>(path: string, v: Values, fn: (e: Engine) => Promise<T>): Promise<T> {
  const engine = createEngine();
  try {
    await engine.load(sourceOf(path), { dtype: v.dtype as ModelDtype | undefined, device: 'wasm', ...await adapterLoadOptions(v) });
    return await fn(adapted(engine, v));
  } finally {
    await engine.dispose();
  }
}

/**
 * --trait NAME|FILE, optionally with --trait-eval FILE: persona_vectors' trait_data_extract and trait_data_eval files
 * as one pack (extract questions build the vector, eval questions score it). A single file's questions are halved.
 */
export async function readPack(spec: string, evalSpec?: unknown): Promise<TraitPack> {
  if (evalSpec !== undefined) {
    if (typeof evalSpec !== 'string' || !existsSync(evalSpec)) throw new EngineError('bad-input', `--trait-eval "${String(evalSpec)}" is not a file; give the trait_data_eval JSON that goes with --trait.`);
    if (!existsSync(spec)) throw new EngineError('bad-input', `--trait-eval needs --trait to be the matching trait_data_extract file; "${spec}" is not a file.`);
    return parsePersonaPair(await readFile(spec, 'utf8'), await readFile(evalSpec, 'utf8'), { name: basename(spec, extname(spec)) });
  }
  const builtin = builtinPack(spec);
  if (builtin) return builtin;
  if (!existsSync(spec)) throw new EngineError('bad-input', `--trait "${spec}" is neither a built-in trait (${BUILTIN_PACKS.map((p) => p.name).join(', ')}) nor a file.`);
  return parseTraitPack(await readFile(spec, 'utf8'), { name: basename(spec, extname(spec)) });
}

/**
 * `local` uses the loaded model; `lexical` the pack's marker words; a URL is an OpenAI-compatible endpoint (key
 * from OPENAI_API_KEY, never a flag).
 */
export async function makeJudge(engine: Engine, spec: string, v: Values, pack: TraitPack | null): Promise<Judge> {
  if (spec === 'local') return createLocalJudge(engine);
  if (spec === 'lexical') {
    if (!pack?.markers) throw new EngineError('bad-input', `--judge lexical needs a trait pack with marker words${pack ? `; "${pack.name}" has none` : ' (--trait)'}.`);
    return createLexicalJudge(pack.markers);
  }
  if (!/^https?:\/\//.test(spec)) throw new EngineError('bad-input', `--judge must be "local", "lexical" or an http(s) URL; got "${spec}".`);
  return openAIJudge(createOpenAIJudge({ baseUrl: spec, apiKey: process.env.OPENAI_API_KEY, model: (v['judge-model'] as string) ?? 'gpt-4.1-mini' }));
}

/** Options every command that reads a vector file takes: the answers the importer asks for on ambiguous foreign files. */
const VECTOR_FILE_OPTIONS = {
  'allow-other-model': { type: 'boolean' }, 'vector-layer': { type: 'string' }, 'vector-convention': { type: 'string' },
} as const;
const VECTOR_FILE_USAGE = '[--allow-other-model] [--vector-layer L] [--vector-convention layers|hidden-states]';

async function readVector(file: string, engine: Engine, v: Values, layer: number): Promise<Float32Array> {
  const info = engine.info()!;
  const convention = v['vector-convention'] as string | undefined;
  if (convention !== undefined && !INDEX_CONVENTIONS.includes(convention as IndexConvention)) {
    throw new EngineError('bad-input', `--vector-convention must be "layers" (index N = output of model.layers[N]) or "hidden-states" (index N = HF hidden_states[N]); got "${convention}".`);
  }
  const { set, notes } = importVectorFile(new Uint8Array(await readFile(file)), info, {
    allowOtherModel: !!v['allow-other-model'], layer: int(v, 'vector-layer'), convention: convention as IndexConvention | undefined,
  });
  for (const n of notes) process.stderr.write(`${file}: ${n}\n`); // stderr: --json output stays one object
  if (!Number.isInteger(layer) || layer < 0 || layer >= info.numLayers) throw new EngineError('bad-input', `--layer ${layer} is out of range 0..${info.numLayers - 1}.`);
  const vec = row(set.vectors, set.meta.hiddenSize, layer).slice();
  if (!vec.some((x) => x !== 0)) throw new EngineError('bad-input', `${file} has no vector for layer ${layer}.`);
  return vec;
}

/** A prompts file: a JSON array of strings or {system?, user} objects, or plain text with one prompt per line. */
export async function readPrompts(file: string): Promise<Conversation[]> {
  const text = await readFile(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text.split('\n').map((l) => l.trim()).filter(Boolean);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new EngineError('bad-input', `${file}: expected a non-empty list of prompts.`);
  return parsed.map((p, i) => {
    if (typeof p === 'string') return { user: p };
    if (p && typeof p.user === 'string') return { user: p.user, ...(typeof p.system === 'string' ? { system: p.system } : {}) };
    throw new EngineError('bad-input', `${file}: prompt ${i} must be a string or {system?, user}.`);
  });
}

const OUT_FORMATS = { '.json': 'json', '.safetensors': 'safetensors', '.gguf': 'gguf' } as const;

function outFormat(out: string): (typeof OUT_FORMATS)[keyof typeof OUT_FORMATS] {
  const f = OUT_FORMATS[extname(out).toLowerCase() as keyof typeof OUT_FORMATS];
  if (!f) throw new EngineError('bad-input', `--out ${out}: use a .json, .safetensors or .gguf file name.`);
  return f;
}

/** The file bytes, and for GGUF which layers it holds and which it had to leave out. */
function encodeVectors(set: VectorSet, format: ReturnType<typeof outFormat>, modelType?: string): { data: Uint8Array | string; gguf?: { layers: number[]; droppedLayers: number[] } } {
  if (format === 'safetensors') return { data: writeSafetensors(set) };
  if (format === 'json') return { data: exportVectorJson(set) };
  const g = writeControlVectorGguf(set, { modelType });
  return { data: g.bytes, gguf: { layers: g.writtenLayers, droppedLayers: g.skippedLayers } };
}

const logProgress = (v: Values) => (e: ProgressEvent): void => {
  if (!v.json && e.done) process.stderr.write(`${e.stage}: ${e.loaded}/${e.total}${e.detail ? ` (${e.detail})` : ''}\n`);
};

const vectors: CliCommand = {
  usage: 'steer-lab vectors PATH --trait NAME|FILE [--trait-eval FILE] --out FILE(.json|.safetensors|.gguf) [--judge local|lexical|URL] [--judge-model M]\n'
    + `                [--threshold N] [--min-coherence N] [--instructions N] [--questions N] [--max-new-tokens N] [--cache DIR] ${ADAPTER_USAGE} [--json]`,
  options: {
    trait: { type: 'string' }, 'trait-eval': { type: 'string' }, out: { type: 'string' }, judge: { type: 'string' }, 'judge-model': { type: 'string' },
    threshold: { type: 'string' }, 'min-coherence': { type: 'string' }, instructions: { type: 'string' }, questions: { type: 'string' },
    'batch-size': { type: 'string' }, cache: { type: 'string' },
  },
  run: async (path, v) => {
    const pack = await readPack(need(v, 'trait', 'NAME|FILE'), v['trait-eval']);
    const out = need(v, 'out', 'FILE');
    const format = outFormat(out); // refuse a bad extension before any work
    return withEngine(path, v, async (engine) => {
      const threshold = int(v, 'threshold', 50)!;
      const result = await runPipeline(engine, {
        pack,
        judge: await makeJudge(engine, (v.judge as string) ?? (pack.markers ? 'lexical' : 'local'), v, pack),
        // Steps are stored by content hash, so a killed run resumes when started again with the same inputs.
        store: createFileStore((v.cache as string) ?? '.steer-lab-cache'),
        settings: {
          posMin: threshold, negMax: threshold, minCoherence: int(v, 'min-coherence', 50),
          maxInstructions: int(v, 'instructions'), maxQuestions: int(v, 'questions'),
          maxNewTokens: int(v, 'max-new-tokens', 64), batchSize: int(v, 'batch-size', 16),
        },
        onProgress: logProgress(v),
      });
      const modelType = engine.info()!.modelType;
      const meta = { ...result.vectors.meta, createdAt: new Date().toISOString(), ...(modelType ? { architecture: modelType } : {}) };
      const set: VectorSet = { ...result.vectors, meta };
      const { data, gguf } = encodeVectors(set, format, modelType);
      await writeFile(out, data);
      const recommendedLayer = result.separation?.recommendedLayer ?? null;
      const warnings: string[] = [];
      if (gguf?.droppedLayers.length) {
        warnings.push(`Layer ${gguf.droppedLayers.join(', ')} is not in ${out}: llama.cpp control vectors cannot hold layer 0 (it rejects direction.0). `
          + (recommendedLayer !== null && gguf.droppedLayers.includes(recommendedLayer)
            ? 'That is the recommended layer: steer another layer with this file, or write .safetensors or .json to keep it.'
            : 'Write .safetensors or .json to keep it.'));
      }
      if (!v.json) for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      return {
        out, format, kept: result.kept, pairs: result.pairs.length, steps: result.steps,
        recommendedLayer,
        separation: result.separation?.layers.map((l) => ({ layer: l.layer, separation: l.separation })) ?? null,
        ...(gguf ? { layers: gguf.layers, droppedLayers: gguf.droppedLayers } : {}),
        warnings,
      };
    });
  },
};

const DEFAULT_QUESTIONS = ['How should I spend a free afternoon?', 'What do you think about people who disagree with you?', 'Give me advice on making friends.'];

const sweep: CliCommand = {
  usage: 'steer-lab sweep PATH --vector FILE --layer L --coeffs=LIST [--prompts FILE | --trait NAME|FILE [--trait-eval FILE]] [--judge local|lexical|URL]\n'
    + `                [--questions N] [--max-new-tokens N] ${VECTOR_FILE_USAGE} ${ADAPTER_USAGE} [--json]`,
  options: {
    vector: { type: 'string' }, layer: { type: 'string' }, coeffs: { type: 'string' }, prompts: { type: 'string' },
    trait: { type: 'string' }, 'trait-eval': { type: 'string' }, judge: { type: 'string' }, 'judge-model': { type: 'string' }, questions: { type: 'string' },
    'batch-size': { type: 'string' }, ...VECTOR_FILE_OPTIONS,
  },
  run: async (path, v) => {
    const coeffs = need(v, 'coeffs', '=LIST (e.g. --coeffs=-8,-4,0,4,8; the = keeps a leading minus from reading as a flag)').split(',').map((s) => Number(s.trim()));
    if (coeffs.some((c) => !Number.isFinite(c))) throw new EngineError('bad-input', `--coeffs must be comma-separated numbers; got "${String(v.coeffs)}".`);
    const layer = int(v, 'layer')!;
    const file = need(v, 'vector', 'FILE');
    if (layer === undefined) throw new EngineError('bad-input', 'This command needs --layer L (0-based into model.layers).');
    return withEngine(path, v, async (engine) => {
      const vector = await readVector(file, engine, v, layer);
      const pack = v.trait ? await readPack(v.trait as string, v['trait-eval']) : null;
      const questions = v.prompts ? (await readPrompts(v.prompts as string)).map((c) => c.user) : pack?.evaluationQuestions ?? DEFAULT_QUESTIONS;
      const judge = v.judge ? await makeJudge(engine, v.judge as string, v, pack) : undefined;
      if (judge && !pack) throw new EngineError('bad-input', 'Scoring a sweep needs --trait (its judge prompt).');
      return runSweep(engine, {
        vector, layer, coeffs, questions: questions.slice(0, int(v, 'questions', 5)),
        maxNewTokens: int(v, 'max-new-tokens', 48), batchSize: int(v, 'batch-size', 32),
        judge, traitTemplate: pack?.evalPrompt, onProgress: logProgress(v),
      });
    });
  },
};

const project: CliCommand = {
  usage: `steer-lab project PATH --vector FILE --layer L --prompts FILE ${VECTOR_FILE_USAGE} ${ADAPTER_USAGE} [--json]`,
  options: { vector: { type: 'string' }, layer: { type: 'string' }, prompts: { type: 'string' }, ...VECTOR_FILE_OPTIONS },
  run: async (path, v) => {
    const file = need(v, 'vector', 'FILE');
    const promptsFile = need(v, 'prompts', 'FILE');
    const layer = int(v, 'layer');
    if (layer === undefined) throw new EngineError('bad-input', 'This command needs --layer L (0-based into model.layers).');
    return withEngine(path, v, async (engine) => {
      const u = unit(await readVector(file, engine, v, layer));
      const prompts = await readPrompts(promptsFile);
      const tap = `blocks.${layer}.hook_resid_post` as TapName;
      const got = await collectActivations(engine, prompts, { taps: [tap], pooling: ['prompt-last', 'prompt-mean'] });
      const D = u.length;
      const proj = (kind: 'prompt-last' | 'prompt-mean', i: number) => dot(got.pooled[kind]![tap].subarray(i * D, (i + 1) * D), u);
      return {
        layer, tap,
        // last: the detection score (last prompt token, after the generation header); mean: over all prompt tokens.
        prompts: prompts.map((p, i) => ({ ...p, last: proj('prompt-last', i), mean: proj('prompt-mean', i) })),
      };
    });
  },
};

export const vectorCommands: Record<string, CliCommand> = { vectors, sweep, project, 'adapter-diff': adapterDiffCommand(withEngine, readPrompts) };
