/**
 * Starting, cancelling and recording the experiment views' jobs. One job at a time: the engine runs one
 * generate at a time and the latest one wins, so two experiments would cancel each other.
 * Results land in the view's section of the store and in the IndexedDB history; failures in the lab's
 * error list (cancellation is not an error).
 */
import { EngineError, toErrorData } from '../../engine/errors';
import { BUILTIN_PACKS } from '../../engine/eval/packs';
import type { TraitPack } from '../../engine/eval/traitPack';
import { presentLayers, row } from '../../engine/vectors/meta';
import { getEngine, saveVector } from '../actions';
import type { VectorRecord } from '../db';
import { newId } from '../format';
import { getLab, pushError } from '../store';
import * as exp from './experiments';
import * as idb from './idbStore';
import { clip, lines, parseLayerRange, parseNumberList } from './logic';
import { getViews, packFor, patchView, setViews, upsertStep, type GenForm, type Job } from './viewStore';

export const stepStore = createStoreOnce();
function createStoreOnce() {
  let s: ReturnType<typeof idb.createIdbStepStore> | null = null;
  return () => (s ??= idb.createIdbStepStore());
}

const report = (where: string) => (e: unknown) => {
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

function ctxFor(job: Job): exp.Ctx {
  const { info, modelId } = getLab();
  if (!info) throw new EngineError('not-loaded', 'Load a model first (left panel).');
  return { engine: getEngine(), store: stepStore(), signal: job.ctl.signal, modelKey: exp.modelKeyOf(info, modelId) };
}

function begin(kind: Job['kind']): Job | null {
  const s = getViews();
  if (s.job) { pushError('Experiments', { code: 'bad-input', message: 'Another experiment is running; cancel it or wait for it to finish.' }); return null; }
  const { info, modelStatus } = getLab();
  if (!info || modelStatus !== 'ready') { pushError('Experiments', { code: 'not-loaded', message: 'Load a model first (left panel).' }); return null; }
  const job: Job = { kind, ctl: new AbortController(), startedAt: Date.now() };
  setViews({ job });
  return job;
}

const end = (job: Job) => { if (getViews().job === job) setViews({ job: null }); };

export function cancelJob(): void {
  getViews().job?.ctl.abort();
}

async function record(kind: idb.ExperimentKind, title: string, summary: string, result: unknown): Promise<void> {
  const rec: idb.ExperimentRecord = { id: newId(), kind, title, summary, modelId: getLab().modelId ?? '?', createdAt: Date.now(), status: 'done', result };
  setViews((s) => ({ history: [rec, ...s.history].slice(0, idb.MAX_EXPERIMENTS) }));
  await idb.putExperiment(rec).catch(report('Storage'));
}

const gen = (g: GenForm): exp.GenSettings => ({ maxNewTokens: Math.max(1, Math.floor(g.maxNewTokens)), temperature: Math.max(0, g.temperature), seed: Math.floor(g.seed), batchSize: Math.max(1, Math.floor(g.batchSize)) });

/* ---------- pipeline ---------- */

export async function startPipeline(): Promise<void> {
  const job = begin('pipeline');
  if (!job) return;
  const v = getViews().pipeline;
  const pack = currentPack();
  patchView('pipeline', { steps: exp.PIPELINE_STEPS.map((s) => ({ ...s, status: 'pending', loaded: 0, total: 0, fresh: 0, reused: 0 })), result: null, status: 'running' });
  try {
    const modelId = getLab().modelId ?? getLab().info!.id;
    const result = await exp.runPipeline(ctxFor(job), {
      pack, nPairs: v.nPairs, nQuestions: v.nQuestions, gen: gen(v.gen), judge: { kind: v.judge, minMass: v.minMass, coherence: v.coherence, topK: v.topK, keepUnscored: v.keepUnscored }, thresholds: v.thresholds,
    }, modelId, (s) => patchView('pipeline', { steps: upsertStep(getViews().pipeline.steps, s) }));
    patchView('pipeline', { result, status: result.error ? 'error' : 'done' });
    if (result.error) return pushError('Trait pipeline', result.error);
    await record('pipeline', `${pack.name} vector`, `${result.effective}/${result.rows.length} effective pairs · best L${result.recommendedLayer} · judge: ${result.judge}`, result);
  } catch (e) {
    const d = report('Trait pipeline')(e);
    patchView('pipeline', { status: d.code === 'cancelled' ? 'cancelled' : 'error' });
  } finally { end(job); }
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
  const job = begin('sweep');
  if (!job) return;
  patchView('sweep', { steps: [], result: null, status: 'running', exampleQuestion: 0 });
  try {
    const modelId = getLab().modelId ?? '?';
    const result = await exp.runSweep(ctxFor(job), {
      vectorName: sel.rec.name, vector: sel.v, layer: v.layer, coeffs, questions, evalPrompt: currentPack().evalPrompt, markers: currentPack().markers,
      randomControl: v.random, controlSeed: 7, positions: v.positions, gen: gen(v.gen), judge: { kind: v.judge, minMass: v.minMass, coherence: v.coherence, topK: v.topK },
    }, modelId, (s) => patchView('sweep', { steps: upsertStep(getViews().sweep.steps, s) }));
    patchView('sweep', { result, status: result.error ? 'error' : 'done' });
    if (result.error) return pushError('Sweep', result.error);
    await record('sweep', `${sel.rec.name} @ L${v.layer} sweep`, `${coeffs.length} coefficients × ${questions.length} questions${v.random ? ' + random control' : ''} · ${clip(currentPack().name, 24)} scored by ${result.judge}`, result);
  } catch (e) {
    const d = report('Sweep')(e);
    patchView('sweep', { status: d.code === 'cancelled' ? 'cancelled' : 'error' });
  } finally { end(job); }
}

/* ---------- projection monitoring ---------- */

export async function startMonitor(): Promise<void> {
  const v = getViews().monitor;
  const pack = currentPack();
  const questions = lines(v.questions).length ? lines(v.questions) : pack.evaluationQuestions.slice(0, 4);
  const sel = vectorAt(v.vectorId, v.layer);
  if (!sel) return pushError('Projections', { code: 'bad-input', message: 'Choose a vector from the library and one of its layers.' });
  const system = pack.instructions[Math.min(v.instruction, pack.instructions.length - 1)].pos;
  const job = begin('monitor');
  if (!job) return;
  patchView('monitor', { steps: [], result: null, status: 'running' });
  try {
    const result = await exp.runMonitor(ctxFor(job), { vectorName: sel.rec.name, vector: sel.v, layer: v.layer, coeff: v.coeff, systemPrompt: system, questions, gen: gen(v.gen) },
      getLab().modelId ?? '?', (s) => patchView('monitor', { steps: upsertStep(getViews().monitor.steps, s) }));
    patchView('monitor', { result, status: 'done' });
    await record('monitor', `${sel.rec.name} @ L${v.layer} projections`, `baseline / prompted (${clip(pack.name, 20)}) / steered ×${v.coeff} · ${questions.length} questions`, result);
  } catch (e) {
    const d = report('Projections')(e);
    patchView('monitor', { status: d.code === 'cancelled' ? 'cancelled' : 'error' });
  } finally { end(job); }
}

/* ---------- detection & ablation ---------- */

export async function startDetection(): Promise<void> {
  const v = getViews().detection;
  const setA = lines(v.setA), setB = lines(v.setB);
  if (setA.length < 2 || setB.length < 2) return pushError('Detection', { code: 'bad-input', message: 'Give at least two prompts in each set (one per line).' });
  const job = begin('detection');
  if (!job) return;
  patchView('detection', { steps: [], result: null, status: 'running', ablation: null, ablationSteps: [] });
  try {
    const result = await exp.runDetection(ctxFor(job), { labelA: v.labelA.trim() || 'A', labelB: v.labelB.trim() || 'B', setA, setB, seed: 1, batchSize: 8 },
      getLab().modelId ?? '?', (s) => patchView('detection', { steps: upsertStep(getViews().detection.steps, s) }));
    const L = result.separation.length;
    const lo = Math.floor(L / 2);
    patchView('detection', { result, status: 'done', layer: result.recommendedLayer, range: v.range || `${lo}-${L - 1}` });
    await record('detection', `${result.labelA} vs ${result.labelB}`, `${setA.length}+${setB.length} prompts · best L${result.recommendedLayer} · AUROC ${result.auroc[result.recommendedLayer].toFixed(2)}`, result);
  } catch (e) {
    const d = report('Detection')(e);
    patchView('detection', { status: d.code === 'cancelled' ? 'cancelled' : 'error' });
  } finally { end(job); }
}

export async function startAblation(): Promise<void> {
  const v = getViews().detection;
  const info = getLab().info;
  if (!v.result || !info) return;
  const range = parseLayerRange(v.range, v.result.set.meta.numLayers);
  if (typeof range === 'string') return pushError('Ablation', { code: 'bad-input', message: `Layer range: ${range}` });
  const prompts = lines(v.testPrompts);
  if (!prompts.length) return pushError('Ablation', { code: 'bad-input', message: 'Give at least one test prompt.' });
  const job = begin('ablation');
  if (!job) return;
  patchView('detection', { ablation: null, ablationSteps: [] });
  try {
    const ablation = await exp.runAblation(ctxFor(job), { set: v.result.set, range, strength: v.strength, prompts, gen: gen(v.gen) },
      (s) => patchView('detection', { ablationSteps: upsertStep(getViews().detection.ablationSteps, s) }));
    patchView('detection', { ablation });
  } catch (e) { report('Ablation')(e); } finally { end(job); }
}

export async function saveDetectionVector(): Promise<void> {
  const r = getViews().detection.result;
  if (!r) return;
  await saveVector({ id: newId(), name: `${r.labelA} − ${r.labelB}`, set: r.set, separation: r.separation, source: 'contrast', createdAt: Date.now() });
}

/* ---------- history ---------- */

export function openExperiment(rec: idb.ExperimentRecord): void {
  switch (rec.kind) {
    case 'pipeline': patchView('pipeline', { result: rec.result as exp.PipelineResult, status: 'done', steps: [] }); break;
    case 'sweep': patchView('sweep', { result: rec.result as exp.SweepResult, status: 'done', steps: [], exampleQuestion: 0 }); break;
    case 'monitor': patchView('monitor', { result: rec.result as exp.MonitorResult, status: 'done', steps: [] }); break;
    case 'detection': patchView('detection', { result: rec.result as exp.DetectionResult, status: 'done', steps: [], ablation: null, ablationSteps: [] }); break;
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
