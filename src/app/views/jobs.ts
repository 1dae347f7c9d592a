/**
 * Starting, pausing, cancelling and recording the experiment views' jobs. Each is queued on the scheduler
 * (src/engine/clients/scheduler.ts): jobs run one after another, the Steer view's calls go between a job's calls, and
 * only a job's own controls pause or cancel it. Results land in the view's section of the store and in the IndexedDB history; failures in the lab's
 * error list (cancellation is not an error).
 */
import { toErrorData } from '../../engine/shared/errors';
import { BUILTIN_PACKS } from '../../engine/clients/eval/packs';
import type { TraitPack } from '../../engine/clients/eval/traitPack';
import { presentLayers, row } from '../../engine/clients/vectors/meta';
import { getCompute, getScheduler, saveVector } from '../actions';
import type { VectorRecord } from '../db';
import { newId } from '../format';
import { getLab, pushError } from '../store';
import * as exp from './experiments';
import * as idb from './idbStore';
import { clip, lines, parseLayerRange, parseNumberList } from './logic';
import { getViews, JOB_LABEL, packFor, patchView, setViews, upsertStep, type GenForm, type Job, type JobKind } from './viewStore';
import type { Seed002Result } from '../../engine/clients/eval/seed002';
import { setSeed002 } from './seed002Job';

export const stepStore = createStoreOnce();
function createStoreOnce() {
  let s: ReturnType<typeof idb.createIdbStepStore> | null = null;
  return () => (s ??= idb.createIdbStepStore());
}

export const report = (where: string) => (e: unknown) => {
  const d = toErrorData(e);
  if (d.code !== 'cancelled') pushError(where, d);
  return d;
};

export async function refreshViewsData(): Promise<void> {
  try {
    const [history, savedPacks] = await Promise.all([idb.listExperiments(), idb.listPacks()]);
    setViews({ history, savedPacks });
  } catch (e) { report('Storage')(e); }
}

export const currentPack = (): TraitPack => { const s = getViews(); return packFor(s.packKey, s.savedPacks) ?? BUILTIN_PACKS[0]; };

/**
 * Queues `work` as the view's job, with a context whose engine calls are the job's. Null (and an error shown)
 * when the view already has a job queued or running, or no model is loaded.
 */
export function begin<T>(kind: JobKind, work: (ctx: exp.WorkflowCtx) => Promise<T>): Promise<T> | null {
  if (getViews().jobs.some((j) => j.kind === kind)) {
    pushError('Experiments', { code: 'bad-input', message: `${JOB_LABEL[kind]} is already queued or running; cancel it or wait for it to finish.` });
    return null;
  }
  const { info, modelStatus, modelId } = getLab();
  if (!info || modelStatus !== 'ready') { pushError('Experiments', { code: 'not-loaded', message: 'Load a model first (left panel).' }); return null; }
  const modelKey = exp.modelKeyOf(info, modelId);
  const handle = getScheduler().job(JOB_LABEL[kind], (engine, signal) => work({ engine, store: stepStore(), signal, modelKey, compute: getCompute() }));
  const job: Job = { kind, label: JOB_LABEL[kind], handle, startedAt: Date.now() };
  setViews((s) => ({ jobs: [...s.jobs, job] }));
  const end = () => setViews((s) => ({ jobs: s.jobs.filter((j) => j !== job) }));
  handle.result.then(end, end);
  return handle.result;
}

const jobOf = (kind: JobKind): Job | undefined => getViews().jobs.find((j) => j.kind === kind);
export const cancelJob = (kind: JobKind): void => jobOf(kind)?.handle.cancel();
export const pauseJob = (kind: JobKind): void => jobOf(kind)?.handle.pause();
export const resumeJob = (kind: JobKind): void => jobOf(kind)?.handle.resume();

/** `modelId` is the model the job started on: a load queued behind the job may have changed the lab's since. */
async function record(kind: idb.ExperimentKind, modelId: string, title: string, summary: string, result: unknown): Promise<void> {
  const rec: idb.ExperimentRecord = { id: newId(), kind, title, summary, modelId, createdAt: Date.now(), status: 'done', result };
  setViews((s) => ({ history: [rec, ...s.history].slice(0, idb.MAX_EXPERIMENTS) }));
  await idb.putExperiment(rec).catch(report('Storage'));
}

const gen = (g: GenForm): exp.GenSettings => ({ maxNewTokens: Math.max(1, Math.floor(g.maxNewTokens)), temperature: Math.max(0, g.temperature), seed: Math.floor(g.seed), batchSize: Math.max(1, Math.floor(g.batchSize)) });

/* ---------- pipeline ---------- */

export async function startPipeline(): Promise<void> {
  const v = getViews().pipeline;
  const pack = currentPack();
  const modelId = getLab().modelId ?? getLab().info?.id ?? '?';
  const run = begin('pipeline', (ctx) => exp.pipelineWorkflow(ctx, {
    pack, nPairs: v.nPairs, nQuestions: v.nQuestions, gen: gen(v.gen), judge: { kind: v.judge, minMass: v.minMass, coherence: v.coherence, topK: v.topK, keepUnscored: v.keepUnscored }, thresholds: v.thresholds,
  }, modelId, (s) => patchView('pipeline', { steps: upsertStep(getViews().pipeline.steps, s) })));
  if (!run) return;
  patchView('pipeline', { steps: exp.PIPELINE_STEPS.map((s) => ({ ...s, status: 'pending', loaded: 0, total: 0, fresh: 0, reused: 0 })), result: null, status: 'running' });
  try {
    const result = await run;
    patchView('pipeline', { result, status: result.error ? 'error' : 'done' });
    if (result.error) return pushError('Trait pipeline', result.error);
    await record('pipeline', modelId, `${pack.name} vector`, `${result.effective}/${result.rows.length} effective pairs · best L${result.recommendedLayer} · judge: ${result.judge}`, result);
  } catch (e) {
    const d = report('Trait pipeline')(e);
    patchView('pipeline', { status: d.code === 'cancelled' ? 'cancelled' : 'error' });
  }
}

/** Saves the pipeline's vector set to the library (the Steer view and the other views can use it at once). */
export async function savePipelineVector(name: string): Promise<void> {
  const r = getViews().pipeline.result;
  if (!r?.set) return;
  const rec: VectorRecord = { id: newId(), name: name.trim() || r.trait, set: r.set, separation: r.separation, source: 'contrast', createdAt: Date.now() };
  await saveVector(rec);
}

/* ---------- sweep ---------- */

function vectorAt(vectorId: string, layer: number): { rec: VectorRecord; v: Float32Array } | null {
  const rec = getLab().vectors.find((x) => x.id === vectorId);
  if (!rec || !presentLayers(rec.set.meta).includes(layer)) return null;
  return { rec, v: row(rec.set.vectors, rec.set.meta.hiddenSize, layer).slice() };
}

export async function startSweep(): Promise<void> {
  const v = getViews().sweep;
  const coeffs = parseNumberList(v.coeffs);
  if (typeof coeffs === 'string') return pushError('Sweep', { code: 'bad-input', message: `Coefficients: ${coeffs}` });
  const questions = lines(v.questions).length ? lines(v.questions) : currentPack().evaluationQuestions.slice(0, 3);
  const sel = vectorAt(v.vectorId, v.layer);
  if (!sel) return pushError('Sweep', { code: 'bad-input', message: 'Choose a vector from the library and one of its layers.' });
  const modelId = getLab().modelId ?? '?';
  const run = begin('sweep', (ctx) => exp.sweepWorkflow(ctx, {
    vectorName: sel.rec.name, vector: sel.v, layer: v.layer, coeffs, questions, evalPrompt: currentPack().evalPrompt, markers: currentPack().markers,
    randomControl: v.random, controlSeed: 7, positions: v.positions, gen: gen(v.gen), judge: { kind: v.judge, minMass: v.minMass, coherence: v.coherence, topK: v.topK },
  }, modelId, (s) => patchView('sweep', { steps: upsertStep(getViews().sweep.steps, s) })));
  if (!run) return;
  patchView('sweep', { steps: [], result: null, status: 'running', exampleQuestion: 0 });
  try {
    const result = await run;
    patchView('sweep', { result, status: result.error ? 'error' : 'done' });
    if (result.error) return pushError('Sweep', result.error);
    await record('sweep', modelId, `${sel.rec.name} @ L${v.layer} sweep`, `${coeffs.length} coefficients × ${questions.length} questions${v.random ? ' + random control' : ''} · ${clip(currentPack().name, 24)} scored by ${result.judge}`, result);
  } catch (e) {
    const d = report('Sweep')(e);
    patchView('sweep', { status: d.code === 'cancelled' ? 'cancelled' : 'error' });
  }
}

/* ---------- projection monitoring ---------- */

export async function startMonitor(): Promise<void> {
  const v = getViews().monitor;
  const pack = currentPack();
  const questions = lines(v.questions).length ? lines(v.questions) : pack.evaluationQuestions.slice(0, 4);
  const sel = vectorAt(v.vectorId, v.layer);
  if (!sel) return pushError('Projections', { code: 'bad-input', message: 'Choose a vector from the library and one of its layers.' });
  const system = pack.instructions[Math.min(v.instruction, pack.instructions.length - 1)].pos;
  const modelId = getLab().modelId ?? '?';
  const run = begin('monitor', (ctx) => exp.monitorWorkflow(ctx, { vectorName: sel.rec.name, vector: sel.v, layer: v.layer, coeff: v.coeff, systemPrompt: system, questions, gen: gen(v.gen) },
    modelId, (s) => patchView('monitor', { steps: upsertStep(getViews().monitor.steps, s) })));
  if (!run) return;
  patchView('monitor', { steps: [], result: null, status: 'running' });
  try {
    const result = await run;
    patchView('monitor', { result, status: 'done' });
    await record('monitor', modelId, `${sel.rec.name} @ L${v.layer} projections`, `baseline / prompted (${clip(pack.name, 20)}) / steered ×${v.coeff} · ${questions.length} questions`, result);
  } catch (e) {
    const d = report('Projections')(e);
    patchView('monitor', { status: d.code === 'cancelled' ? 'cancelled' : 'error' });
  }
}

/* ---------- detection & ablation ---------- */

export async function startDetection(): Promise<void> {
  const v = getViews().detection;
  const setA = lines(v.setA), setB = lines(v.setB);
  if (setA.length < 2 || setB.length < 2) return pushError('Detection', { code: 'bad-input', message: 'Give at least two prompts in each set (one per line).' });
  const modelId = getLab().modelId ?? '?';
  const run = begin('detection', (ctx) => exp.detectionWorkflow(ctx, { labelA: v.labelA.trim() || 'A', labelB: v.labelB.trim() || 'B', setA, setB, seed: 1, batchSize: 8 },
    modelId, (s) => patchView('detection', { steps: upsertStep(getViews().detection.steps, s) })));
  if (!run) return;
  patchView('detection', { steps: [], result: null, status: 'running', ablation: null, ablationSteps: [] });
  try {
    const result = await run;
    const L = result.separation.length;
    const lo = Math.floor(L / 2);
    patchView('detection', { result, status: 'done', layer: result.recommendedLayer, range: v.range || `${lo}-${L - 1}` });
    await record('detection', modelId, `${result.labelA} vs ${result.labelB}`, `${setA.length}+${setB.length} prompts · best L${result.recommendedLayer} · AUROC ${result.auroc[result.recommendedLayer].toFixed(2)}`, result);
  } catch (e) {
    const d = report('Detection')(e);
    patchView('detection', { status: d.code === 'cancelled' ? 'cancelled' : 'error' });
  }
}

export async function startAblation(): Promise<void> {
  const v = getViews().detection;
  const info = getLab().info;
  if (!v.result || !info) return;
  const range = parseLayerRange(v.range, v.result.set.meta.numLayers);
  if (typeof range === 'string') return pushError('Ablation', { code: 'bad-input', message: `Layer range: ${range}` });
  const prompts = lines(v.testPrompts);
  if (!prompts.length) return pushError('Ablation', { code: 'bad-input', message: 'Give at least one test prompt.' });
  const set = v.result.set;
  const run = begin('ablation', (ctx) => exp.ablationWorkflow(ctx, { set, range, strength: v.strength, prompts, gen: gen(v.gen) },
    (s) => patchView('detection', { ablationSteps: upsertStep(getViews().detection.ablationSteps, s) })));
  if (!run) return;
  patchView('detection', { ablation: null, ablationSteps: [] });
  try {
    const ablation = await run;
    patchView('detection', { ablation });
  } catch (e) { report('Ablation')(e); }
}

export async function saveDetectionVector(): Promise<void> {
  const r = getViews().detection.result;
  if (!r) return;
  await saveVector({ id: newId(), name: `${r.labelA} − ${r.labelB}`, set: r.set, separation: r.separation, source: 'contrast', createdAt: Date.now() });
}

/* ---------- seed 002 ---------- */

/** Puts a finished Seed 002 run into the history like the other views' runs (seed002Job.ts calls it). */
export async function recordSeed002(r: Seed002Result): Promise<void> {
  const what = r.measure === 'trait' ? 'trait' : 'aligned';
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
  await record('seed002', r.model, `${r.adapter} vs base`, `mean ${what}: base ${f(r.summary.base.mean)} · fine-tuned ${f(r.summary.fineTuned.mean)} · ablated ${f(r.summary.ablated.mean)} · judge: ${r.judge}`, r);
}

/* ---------- history ---------- */

export function openExperiment(rec: idb.ExperimentRecord): void {
  switch (rec.kind) {
    case 'pipeline': patchView('pipeline', { result: rec.result as exp.PipelineResult, status: 'done', steps: [] }); break;
    case 'sweep': patchView('sweep', { result: rec.result as exp.SweepResult, status: 'done', steps: [], exampleQuestion: 0 }); break;
    case 'monitor': patchView('monitor', { result: rec.result as exp.MonitorResult, status: 'done', steps: [] }); break;
    case 'detection': patchView('detection', { result: rec.result as exp.DetectionResult, status: 'done', steps: [], ablation: null, ablationSteps: [] }); break;
    case 'seed002': setSeed002({ result: rec.result as Seed002Result, status: 'done', stage: '', layer: -1 }); break;
  }
  setViews({ tab: rec.kind });
}

export async function removeExperiment(id: string): Promise<void> {
  setViews((s) => ({ history: s.history.filter((x) => x.id !== id) }));
  await idb.deleteExperiment(id).catch(report('Storage'));
}

export async function clearStepCache(): Promise<void> {
  await stepStore().clear().catch(report('Storage'));
}

/* ---------- saved packs ---------- */

/** Saves a validated pack under its name; the caller validated it, so nothing saved is touched on a bad pack. */
export async function savePack(pack: TraitPack): Promise<void> {
  const rec: idb.SavedPack = { name: pack.name, pack, savedAt: Date.now() };
  setViews((s) => ({ savedPacks: [...s.savedPacks.filter((p) => p.name !== pack.name), rec].sort((a, b) => a.name.localeCompare(b.name)), packKey: `saved:${pack.name}`, packNote: `Saved “${pack.name}”.` }));
  await idb.putPack(rec).catch(report('Storage'));
}

export async function removePack(name: string): Promise<void> {
  setViews((s) => ({ savedPacks: s.savedPacks.filter((p) => p.name !== name), packKey: s.packKey === `saved:${name}` ? `builtin:${BUILTIN_PACKS[0].name}` : s.packKey }));
  await idb.deletePack(name).catch(report('Storage'));
}
