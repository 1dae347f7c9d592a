/**
 * The lab's workflows: load a model, generate baseline + steered side by side, build a quick contrast
 * vector, share and restore links, persist vectors and runs. Every failure lands in the error list
 * with its code and message; nothing here leaves the lab in a state the user cannot get out of.
 */
import type { ChatMessage, Condition, Engine, LoadOptions, ModelInfo, Monitor, ProgressEvent, SteeringSpec, TapName } from '../engine/shared/api';
import { EngineError, toErrorData } from '../engine/shared/errors';
import { createScheduler, type JobHandle, type Scheduler } from '../engine/clients/scheduler';
import type { Compute } from '../engine/clients/vectors/compute';
import { decodeShareLink, encodeShareLink, SHARE_PREFIX } from '../engine/clients/io/shareLink';
import { ImportChoiceError } from '../engine/clients/io/foreign';
import { writeControlVectorGguf } from '../engine/clients/io/gguf';
import { importVectorFile as parseVectorFile } from '../engine/clients/io/import';
import { exportVectorJson, VECTOR_JSON_FORMAT } from '../engine/clients/io/vectorJson';
import { isPersonaShape, parsePersonaPair, parseTraitPack, type TraitPack } from '../engine/clients/eval/traitPack';
import { assertSaneVectors, LAYER_CONVENTION, presentLayers, row, type VectorSet } from '../engine/clients/vectors/meta';
import { BaselineKeeper } from './baseline';
import { bindNormScheduler, labNorms, normModelKey } from './labNorms';
import { strengthBasis } from './residualNorms';
import { strengthOfCoeff } from '../engine/clients/vectors/strength';
import { norm } from '../engine/shared/linalg';
import { appendPiece } from './tokenPieces';
import { packFor, packKeyForTrait, useViews } from './views/viewStore';
import * as db from './db';
import { contentHash, newId, uniqueName } from './format';
import { filesFor, readFiles } from './localFolder';
import { choiceForId, hubIdOf, hubSource } from './presets';
import { contrast, splitPrompts } from './quickContrast';
import { poolCapture, type RowSpans } from '../engine/clients/vectors/pooling';
import { conditionDirection, conditionViews, linkSteering, runSteering, slotFromLink, slotSpecs, type ConditionView } from './slotKinds';
import { slotsFromRun } from './runSlots';
import { preferredLayer } from '../engine/clients/vectors/separation';
import { getLab, pushError, setLab, type ImportQuestion, type LabState, type PromptedColumn, type StageProgress, type SteerSlot } from './store';

let scheduler: Scheduler;
let compute: Compute;
const CONTRAST_BATCH = 8;
/** Which run / load is the newest: an older one that ends late must not paint over it. Cancelling is the scheduler's. */
let runSeq = 0;
let loadSeq = 0;
let contrastJob: JobHandle<void> | null = null;
const baseline = new BaselineKeeper();

/** Every engine call of the UI goes through this (the experiment views queue their jobs on it too). */
export const getScheduler = (): Scheduler => scheduler;

/** Where the views' heavy maths runs (the compute worker in the page, vectors/compute.ts). */
export const getCompute = (): Compute => compute;

export function initActions(e: Engine, c: Compute): void {
  scheduler = createScheduler(e);
  bindNormScheduler(scheduler);
  compute = c;
  scheduler.subscribe(() => setLab({ schedule: scheduler.state() }));
  void refreshLibrary();
}

const report = (where: string) => (e: unknown) => {
  const data = toErrorData(e);
  if (data.code !== 'cancelled') pushError(where, data);
  return data;
};

/* ---------- model ---------- */

function trackProgress(e: ProgressEvent): void {
  const now = performance.now();
  setLab((s) => {
    const prev = s.progress[e.stage];
    let next: StageProgress = prev ? { ...prev, ...e } : { ...e, startedAt: now, anchorAt: now, anchorLoaded: e.loaded, bytesPerSec: 0 };
    const dt = (now - next.anchorAt) / 1000;
    // Rate over half-second windows, smoothed: per-event deltas jump around with chunk sizes.
    if (prev && dt >= 0.5) {
      const inst = (e.loaded - next.anchorLoaded) / dt;
      next = { ...next, anchorAt: now, anchorLoaded: e.loaded, bytesPerSec: prev.bytesPerSec ? 0.6 * prev.bytesPerSec + 0.4 * inst : inst };
    }
    return { progress: { ...s.progress, [e.stage]: next } };
  });
}

/** Loads the chosen model; `extra.adapter` applies a LoRA adapter in the graph (the Seed 002 view). */
export async function loadModel(extra: Pick<LoadOptions, 'adapter'> = {}): Promise<boolean> {
  const s = getLab();
  const seq = ++loadSeq;
  ++runSeq; // whatever the Steer view showed belonged to the old model
  baseline.clear();
  const name = s.choice.kind === 'local' ? s.local?.name ?? 'local folder' : hubIdOf(s.choice);
  setLab({ modelStatus: 'loading', modelId: name, info: null, progress: {}, runStatus: 'idle' });
  try {
    let request = hubSource(s.choice, s.dtype, s.device, location.origin);
    if (s.choice.kind === 'local') {
      if (!s.local) throw new EngineError('bad-input', 'Choose or drop a model folder first.');
      if (!s.local.dtypes.includes(s.dtype)) throw new EngineError('bad-input', `The folder has no onnx/model${s.dtype === 'fp32' ? '' : '_' + s.dtype}.onnx. Available: ${s.local.dtypes.join(', ') || 'none'}.`);
      const files = await readFiles(filesFor(s.local, s.dtype), (loaded, total) => trackProgress({ stage: 'read folder', loaded, total, done: loaded === total }));
      request = { source: { kind: 'files', name: s.local.name, files }, options: { dtype: s.dtype, device: s.device } };
    }
    if (!request) throw new EngineError('bad-input', 'Enter a hub model id like org/name.');
    // Queued behind a running job (it was started on the old model); a newer load replaces this one.
    const info = await scheduler.load(request.source, { ...request.options, ...extra }, { onProgress: trackProgress }).result;
    if (seq !== loadSeq) return false;
    setLab((st) => ({ modelStatus: 'ready', info, slots: st.slots.map((x) => ({ ...x, layer: Math.min(x.layer, info.numLayers - 1) })) }));
    return true;
  } catch (e) {
    if (seq === loadSeq) setLab({ modelStatus: 'error' });
    report('Model')(e);
    return false;
  }
}

/* ---------- generation ---------- */

/** The prompt a Steer run sends (the strength readouts measure the residual norm on the same one). */
export function messages(system: string, prompt: string, chat: boolean): string | ChatMessage[] {
  if (!chat) return system.trim() ? `${system.trim()}\n\n${prompt}` : prompt;
  return system.trim() ? [{ role: 'system', content: system }, { role: 'user', content: prompt }] : [{ role: 'user', content: prompt }];
}

/** The vector a slot points at, if it exists and fits the loaded model. */
export function slotVector(slot: SteerSlot): Float32Array | null {
  const { vectors, info } = getLab();
  const rec = vectors.find((v) => v.id === slot.vectorId);
  if (!rec || !info || rec.set.meta.hiddenSize !== info.hiddenSize || !presentLayers(rec.set.meta).includes(slot.layer)) return null;
  return row(rec.set.vectors, rec.set.meta.hiddenSize, slot.layer);
}

/** Per spec sent, the slot whose condition gates it (null for ungated specs): maps GenerateResult.conditions back to slots. */
type SpecOwner = { slotKey: string; vectorName: string; when: Condition } | null;

function steeringSpecs(): { specs: SteeringSpec[]; owners: SpecOwner[]; monitor?: Monitor } {
  const specs: SteeringSpec[] = [];
  const owners: SpecOwner[] = [];
  let monitor: Monitor | undefined;
  const { vectors, info } = getLab();
  for (const slot of getLab().slots) {
    const v = slotVector(slot);
    if (!slot.enabled || !v) continue;
    const dir = slot.when ? conditionDirection(slot.when, vectors, info) : null;
    const when = slot.when && dir && typeof dir !== 'string' ? { layer: slot.when.layer, direction: dir, threshold: slot.when.threshold, pooling: slot.when.pooling } : undefined;
    // A condition whose vector is gone leaves the add out rather than steering ungated (the slot says why);
    // the slot's ablation and cap still apply. Ablate first, then add: the direction's component is replaced.
    for (const spec of slotSpecs(typeof dir === 'string' ? { ...slot, coeff: 0 } : slot, v, when)) {
      specs.push(spec);
      owners.push(when && 'when' in spec ? { slotKey: slot.key, vectorName: vectors.find((x) => x.id === slot.vectorId)?.name ?? '?', when } : null);
    }
    if (!monitor) {
      const n = Math.hypot(...v);
      if (n > 0) monitor = { layer: slot.layer, direction: v.map((x) => x / n) };
    }
  }
  return { specs, owners, monitor };
}

/** Tokens arrive faster than frames; flush them to React once per frame. */
function frameBatcher(flush: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    const go = () => { queued = false; flush(); };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(go); else setTimeout(go, 16);
  };
}

/**
 * The prompted column's instruction: the first positive instruction of the trait pack that matches the active
 * vector's name (the rule the Projections view follows), or why there is none.
 */
export function promptedInstruction(): { pack: string; instruction: string } | { note: string } {
  const s = getLab();
  const slot = s.slots.find((x) => x.enabled && slotVector(x));
  const rec = slot && s.vectors.find((v) => v.id === slot.vectorId);
  if (!rec) return { note: 'Put a vector in play to compare steering with prompting.' };
  const { savedPacks } = useViews.getState();
  const key = packKeyForTrait(rec.name, savedPacks);
  const pack = key ? packFor(key, savedPacks) : undefined;
  const instruction = pack?.instructions[0]?.pos;
  if (!pack || !instruction) return { note: `No trait pack matches the vector "${rec.name}": name it after a pack (Sweeps view) to get a prompted column.` };
  return { pack: pack.name, instruction };
}

/**
 * Baseline, prompted and steered text side by side. The baseline and the prompted row (the question with the
 * trait's instruction as system prompt, no steering) do not depend on the steering and are kept (baseline.ts),
 * so after the first run only the steered row is generated; otherwise all rows come from one batched generate
 * with one seed. Interactive: the scheduler debounces and lets the latest call win.
 */
export async function runGenerate(): Promise<void> {
  const s = getLab();
  if (!s.info || s.modelStatus !== 'ready' || s.contrastStatus === 'running') return;
  const seq = ++runSeq;
  const { specs, owners, monitor } = steeringSpecs();
  const chat = s.info.hasChatTemplate;
  // Unset (null): on when there is an instruction; only a column switched on by hand explains why it is missing.
  const inst = s.showPrompted !== false ? promptedInstruction() : null;
  const withPrompt = inst && 'instruction' in inst ? inst : null;
  const plan = baseline.plan({
    modelKey: `${s.modelId ?? s.info.id}|${s.info.dtype}|${s.info.device}`,
    prompt: messages(s.systemPrompt, s.prompt, chat),
    promptedPrompt: withPrompt ? messages(withPrompt.instruction, s.prompt, chat) : undefined,
    steering: specs, sampling: { temperature: s.temperature, seed: s.seed }, maxNewTokens: s.maxTokens, monitor,
  });
  // Column c (0 baseline, 1 steered, 2 prompted) of request row r.
  const column = (r: number) => (r === plan.steeredRow ? 1 : r === plan.promptedRow ? 2 : 0);
  // The columns keep what they show until new tokens replace it: a kept row never clears, the steered text is
  // replaced by its first new token.
  const samePrompted = withPrompt && s.prompted?.instruction === withPrompt.instruction ? s.prompted : null;
  const keptRow = (b: { text: string; projections: number[]; pieces?: string[] }) => ({ text: b.text, proj: b.projections, pieces: b.pieces ?? [b.text] });
  const cols = [
    plan.baseline ? keptRow(plan.baseline) : { text: s.texts[0], proj: s.projections[0], pieces: s.pieces[0] },
    { text: s.texts[1], proj: s.projections[1], pieces: s.pieces[1] },
    plan.prompted ? keptRow(plan.prompted) : { text: samePrompted?.text ?? '', proj: samePrompted?.projections ?? [], pieces: samePrompted?.pieces ?? [] },
  ];
  const fresh = [false, false, false];
  // Per request row, the pieces as they streamed (kept with the row).
  const rowPieces: string[][] = plan.request.rows.map(() => []);
  let count = 0;
  let finished = false;
  let started = 0;
  const promptedState = (): PromptedColumn | null => (withPrompt ? { ...withPrompt, text: cols[2].text, projections: [...cols[2].proj], pieces: [...cols[2].pieces] } : null);
  // A frame still pending when the result arrives must not paint the streamed text over the final one.
  const flush = frameBatcher(() => {
    if (seq !== runSeq || finished) return;
    const secs = (performance.now() - started) / 1000;
    setLab({
      texts: [cols[0].text, cols[1].text], projections: [[...cols[0].proj], [...cols[1].proj]], pieces: [[...cols[0].pieces], [...cols[1].pieces]],
      prompted: promptedState(), tokensPerSec: secs > 0 ? count / secs : 0,
    });
  });
  setLab({ runStatus: 'running', runStartedAt: Date.now(), tokensPerSec: 0, hasMonitor: !!monitor, prompted: promptedState(), promptedNote: s.showPrompted && inst && 'note' in inst ? inst.note : null });
  try {
    const result = await scheduler.steer(plan.request, {
      onToken: (e) => {
        if (e.row >= plan.request.rows.length) return;
        const c = cols[column(e.row)];
        if (!count) started = performance.now();
        if (!fresh[column(e.row)]) { fresh[column(e.row)] = true; c.proj = []; }
        c.text = e.text;
        c.pieces = rowPieces[e.row] = appendPiece(rowPieces[e.row], e.text);
        if (e.projection !== undefined) c.proj[e.step] = e.projection;
        count++;
        flush();
      },
    });
    if (seq !== runSeq) return;
    finished = true;
    baseline.keep(plan, result, rowPieces);
    const final = (r: number, c: number) => {
      if (r < 0) return cols[c];
      const text = result.text[r] ?? '';
      // Streamed pieces that do not join to the final text (a row that never streamed) fall back to one piece.
      return { text, proj: result.projections?.[r] ?? cols[c].proj, pieces: rowPieces[r].join('') === text ? rowPieces[r] : [text] };
    };
    cols[0] = final(plan.baseline ? -1 : 0, 0);
    cols[1] = final(plan.steeredRow, 1);
    cols[2] = final(plan.promptedRow, 2);
    const finalTexts: [string, string] = [cols[0].text, cols[1].text];
    const finalProj: [number[], number[]] = [cols[0].proj, cols[1].proj];
    const secs = (performance.now() - started) / 1000;
    const generated = result.tokens.reduce((n, t) => n + t.length, 0);
    const conditions = conditionViews(result.conditions?.[plan.steeredRow], owners);
    setLab({ runStatus: 'done', texts: finalTexts, projections: finalProj, pieces: [cols[0].pieces, cols[1].pieces], prompted: promptedState(), tokensPerSec: secs > 0 ? generated / secs : 0, conditions });
    void saveRun(finalTexts, finalProj, conditions);
  } catch (e) {
    if (seq !== runSeq) return; // superseded: the newer run owns the output
    const { code } = report('Generate')(e);
    setLab({ runStatus: code === 'cancelled' ? 'cancelled' : 'error' });
  }
}

/** Switches the prompted column on or off; on, it is generated with the next run (the kept rows are reused). */
export function setShowPrompted(on: boolean): void {
  setLab(on ? { showPrompted: true } : { showPrompted: false, prompted: null, promptedNote: null });
  rerunIfActive();
}

export function stopGenerate(): void {
  scheduler.stopSteer();
}

/** For controls that should re-run at once (slider, layer, mode): only once the user has run something. */
export function rerunIfActive(): void {
  const s = getLab();
  if (s.runStatus !== 'idle') void runGenerate();
}

/* ---------- quick contrast ---------- */

export async function buildContrast(): Promise<void> {
  const s = getLab();
  const info = s.info;
  if (!info) return pushError('Contrast', { code: 'not-loaded', message: 'Load a model first.' });
  const pos = splitPrompts(s.contrastPos), neg = splitPrompts(s.contrastNeg);
  if (pos.length < 2 || neg.length < 2) return pushError('Contrast', { code: 'bad-input', message: 'Give at least two prompts on each side (one per line).' });
  if (contrastJob) return pushError('Contrast', { code: 'bad-input', message: 'A contrast vector is already being built; cancel it or wait for it.' });
  const taps = Array.from({ length: info.numLayers }, (_, l) => `blocks.${l}.hook_resid_post` as TapName);
  const missing = taps.filter((t) => !info.taps.includes(t));
  if (missing.length) return pushError('Contrast', { code: 'unsupported-model', message: `This model does not expose ${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more taps` : ''}.` });
  setLab({ contrastStatus: 'running', contrastDone: 0, contrastTotal: pos.length + neg.length });
  // A job like the experiment views' ones: queued behind them, and only its own Cancel ends it.
  const job = (contrastJob = scheduler.job('Quick contrast', (engine, signal) => contrastWork(engine, signal, s, info, pos, neg, taps)));
  try {
    await job.result;
  } catch (e) {
    const { code } = report('Contrast')(e);
    setLab({ contrastStatus: code === 'cancelled' ? 'idle' : 'error' });
  } finally {
    contrastJob = null;
  }
}

async function contrastWork(engine: Engine, signal: AbortSignal, s: LabState, info: ModelInfo, pos: string[], neg: string[], taps: TapName[]): Promise<void> {
  const collect = async (prompts: string[]) => {
    const byLayer: Float32Array[][] = taps.map(() => []);
    // Batches bound memory: captures are [B, S, D] for every layer.
    for (let i = 0; i < prompts.length; i += CONTRAST_BATCH) {
      const batch = prompts.slice(i, i + CONTRAST_BATCH).map((p) => messages('', p, info.hasChatTemplate));
      // Average over the prompt's own text: template tokens and the first position (an attention sink
      // with an outsized norm) would otherwise dominate the mean.
      const spans = await Promise.all(batch.map(async (p) => (typeof p === 'string' ? undefined : (await engine.tokenize(p)).spans?.find((x) => x.role === 'user'))));
      const res = await engine.generate({ rows: batch.map((prompt) => ({ prompt })), maxNewTokens: 1, captures: taps, stopAtEos: false }, { signal });
      const rows = batch.map((_, r): RowSpans => {
        const len = res.promptLengths[r], span = spans[r];
        const [start, end] = span && span.end > span.start ? [span.start, span.end] : [Math.min(1, len - 1), len];
        return { offset: res.padLeft?.[r] ?? 0, prompt: [start, end], response: [end, end] };
      });
      taps.forEach((t, l) => {
        const pooled = poolCapture(res.captures[t], rows, 'prompt-mean');
        rows.forEach((_, r) => byLayer[l].push(pooled.slice(r * info.hiddenSize, (r + 1) * info.hiddenSize)));
      });
      setLab((st) => ({ contrastDone: st.contrastDone + batch.length }));
    }
    return byLayer;
  };
  const P = await collect(pos);
  const N = await collect(neg);
  const name = s.traitName.trim() || 'trait';
  const r = contrast(P, N, { modelId: s.modelId ?? info.id, architecture: info.modelType ?? info.architecture, trait: name });
  const rec: db.VectorRecord = { id: newId(), name, set: r.set, separation: r.separation, source: 'contrast', createdAt: Date.now() };
  await saveVector(rec);
  const slot = newSlot(rec.id, r.bestLayer);
  // The new vector takes the first slot: that is what the slider and the share link use.
  setLab((st) => ({ contrastStatus: 'done', contrastVectorId: rec.id, slots: [slot, ...st.slots.filter((x) => x.vectorId !== rec.id)].slice(0, 4) }));
}

export const cancelContrast = () => { contrastJob?.cancel(); setLab({ contrastStatus: 'idle' }); };

/* ---------- vectors & runs ---------- */

async function refreshLibrary(): Promise<void> {
  try {
    const [vectors, runs] = await Promise.all([db.listVectors(), db.listRuns()]);
    // Merge: a share link opened at startup may have added a vector before this read finished.
    const merge = <T extends { id: string; createdAt: number }>(mem: T[], stored: T[]) =>
      [...mem, ...stored.filter((x) => !mem.some((m) => m.id === x.id))].sort((a, b) => b.createdAt - a.createdAt);
    setLab((s) => ({ vectors: merge(s.vectors, vectors), runs: merge(s.runs, runs).slice(0, db.MAX_RUNS) }));
  } catch (e) { report('Storage')(e); }
}

export async function saveVector(rec: db.VectorRecord): Promise<void> {
  setLab((s) => ({ vectors: [rec, ...s.vectors.filter((v) => v.id !== rec.id)] }));
  await db.putVector(rec).catch(report('Storage'));
}

export async function removeVector(id: string): Promise<void> {
  setLab((s) => ({ vectors: s.vectors.filter((v) => v.id !== id), slots: s.slots.filter((x) => x.vectorId !== id) }));
  await db.deleteVector(id).catch(report('Storage'));
}

export function addSlot(vectorId: string): void {
  const rec = getLab().vectors.find((v) => v.id === vectorId);
  if (!rec) return;
  const layer = preferredLayer(rec.separation, presentLayers(rec.set.meta));
  setLab((s) => ({ slots: [...s.slots, newSlot(vectorId, layer)].slice(0, 4) }));
}

const newSlot = (vectorId: string, layer: number): SteerSlot => ({ key: newId(), vectorId, layer, coeff: 4, mode: 'all', ablate: false, ablateStrength: 1, enabled: true });

export const removeSlot = (key: string) => setLab((s) => ({ slots: s.slots.filter((x) => x.key !== key) }));

export function exportVector(id: string): { name: string; text: string } | null {
  const rec = getLab().vectors.find((v) => v.id === id);
  if (!rec) return null;
  try {
    return { name: `${rec.name.replace(/[^\w.-]+/g, '_')}.vectors.json`, text: exportVectorJson(rec.set) };
  } catch (e) { report('Export')(e); return null; }
}

/**
 * A llama.cpp control vector for the library entry. llama.cpp cannot hold layer 0 (it rejects direction.0), so a
 * vector there is left out and the note says so. The hint is the loaded model's model_type, never a class name or path.
 */
export function exportVectorGguf(id: string): { name: string; bytes: Uint8Array } | null {
  const rec = getLab().vectors.find((v) => v.id === id);
  if (!rec) return null;
  try {
    const info = getLab().info;
    const modelType = info && info.hiddenSize === rec.set.meta.hiddenSize ? info.modelType : undefined;
    const g = writeControlVectorGguf(rec.set, { modelType });
    setLab({
      importNote: g.skippedLayers.length
        ? `${rec.name}.gguf: layer ${g.skippedLayers.join(', ')} is not in the file — llama.cpp control vectors cannot hold layer 0 (it rejects direction.0). Export JSON to keep it.`
        : null,
    });
    return { name: `${rec.name.replace(/[^\w.-]+/g, '_')}.gguf`, bytes: g.bytes };
  } catch (e) { report('Export')(e); return null; }
}

/**
 * One import for the library: vector files (Steering Lab JSON, safetensors, llama.cpp GGUF, PyTorch .pt) and trait
 * packs (JSON, ours or the persona-vectors shape). With a model loaded, a vector that does not fit it is refused.
 * A foreign file whose layers are ambiguous becomes a question (importQuestion) instead of a guess; nothing is saved
 * until it is answered, and a refused file changes nothing.
 */
export async function importFile(file: File): Promise<void> {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const base = file.name.replace(/\.(vectors\.json|json|safetensors|gguf|pt|pth)$/i, '');
    const pack = traitPackJson(bytes);
    if (pack !== undefined) return importTraitPack(pack, base);
    await importVectorBytes({ name: base, bytes, answers: {} });
  } catch (e) { report('Import')(e); }
}

async function importVectorBytes(q: Pick<ImportQuestion, 'name' | 'bytes' | 'answers'>): Promise<void> {
  const info = getLab().info;
  let result;
  try {
    // Same shape is enough: a vector from another checkpoint of the family is the user's call.
    result = parseVectorFile(q.bytes, info ?? undefined, { allowOtherModel: true, ...q.answers });
  } catch (e) {
    if (e instanceof ImportChoiceError) return setLab({ importQuestion: { ...q, need: e.need, message: e.message }, importNote: null });
    throw e;
  }
  const { set, notes } = result;
  const layers = presentLayers(set.meta);
  assertSaneVectors(layers.flatMap((l) => [...row(set.vectors, set.meta.hiddenSize, l)]), set.meta.hiddenSize, `${q.name}`, (r) => layers[r]);
  // The same file (and answers) gives the same id: importing it again replaces the entry instead of adding a twin.
  const id = `import-${contentHash(q.bytes)}-${contentHash(JSON.stringify(q.answers))}`;
  const others = getLab().vectors.filter((v) => v.id !== id);
  const again = others.length < getLab().vectors.length;
  const name = uniqueName(set.meta.trait || q.name, others.map((v) => v.name));
  await saveVector({ id, name, set, source: 'import', createdAt: Date.now() });
  const said = [...(again ? [`already in the library; kept one copy.`] : []), ...(name !== (set.meta.trait || q.name) ? [`another vector has that name, so this one is "${name}".`] : []), ...notes];
  setLab({ importQuestion: null, importNote: said.length ? `${q.name}: ${said.join(' ')}` : null });
}

/** The user's answer to importQuestion; null cancels the import (nothing was saved). */
export async function answerImport(answer: ImportQuestion['answers'] | null): Promise<void> {
  const q = getLab().importQuestion;
  if (!q) return;
  if (!answer) return setLab({ importQuestion: null });
  try {
    await importVectorBytes({ name: q.name, bytes: q.bytes, answers: { ...q.answers, ...answer } });
  } catch (e) {
    setLab({ importQuestion: null });
    report('Import')(e);
  }
}

/** The parsed JSON when the file is a trait pack rather than a vector file; undefined otherwise. */
function traitPackJson(bytes: Uint8Array): unknown {
  if (bytes.length > 8 * 1024 * 1024) return undefined;
  let x: unknown;
  try { x = JSON.parse(new TextDecoder().decode(bytes)); } catch { return undefined; }
  if (typeof x !== 'object' || x === null || (x as { format?: unknown }).format === VECTOR_JSON_FORMAT) return undefined;
  return isPersonaShape(x) || 'instructions' in x || 'evalPrompt' in x ? x : undefined;
}

/** A trait pack fills the quick-contrast form: positive and negative instructions, one per line. */
function importTraitPack(json: unknown, fileName: string): void {
  const pack = parseTraitPack(json, { name: fileName.slice(0, 80) });
  const persona = isPersonaShape(json);
  showTraitPack(pack, persona ? 'halves' : 'own', persona ? json : null);
}

/**
 * The eval file of the persona_vectors trait whose extract file is loaded: together they become one pack with
 * upstream's split. A file that is not its pair is refused and the loaded pack stays as it was.
 */
export async function addPersonaEvalFile(file: File): Promise<void> {
  try {
    const s = getLab();
    if (!s.traitPack || s.traitPackSplit !== 'halves') throw new EngineError('bad-input', 'Import the trait_data_extract file first; its eval file is added to it.');
    const text = new TextDecoder().decode(new Uint8Array(await file.arrayBuffer()));
    const pack = parsePersonaPair(s.traitPackPersona, text, { name: s.traitPack.name });
    showTraitPack(pack, 'pair', null);
  } catch (e) { report('Import')(e); }
}

function showTraitPack(pack: TraitPack, split: 'own' | 'halves' | 'pair', persona: unknown): void {
  const line = (t: string) => t.replace(/\s+/g, ' ').trim();
  setLab({
    traitPack: pack, traitName: pack.name, traitPackSplit: split, traitPackPersona: persona,
    contrastPos: pack.instructions.map((p) => line(p.pos)).join('\n'),
    contrastNeg: pack.instructions.map((p) => line(p.neg)).join('\n'),
  });
}

async function saveRun(texts: [string, string], projections: [number[], number[]], conditions: ConditionView[] = []): Promise<void> {
  const s = getLab();
  const name = (id: string) => s.vectors.find((v) => v.id === id)?.name ?? '?';
  const prompt = s.info ? messages(s.systemPrompt, s.prompt, s.info.hasChatTemplate) : null;
  // The norms of this prompt were measured for the slot's readout already (cached); if not, one prompt-only pass.
  const norms = s.info && prompt ? await labNorms.ensure(normModelKey(s.info, s.modelId), prompt) : null;
  const steering = s.slots.filter((x) => x.enabled).map((x) => {
    const v = slotVector(x);
    const strength = norms && v ? strengthOfCoeff(x.coeff, norms.norms[x.layer], norm(v)) : NaN;
    return {
      ...runSteering(x, name, conditions.find((c) => c.slotKey === x.key)),
      ...(norms && v && Number.isFinite(strength) ? { strength, basis: strengthBasis(norms, x.layer, norm(v)) } : {}),
    };
  });
  const run: db.RunRecord = {
    id: newId(), createdAt: Date.now(), modelId: s.modelId ?? '?', prompt: s.prompt, systemPrompt: s.systemPrompt,
    seed: s.seed, temperature: s.temperature, maxTokens: s.maxTokens, steering, texts, projections,
  };
  setLab((st) => ({ runs: [run, ...st.runs].slice(0, db.MAX_RUNS) }));
  await db.putRun(run).catch(report('Storage'));
}

/** The run's prompt, settings and output come back, and its steering when every vector it used is still in the library (runSlots.ts). */
export function restoreRun(run: db.RunRecord): void {
  ++runSeq;
  scheduler.stopSteer();
  const steering = slotsFromRun(run.steering, getLab().vectors, newId);
  // A restore that worked clears what an earlier one said about missing vectors.
  if (steering.ok) setLab((s) => ({ slots: steering.slots, errors: s.errors.filter((e) => e.where !== 'Run history') }));
  else pushError('Run history', { code: 'bad-input', message: steering.message });
  setLab({ prompt: run.prompt, systemPrompt: run.systemPrompt, seed: run.seed, temperature: run.temperature, maxTokens: run.maxTokens, texts: run.texts, projections: run.projections, pieces: [[run.texts[0]], [run.texts[1]]], prompted: null, conditions: [], runStatus: 'idle', hasMonitor: run.projections.some((p) => p.length > 0) });
}

/* ---------- share links ---------- */

export function makeShareLink(): string | null {
  const s = getLab();
  const slot = s.slots.find((x) => x.enabled && slotVector(x));
  const modelId = hubIdOf(s.choice);
  try {
    if (!slot) throw new EngineError('bad-input', 'Nothing to share yet: build or import a vector and put it in a steering slot.');
    if (!modelId || s.choice.kind === 'local') throw new EngineError('bad-input', 'Links can only point at hub models; a local folder cannot be opened by someone else.');
    const vector = slotVector(slot)!;
    const dir = slot.when ? conditionDirection(slot.when, s.vectors, s.info) : null;
    if (typeof dir === 'string') throw new EngineError('bad-input', `Cannot share the slot's condition: ${dir}.`);
    const when = slot.when && dir ? { layer: slot.when.layer, direction: dir, threshold: slot.when.threshold, pooling: slot.when.pooling } : undefined;
    const hash = encodeShareLink({
      modelId, dtype: s.dtype, vector, traitName: s.vectors.find((v) => v.id === slot.vectorId)?.name ?? '', layer: slot.layer,
      mode: slot.mode, prompt: s.prompt, systemPrompt: s.systemPrompt, seed: s.seed, temperature: s.temperature, maxTokens: s.maxTokens,
      ...linkSteering(slot, vector, when),
    });
    return `${location.origin}${location.pathname}${hash}`;
  } catch (e) { report('Share')(e); return null; }
}

/**
 * Opening a link restores everything it holds, loads the model and generates. Its vector is stored only once
 * the link proved replayable: a link whose model does not load, or whose vector does not fit that model (or
 * is not a sane vector at all), leaves the library as it was.
 */
export async function openShareLink(hash: string): Promise<void> {
  if (!hash.startsWith(SHARE_PREFIX)) return;
  let st;
  try {
    st = decodeShareLink(hash);
    assertSaneVectors(st.vector, st.vector.length, 'This link\'s vector', () => st!.layer);
  } catch (e) { report('Share link')(e); return; }
  setLab({
    choice: choiceForId(st.modelId), dtype: st.dtype, traitName: st.traitName, prompt: st.prompt, systemPrompt: st.systemPrompt,
    seed: st.seed, temperature: st.temperature, maxTokens: st.maxTokens,
  });
  const s = getLab();
  const sameModel = s.modelStatus === 'ready' && s.modelId === st.modelId && s.info?.dtype === st.dtype;
  if (!sameModel && !(await loadModel())) {
    return pushError('Share link', { code: 'load-failed', message: `The link's model ${st.modelId} could not be loaded (see the Model panel), so its vector was not added to the library.` });
  }
  // A well-formed link can still disagree with the model it names (made by hand, or the model changed).
  const info = getLab().info;
  if (info && (st.vector.length !== info.hiddenSize || st.layer >= info.numLayers)) {
    const what = st.vector.length !== info.hiddenSize ? `a vector of ${st.vector.length} values, but ${st.modelId} has hidden size ${info.hiddenSize}` : `layer ${st.layer}, but ${st.modelId} has ${info.numLayers} layers (0..${info.numLayers - 1})`;
    return pushError('Share link', { code: 'bad-input', message: `This link steers with ${what}, so it cannot be replayed. Nothing was generated or stored.` });
  }
  const linked = slotFromLink(st);
  if (linked.when && info && (linked.when.layer >= info.numLayers || linked.when.direction.length !== info.hiddenSize)) {
    return pushError('Share link', { code: 'bad-input', message: `This link's condition reads layer ${linked.when.layer} of ${linked.when.direction.length} values, which ${st.modelId} (${info.numLayers} layers × ${info.hiddenSize}) does not have. Nothing was generated or stored.` });
  }
  // Same link, same id: reopening a link does not pile up copies of its vector.
  const rec = linkVector(`link-${contentHash(hash)}`, st.traitName || 'shared vector', st.modelId, st.layer, st.vector);
  await saveVector(rec);
  const { when, ...rest } = linked;
  let condition: SteerSlot['when'];
  if (when) {
    const same = when.layer === st.layer && when.direction.every((x, i) => x === st.vector[i]);
    const crec = same ? rec : linkVector(`link-${contentHash(hash)}-when`, `${st.traitName || 'shared'} condition`, st.modelId, when.layer, Float32Array.from(when.direction));
    if (!same) await saveVector(crec);
    condition = { vectorId: crec.id, layer: when.layer, threshold: when.threshold, pooling: when.pooling };
  }
  setLab({ slots: [{ ...newSlot(rec.id, st.layer), mode: st.mode, ...rest, ...(condition ? { when: condition } : {}) }] });
  await runGenerate();
}

/** A library entry holding one layer's vector from a share link. */
function linkVector(id: string, name: string, modelId: string, layer: number, vector: Float32Array): db.VectorRecord {
  const set: VectorSet = {
    vectors: new Float32Array((layer + 1) * vector.length),
    meta: {
      modelId, tap: 'hook_resid_post', pooling: 'unknown', method: 'imported', counts: { pos: 0, neg: 0 },
      layerConvention: LAYER_CONVENTION, hiddenSize: vector.length, numLayers: layer + 1, layers: [layer], normalized: false,
      trait: name, notes: 'from a share link (float16 precision)',
    },
  };
  set.vectors.set(vector, layer * vector.length);
  return { id, name, set, source: 'link', createdAt: Date.now() };
}
