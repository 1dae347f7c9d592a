/**
 * The lab's experiment views as commands: `monitor`, `detect` and `ablate` run the same engine workflows as the
 * Projections and Detection views (src/engine/clients/eval/*Workflow.ts), so a view and its command give the same numbers.
 * (`vectors` and `sweep` are the pipeline's and the sweep's twins, in vectorCommands.ts.)
 */
import { writeFile } from 'node:fs/promises';
import type { VectorSet } from '../engine/clients/vectors/meta';
import { EngineError } from '../engine/shared/errors';
import { ablationWorkflow } from '../engine/clients/eval/ablationWorkflow';
import { detectionWorkflow } from '../engine/clients/eval/detectionWorkflow';
import { monitorWorkflow, type MonitorCondition } from '../engine/clients/eval/monitorWorkflow';
import { summarizeFinite } from '../engine/clients/eval/stats';
import { parseLayerRange } from '../engine/clients/io/lists';
import {
  encodeVectors, GEN_OPTIONS, GEN_USAGE, genOf, int, logStep, need, outFormat, readPack, readPrompts, readVector, readVectorSet, VECTOR_FILE_OPTIONS, VECTOR_FILE_USAGE,
  withEngine, workflowCtx, type Values,
} from './args';
import type { CliCommand } from './commands';

/** Writes the set; for GGUF, which layers it holds and which it had to leave out (llama.cpp has no layer 0). */
async function writeVectors(out: string, set: VectorSet, format: ReturnType<typeof outFormat>, modelType?: string): Promise<{ layers: number[]; droppedLayers: number[] } | null> {
  const { data, gguf } = encodeVectors(set, format, modelType);
  await writeFile(out, data);
  return gguf ?? null;
}

const users = async (file: string): Promise<string[]> => (await readPrompts(file)).map((c) => c.user);

/** --layer L, required and 0-based. */
function layerOf(v: Values): number {
  const layer = int(v, 'layer');
  if (layer === undefined) throw new EngineError('bad-input', 'This command needs --layer L (0-based into model.layers).');
  return layer;
}

const monitor: CliCommand = {
  usage: 'steer-lab monitor PATH --vector FILE --layer L --coeff C (--trait NAME|FILE [--instruction I] | --system TEXT --prompts FILE)\n'
    + `                [--prompts FILE] [--questions N] ${GEN_USAGE} [--cache DIR] ${VECTOR_FILE_USAGE} [--json]`,
  options: {
    vector: { type: 'string' }, layer: { type: 'string' }, coeff: { type: 'string' }, trait: { type: 'string' }, 'trait-eval': { type: 'string' },
    instruction: { type: 'string' }, prompts: { type: 'string' }, questions: { type: 'string' }, cache: { type: 'string' }, ...GEN_OPTIONS, ...VECTOR_FILE_OPTIONS,
  },
  run: async (path, v) => {
    const file = need(v, 'vector', 'FILE');
    const layer = layerOf(v);
    const coeff = int(v, 'coeff');
    if (coeff === undefined) throw new EngineError('bad-input', 'This command needs --coeff C (the steered condition\'s coefficient).');
    const pack = v.trait ? await readPack(v.trait as string, v['trait-eval']) : null;
    if (!pack && typeof v.system !== 'string') throw new EngineError('bad-input', 'The prompted condition needs a system prompt: give --trait (its first positive instruction, or --instruction I) or --system TEXT.');
    const systemPrompt = typeof v.system === 'string' ? v.system : pack!.instructions[Math.min(int(v, 'instruction', 0)!, pack!.instructions.length - 1)].pos;
    const questions = v.prompts ? await users(v.prompts as string) : pack?.evaluationQuestions.slice(0, int(v, 'questions', 4));
    if (!questions?.length) throw new EngineError('bad-input', 'Give the questions with --prompts FILE (or --trait for its evaluation questions).');
    return withEngine(path, v, async (engine, signal) => {
      const vector = await readVector(file, engine, v, layer);
      const r = await monitorWorkflow(workflowCtx(engine, v, signal), { vectorName: file, vector, layer, coeff, systemPrompt, questions, gen: genOf(v) }, engine.info()!.id, logStep(v));
      // The Projections view's bars: mean ± sd of the response projection per condition (empty answers left out).
      const summary = (['baseline', 'prompted', 'steered'] as MonitorCondition[]).map((condition) => {
        const s = summarizeFinite(r.samples.filter((x) => x.condition === condition).map((x) => x.projection));
        return { condition, n: s.n, mean: s.mean, sd: s.sd };
      });
      return { ...r, summary };
    });
  },
};

const detect: CliCommand = {
  usage: 'steer-lab detect PATH --set-a FILE --set-b FILE [--label-a A] [--label-b B] [--seed S] [--batch-size N] [--out FILE(.json|.safetensors|.gguf)] [--cache DIR] [--json]',
  options: {
    'set-a': { type: 'string' }, 'set-b': { type: 'string' }, 'label-a': { type: 'string' }, 'label-b': { type: 'string' },
    out: { type: 'string' }, cache: { type: 'string' }, 'batch-size': { type: 'string' },
  },
  run: async (path, v) => {
    const out = v.out as string | undefined;
    const format = out === undefined ? null : outFormat(out); // refuse a bad extension before any work
    const setA = await users(need(v, 'set-a', 'FILE (prompts of condition A, one per line or a JSON list)'));
    const setB = await users(need(v, 'set-b', 'FILE (prompts of condition B)'));
    return withEngine(path, v, async (engine, signal) => {
      const r = await detectionWorkflow(workflowCtx(engine, v, signal), {
        labelA: (v['label-a'] as string) ?? 'A', labelB: (v['label-b'] as string) ?? 'B', setA, setB, seed: int(v, 'seed', 1)!, batchSize: int(v, 'batch-size', 8)!,
      }, engine.info()!.id, logStep(v));
      const gguf = out && format ? await writeVectors(out, r.set, format, engine.info()!.modelType) : null;
      return {
        labelA: r.labelA, labelB: r.labelB, modelId: r.modelId, prompts: r.prompts, recommendedLayer: r.recommendedLayer, scores: r.scores,
        layers: r.separation.map((separation, layer) => ({ layer, separation, auroc: r.auroc[layer], probeAccuracy: r.probeAccuracy[layer], probeAuroc: r.probeAuroc[layer] })),
        ...(out ? { out, ...(gguf ?? {}) } : {}),
      };
    });
  },
};

const ablate: CliCommand = {
  usage: `steer-lab ablate PATH --vector FILE --layers LO-HI --prompts FILE [--strength S] ${GEN_USAGE} [--cache DIR] ${VECTOR_FILE_USAGE} [--json]`,
  options: { vector: { type: 'string' }, layers: { type: 'string' }, prompts: { type: 'string' }, strength: { type: 'string' }, cache: { type: 'string' }, ...GEN_OPTIONS, ...VECTOR_FILE_OPTIONS },
  run: async (path, v) => {
    const file = need(v, 'vector', 'FILE');
    const rangeText = need(v, 'layers', 'LO-HI (0-based, inclusive, e.g. 2-3)');
    const prompts = await users(need(v, 'prompts', 'FILE'));
    return withEngine(path, v, async (engine, signal) => {
      const range = parseLayerRange(rangeText, engine.info()!.numLayers);
      if (typeof range === 'string') throw new EngineError('bad-input', `--layers: ${range}`);
      const set = await readVectorSet(file, engine, v);
      return ablationWorkflow(workflowCtx(engine, v, signal), { set, range, strength: int(v, 'strength', 1)!, prompts, gen: genOf(v) }, logStep(v));
    });
  },
};

export const labCommands: Record<string, CliCommand> = { monitor, detect, ablate };
