/**
 * The Seed 002 view's state and job: the fine-tuned side is an adapter (the built-in demo organism, or the
 * user's adapter_config.json + adapter_model.safetensors; the chosen model is reloaded with it when needed) or
 * model B, a second checkpoint in its own worker (src/app/modelB.ts); the job runs the seed-002 workflow
 * (src/engine/clients/eval/seed002.ts) on the lab's engine, and on model B's, with the active judge.
 */
import { create } from 'zustand';
import type { AdapterFiles, ProgressEvent } from '../../engine/shared/api';
import { EngineError } from '../../engine/shared/errors';
import { DEMO_DETECTION_PROMPTS, runSeed002, runSeed002Pair, type Seed002Result } from '../../engine/clients/eval/seed002';
import { modelBEngine } from '../modelB';
import { loadModel } from '../actions';
import { getLab, pushError } from '../store';
import { readAdapterFiles } from '../adapterFiles';
import { judgeFor } from './experiments';
import { begin, currentPack, recordSeed002, report } from './jobs';
import { lines, parseNumberList } from './logic';

export interface Seed002State {
  /** The fine-tuned side: the adapter (strength 1 in model A's session) or model B (its own worker). */
  tuned: 'adapter' | 'modelB';
  adapter: 'demo' | 'user';
  user: AdapterFiles | null;
  /** Questions; empty = the active trait pack's evaluation questions. */
  questions: string;
  prompts: string;
  seeds: string;
  maxNewTokens: number;
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled';
  stage: string;
  result: Seed002Result | null;
  /** Layer whose detection scores the table shows (-1: the recommended one). */
  layer: number;
}

export const useSeed002 = create<Seed002State>()(() => ({
  tuned: 'adapter', adapter: 'demo', user: null, questions: '', prompts: DEMO_DETECTION_PROMPTS.join('\n'), seeds: '1, 2', maxNewTokens: 40,
  status: 'idle', stage: '', result: null, layer: -1,
}));
export const setSeed002 = useSeed002.setState;

/** Served by the build from assets/demo-organism (scripts/make-demo-model.ts). Fetched once, so its identity is stable. */
let demo: Promise<AdapterFiles> | null = null;
function demoOrganism(): Promise<AdapterFiles> {
  const url = (f: string) => `${import.meta.env.BASE_URL}models/demo-organism/${f}`;
  demo ??= (async () => {
    const [c, w] = await Promise.all([fetch(url('adapter_config.json')), fetch(url('adapter_model.safetensors'))]);
    if (!c.ok || !w.ok) throw new EngineError('load-failed', 'The demo organism is not in this build (models/demo-organism); run `npm run demo-model`.');
    return { name: 'demo-organism', config: await c.text(), weights: new Uint8Array(await w.arrayBuffer()) };
  })();
  demo.catch(() => { demo = null; });
  return demo;
}

export async function pickAdapter(files: File[]): Promise<void> {
  try {
    setSeed002({ user: await readAdapterFiles(files), adapter: 'user' });
  } catch (e) { report('Seed 002')(e); }
}

/** The adapter the loaded model carries, as this module last loaded it. */
let loaded: AdapterFiles | null = null;

export async function startSeed002(): Promise<void> {
  const s = useSeed002.getState();
  const seeds = parseNumberList(s.seeds);
  if (typeof seeds === 'string' || !seeds.length || seeds.some((x) => !Number.isInteger(x))) return pushError('Seed 002', { code: 'bad-input', message: 'Seeds: give whole numbers separated by commas (e.g. 1, 2).' });
  const prompts = lines(s.prompts);
  if (prompts.length < 2) return pushError('Seed 002', { code: 'bad-input', message: 'Give at least two detection prompts (one per line): the probe holds some out.' });
  setSeed002({ status: 'running', stage: 'adapter', result: null });
  try {
    const tunedB = s.tuned === 'modelB' ? modelBEngine() : null;
    if (s.tuned === 'modelB') {
      if (!tunedB) throw new EngineError('not-loaded', 'Load model B (left panel, below model A) as the fine-tuned model, or choose the adapter.');
      // Model A is the base: a model A still carrying the adapter is reloaded without it.
      if (getLab().info?.adapter) {
        setSeed002({ stage: 'reloading model A without the adapter' });
        if (!(await loadModel())) return void setSeed002({ status: 'error', stage: '' });
        loaded = null;
      }
    } else {
      const adapter = s.adapter === 'demo' ? await demoOrganism() : s.user;
      if (!adapter) throw new EngineError('bad-input', 'Pick your adapter files first, or choose the demo organism.');
      // Loaded before the job is queued: a load waits for running jobs, so one inside the job would wait on itself.
      if (loaded !== adapter || !getLab().info?.adapter) {
        setSeed002({ stage: 'loading the model with the adapter' });
        // loadModel reports its own error (a wrong-shaped adapter says which projection differs).
        if (!(await loadModel({ adapter }))) return void setSeed002({ status: 'error', stage: '' });
        loaded = adapter;
      }
    }
    const pack = currentPack();
    const questions = lines(s.questions);
    const run = begin('seed002', async ({ engine, signal, compute }) => {
      const judge = await judgeFor(engine, { kind: 'auto', minMass: 0.25, coherence: true, topK: 20 }, pack.markers);
      const opts = {
        questions: questions.length ? questions : pack.evaluationQuestions, detectionPrompts: prompts, judge, seeds: seeds as number[],
        maxNewTokens: s.maxNewTokens, signal, compute,
        onProgress: (e: ProgressEvent) => setSeed002({ stage: `${e.stage} ${e.loaded}/${e.total}` }),
      };
      // Base on model A (this job's engine), fine-tuned on model B's own worker; or both as rows of A's session.
      return tunedB ? runSeed002Pair(engine, tunedB, opts) : runSeed002(engine, opts);
    });
    if (!run) return void setSeed002({ status: 'idle', stage: '' });
    const result = await run;
    setSeed002({ status: 'done', stage: '', result, layer: -1 });
    void recordSeed002(result);
  } catch (e) {
    const d = report('Seed 002')(e);
    setSeed002({ status: d.code === 'cancelled' ? 'cancelled' : 'error', stage: '' });
  }
}
