/**
 * `steer-lab seed002`: the CLI twin of the lab's Seed 002 view (src/engine/clients/eval/seed002.ts): base vs fine-tuned
 * answers with judge scores, the fine-tuned − base direction with per-layer detection, and the ablated and
 * random-control scores, for a model and a LoRA adapter, or for two full checkpoints (--model-b: the fine-tuned one,
 * in its own engine; the lab's model B). Defaults fit the demo organism: the scripture pack's
 * evaluation questions, its lexical judge, and detection prompts on other topics.
 */
import { writeFile } from 'node:fs/promises';
import { EngineError } from '../engine/shared/errors';
import { exportVectorJson } from '../engine/clients/io/vectorJson';
import { DEMO_DETECTION_PROMPTS, runSeed002, runSeed002Pair, type Seed002Options } from '../engine/clients/eval/seed002';
import type { CliCommand } from './commands';
import { makeJudge, readPack, readPrompts, withEngine } from './args';

type Values = Record<string, unknown>;

function numbers(v: Values, name: string): number[] | undefined {
  if (v[name] === undefined) return undefined;
  const parts = String(v[name]).split(',').map((s) => s.trim());
  const xs = parts.map(Number);
  if (parts.some((s) => s === '') || xs.some((x) => !Number.isInteger(x))) throw new EngineError('bad-input', `--${name} must be comma-separated integers (e.g. 1,2); got "${String(v[name])}".`);
  return xs;
}

function num(v: Values, name: string): number | undefined {
  if (v[name] === undefined) return undefined;
  const x = Number(v[name]);
  if (!Number.isFinite(x)) throw new EngineError('bad-input', `--${name} must be a number; got "${String(v[name])}".`);
  return x;
}

export const seed002Command: CliCommand = {
  usage: 'steer-lab seed002 PATH (--adapter DIR | --model-b PATH) [--trait NAME|FILE] [--questions FILE] [--prompts FILE] [--judge local|lexical|URL] [--seeds 1,2]\n'
    + '      [--strength 1.5] [--layers L,..] [--random-seed N] [--max-new-tokens N] [--out direction.json] [--json]',
  options: {
    trait: { type: 'string' }, questions: { type: 'string' }, prompts: { type: 'string' }, judge: { type: 'string' }, 'judge-model': { type: 'string' },
    seeds: { type: 'string' }, strength: { type: 'string' }, layers: { type: 'string' }, 'random-seed': { type: 'string' }, out: { type: 'string' },
    'model-b': { type: 'string' },
  },
  run: async (path, v) => {
    const modelB = v['model-b'];
    if (modelB !== undefined && (typeof modelB !== 'string' || v.adapter !== undefined)) {
      throw new EngineError('bad-input', 'seed002 takes the fine-tuned side from --adapter DIR or from --model-b PATH (a second full checkpoint), not both.');
    }
    if (typeof v.adapter !== 'string' && modelB === undefined) throw new EngineError('bad-input', 'seed002 needs --adapter DIR (the LoRA adapter whose fine-tuned model is compared with its base) or --model-b PATH (the fine-tuned checkpoint).');
    if (v['adapter-strength'] !== undefined) throw new EngineError('bad-input', 'seed002 runs the base (0) and the fine-tuned (1) model itself; leave out --adapter-strength.');
    const out = v.out as string | undefined;
    if (out !== undefined && !/\.json$/i.test(out)) throw new EngineError('bad-input', `--out ${out}: the direction is written as a .json vector file.`);
    const pack = await readPack((v.trait as string | undefined) ?? 'scripture');
    const questions = v.questions ? (await readPrompts(v.questions as string)).map((c) => c.user) : pack.evaluationQuestions;
    const detectionPrompts = v.prompts ? (await readPrompts(v.prompts as string)).map((c) => c.user) : DEMO_DETECTION_PROMPTS;
    return withEngine(path, v, async (engine) => {
      const judge = await makeJudge(engine, (v.judge as string | undefined) ?? (pack.markers ? 'lexical' : 'local'), v, pack);
      const o: Seed002Options = {
        questions, detectionPrompts, judge, seeds: numbers(v, 'seeds'), strength: num(v, 'strength'), layers: numbers(v, 'layers'),
        randomSeed: num(v, 'random-seed'), maxNewTokens: num(v, 'max-new-tokens'),
      };
      // Model B is loaded like model A (same dtype), in its own engine.
      const r = typeof modelB === 'string' ? await withEngine(modelB, v, (b) => runSeed002Pair(engine, b, o)) : await runSeed002(engine, o);
      if (out) await writeFile(out, exportVectorJson(r.direction));
      const { direction: _direction, ...report } = r;
      return { ...report, ...(out ? { out } : {}) };
    });
  },
};
