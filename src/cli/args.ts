/** Flag and file handling shared by the CLI's commands. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Engine, ModelDtype, ModelSource, ProgressEvent } from '../engine/shared/api';
import { EngineError } from '../engine/shared/errors';
import { createFileStore, createMemoryStore, type StepStore } from '../engine/clients/eval/cache';
import { createOpenAIJudge } from '../engine/clients/eval/judgeOpenAI';
import { createLexicalJudge } from '../engine/clients/eval/lexicalJudge';
import { createLocalJudge } from '../engine/clients/eval/localJudge';
import { builtinPack, BUILTIN_PACKS } from '../engine/clients/eval/packs';
import { openAIJudge, type Judge } from '../engine/clients/eval/scoring';
import { parsePersonaPair, parseTraitPack, type TraitPack } from '../engine/clients/eval/traitPack';
import { modelKeyOf, type GenSettings, type StepProgress, type WorkflowCtx } from '../engine/clients/eval/workflow';
import { INDEX_CONVENTIONS, type IndexConvention } from '../engine/clients/io/foreign';
import { writeControlVectorGguf } from '../engine/clients/io/gguf';
import { importVectorFile } from '../engine/clients/io/import';
import { writeSafetensors } from '../engine/clients/io/safetensors';
import { exportVectorJson } from '../engine/clients/io/vectorJson';
import { createEngine } from '../engine/core/runtime/engine';
import { createScheduler } from '../engine/clients/scheduler';
import type { Conversation } from '../engine/clients/vectors/collect';
import { row, type VectorSet } from '../engine/clients/vectors/meta';
import { adapted, adapterLoadOptions } from './adapter';

export type Values = Record<string, unknown>;

/** A folder on disk, else a hub id. */
export const sourceOf = (path: string): ModelSource => (existsSync(path) ? { kind: 'path', path } : { kind: 'hub', id: path });

export function int(v: Values, name: string, fallback?: number): number | undefined {
  if (v[name] === undefined) return fallback;
  const n = Number(v[name]);
  if (!Number.isFinite(n)) throw new EngineError('bad-input', `--${name} must be a number; got "${String(v[name])}".`);
  return n;
}

export function need(v: Values, name: string, what: string): string {
  if (typeof v[name] !== 'string' || v[name] === '') throw new EngineError('bad-input', `This command needs --${name} ${what}.`);
  return v[name] as string;
}

/**
 * A command's engine session: one in-process engine behind the scheduler the lab uses (clients/scheduler.ts). The
 * model load is the scheduler's `load` and the command's work one `job`, so the job starts once the load has ended
 * and Ctrl-C cancels what runs as the lab's Cancel does: the job's signal aborts and its engine call in flight ends
 * 'cancelled' at the next token. `fn` gets the job's engine and that signal.
 */
export async function withEngine<T>(path: string, v: Values, fn: (e: Engine, signal: AbortSignal) => Promise<T>, label = 'steer-lab command'): Promise<T> {
  const engine = createEngine();
  const scheduler = createScheduler(engine);
  let current: { cancel(): void } | null = null;
  const interrupt = () => current?.cancel();
  process.on('SIGINT', interrupt);
  try {
    const load = scheduler.load(sourceOf(path), { dtype: v.dtype as ModelDtype | undefined, device: 'wasm', ...await adapterLoadOptions(v) }, undefined, 'model load');
    current = load;
    await load.result;
    const job = scheduler.job(label, (e, signal) => fn(adapted(e, v), signal));
    current = job;
    return await job.result;
  } finally {
    process.off('SIGINT', interrupt);
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
export const VECTOR_FILE_OPTIONS = {
  'allow-other-model': { type: 'boolean' }, 'vector-layer': { type: 'string' }, 'vector-convention': { type: 'string' },
} as const;
export const VECTOR_FILE_USAGE = '[--allow-other-model] [--vector-layer L] [--vector-convention layers|hidden-states]';

/** The whole vector file as a set for the loaded model (the importer's questions answered by the flags). */
export async function readVectorSet(file: string, engine: Engine, v: Values): Promise<VectorSet> {
  const info = engine.info()!;
  const convention = v['vector-convention'] as string | undefined;
  if (convention !== undefined && !INDEX_CONVENTIONS.includes(convention as IndexConvention)) {
    throw new EngineError('bad-input', `--vector-convention must be "layers" (index N = output of model.layers[N]) or "hidden-states" (index N = HF hidden_states[N]); got "${convention}".`);
  }
  const { set, notes } = importVectorFile(new Uint8Array(await readFile(file)), info, {
    allowOtherModel: !!v['allow-other-model'], layer: int(v, 'vector-layer'), convention: convention as IndexConvention | undefined,
  });
  for (const n of notes) process.stderr.write(`${file}: ${n}\n`); // stderr: --json output stays one object
  return set;
}

/** One layer's vector from a vector file; refuses a layer outside the model or one the file has no vector for. */
export async function readVector(file: string, engine: Engine, v: Values, layer: number): Promise<Float32Array> {
  const info = engine.info()!;
  const set = await readVectorSet(file, engine, v);
  if (!Number.isInteger(layer) || layer < 0 || layer >= info.numLayers) throw new EngineError('bad-input', `--layer ${layer} is out of range 0..${info.numLayers - 1}.`);
  const vec = row(set.vectors, set.meta.hiddenSize, layer).slice();
  if (!vec.some((x) => x !== 0)) throw new EngineError('bad-input', `${file} has no vector for layer ${layer}.`);
  return vec;
}

/** A prompts file: a JSON array of strings or {system?, user} objects, or plain text with one prompt per line. */
export async function readPrompts(file: string): Promise<Conversation[]> {
  if (!existsSync(file)) throw new EngineError('bad-input', `${file}: no such file; give a prompts file (one prompt per line, or a JSON list).`);
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


export const logProgress = (v: Values) => (e: ProgressEvent): void => {
  if (!v.json && e.done) process.stderr.write(`${e.stage}: ${e.loaded}/${e.total}${e.detail ? ` (${e.detail})` : ''}\n`);
};

/** Generation flags shared by the lab-twin commands; the defaults are the lab views' (greedy, seed 1, batches of 8). */
export const GEN_OPTIONS = {
  'max-new-tokens': { type: 'string' }, temperature: { type: 'string' }, seed: { type: 'string' }, 'batch-size': { type: 'string' },
} as const;
export const GEN_USAGE = '[--max-new-tokens N] [--temperature T] [--seed S] [--batch-size N]';

export function genOf(v: Values, maxNewTokens = 32): GenSettings {
  return { maxNewTokens: int(v, 'max-new-tokens', maxNewTokens)!, temperature: int(v, 'temperature', 0)!, seed: int(v, 'seed', 1)!, batchSize: int(v, 'batch-size', 8)! };
}

/** What a workflow runs with on the command line: the job's signal (withEngine), a step store on disk with --cache DIR (a rerun resumes), else in memory. */
export function workflowCtx(engine: Engine, v: Values, signal: AbortSignal, store: StepStore = typeof v.cache === 'string' ? createFileStore(v.cache) : createMemoryStore()): WorkflowCtx {
  return { engine, store, signal, modelKey: modelKeyOf(engine.info()!) };
}

/** A workflow's finished steps, on stderr (stdout keeps the one result). */
export const logStep = (v: Values) => (s: StepProgress): void => {
  if (!v.json && s.status !== 'running') process.stderr.write(`${s.label}: ${s.status} ${s.loaded}/${s.total} ${s.unit}${s.reused ? ` (${s.reused} from the cache)` : ''}\n`);
};

const OUT_FORMATS = { '.json': 'json', '.safetensors': 'safetensors', '.gguf': 'gguf' } as const;

export function outFormat(out: string): (typeof OUT_FORMATS)[keyof typeof OUT_FORMATS] {
  const f = OUT_FORMATS[extname(out).toLowerCase() as keyof typeof OUT_FORMATS];
  if (!f) throw new EngineError('bad-input', `--out ${out}: use a .json, .safetensors or .gguf file name.`);
  return f;
}

/** The file bytes, and for GGUF which layers it holds and which it had to leave out. */
export function encodeVectors(set: VectorSet, format: ReturnType<typeof outFormat>, modelType?: string): { data: Uint8Array | string; gguf?: { layers: number[]; droppedLayers: number[] } } {
  if (format === 'safetensors') return { data: writeSafetensors(set) };
  if (format === 'json') return { data: exportVectorJson(set) };
  const g = writeControlVectorGguf(set, { modelType });
  return { data: g.bytes, gguf: { layers: g.writtenLayers, droppedLayers: g.skippedLayers } };
}
