/**
 * CLI commands for the vector recipes: `vectors` (persona-vector pipeline → file), `sweep` (coefficient sweep of
 * a vector file) and `project` (projections of prompts onto a vector). Each loads the model in-process on wasm.
 */
import { writeFile } from 'node:fs/promises';
import type { TapName } from '../engine/shared/api';
import { EngineError } from '../engine/shared/errors';
import { createFileStore } from '../engine/clients/eval/cache';
import { runPipeline } from '../engine/clients/eval/pipeline';
import { runSweep } from '../engine/clients/eval/sweep';
import { parseNumberList } from '../engine/clients/io/lists';
import { collectActivations } from '../engine/clients/vectors/collect';
import type { VectorSet } from '../engine/clients/vectors/meta';
import { projectRows } from '../engine/clients/vectors/projection';
import { encodeVectors, int, logProgress, outFormat, makeJudge, need, readPack, readPrompts, readVector, VECTOR_FILE_OPTIONS, VECTOR_FILE_USAGE, withEngine } from './args';
import type { CliCommand } from './commands';
import { ADAPTER_USAGE, adapterDiffCommand } from './adapter';

const vectors: CliCommand = {
  usage: 'steer-lab vectors PATH --trait NAME|FILE [--trait-eval FILE] --out FILE(.json|.safetensors|.gguf) [--judge local|lexical|URL] [--judge-model M]\n'
    + '                [--threshold N] [--min-coherence N] [--instructions N] [--questions N] [--max-new-tokens N] [--temperature T --seed S] [--batch-size N] [--cache DIR] ' + `${ADAPTER_USAGE} [--json]`,
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
          ...(v.temperature !== undefined ? { sampling: { temperature: int(v, 'temperature'), seed: int(v, 'seed', 0) } } : {}),
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
    + `                [--questions N] [--max-new-tokens N] [--temperature T --seed S] [--positions all|response] [--control-seed S | --no-control] ${VECTOR_FILE_USAGE} ${ADAPTER_USAGE} [--json]`,
  options: {
    vector: { type: 'string' }, layer: { type: 'string' }, coeffs: { type: 'string' }, prompts: { type: 'string' },
    trait: { type: 'string' }, 'trait-eval': { type: 'string' }, judge: { type: 'string' }, 'judge-model': { type: 'string' }, questions: { type: 'string' },
    'batch-size': { type: 'string' }, positions: { type: 'string' }, 'control-seed': { type: 'string' }, 'no-control': { type: 'boolean' }, ...VECTOR_FILE_OPTIONS,
  },
  run: async (path, v) => {
    const coeffs = parseNumberList(need(v, 'coeffs', '=LIST (e.g. --coeffs=-8,-4,0,4,8; the = keeps a leading minus from reading as a flag)'));
    if (typeof coeffs === 'string') throw new EngineError('bad-input', `--coeffs: ${coeffs}`);
    const layer = int(v, 'layer')!;
    const file = need(v, 'vector', 'FILE');
    if (layer === undefined) throw new EngineError('bad-input', 'This command needs --layer L (0-based into model.layers).');
    const positions = (v.positions as string | undefined) ?? 'all';
    if (positions !== 'all' && positions !== 'response') throw new EngineError('bad-input', `--positions must be "all" or "response"; got "${positions}".`);
    return withEngine(path, v, async (engine) => {
      const vector = await readVector(file, engine, v, layer);
      const pack = v.trait ? await readPack(v.trait as string, v['trait-eval']) : null;
      const questions = v.prompts ? (await readPrompts(v.prompts as string)).map((c) => c.user) : pack?.evaluationQuestions ?? DEFAULT_QUESTIONS;
      const judge = v.judge ? await makeJudge(engine, v.judge as string, v, pack) : undefined;
      if (judge && !pack) throw new EngineError('bad-input', 'Scoring a sweep needs --trait (its judge prompt).');
      return runSweep(engine, {
        vector, layer, coeffs, questions: questions.slice(0, int(v, 'questions', 5)),
        maxNewTokens: int(v, 'max-new-tokens', 48), batchSize: int(v, 'batch-size', 32), positions,
        sampling: v.temperature !== undefined ? { temperature: int(v, 'temperature'), seed: int(v, 'seed', 0) } : undefined,
        control: !v['no-control'], controlSeed: int(v, 'control-seed', 0),
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
    const positions = (v.positions as string | undefined) ?? 'all';
    if (positions !== 'all' && positions !== 'response') throw new EngineError('bad-input', `--positions must be "all" or "response"; got "${positions}".`);
    return withEngine(path, v, async (engine) => {
      const vector = await readVector(file, engine, v, layer);
      const prompts = await readPrompts(promptsFile);
      const tap = `blocks.${layer}.hook_resid_post` as TapName;
      const got = await collectActivations(engine, prompts, { taps: [tap], pooling: ['prompt-last', 'prompt-mean'] });
      // last: the detection score (last prompt token, after the generation header); mean: over all prompt tokens.
      const last = projectRows(got.pooled['prompt-last']![tap], vector.length, vector);
      const mean = projectRows(got.pooled['prompt-mean']![tap], vector.length, vector);
      return { layer, tap, prompts: prompts.map((p, i) => ({ ...p, last: last[i], mean: mean[i] })) };
    });
  },
};

export const vectorCommands: Record<string, CliCommand> = { vectors, sweep, project, 'adapter-diff': adapterDiffCommand(withEngine, readPrompts) };
