/**
 * The session across reloads: which model was loaded (and is loaded again, from the browser's cache), the
 * steering slots, the prompts and sampling settings, the quick-contrast form, the open view and the views'
 * settings (the Seed 002 view's too), and model B's source (loaded again after A when it was loaded). Vectors and runs live in IndexedDB already; this is the rest, in localStorage. What is read back
 * is checked field by field: a stale or edited entry restores what is valid and drops the rest.
 */
import type { DevicePreference, ModelDtype } from '../engine/shared/api';
import { DTYPES, type ModelChoice } from './presets';
import { POOLINGS, type Pooling } from '../engine/shared/interventions/add';
import { checkCapTexts } from './slotKinds';
import { setLab, useLab, type LabState, type SteerSlot } from './store';
import { initialViews, setViews, useViews, type Tab, type ViewsState } from './views/viewStore';
import { setSeed002, useSeed002, type Seed002State } from './views/seed002Job';
import { MODEL_B_CHOICES, setModelB, useModelB, type ModelBChoice, type ModelBState } from './modelB';
import { isValidHubId } from './presets';

export const SESSION_KEY = 'steering-lab:session:v1';

/** The persisted part of the lab. */
export interface Session {
  lab: Partial<Pick<LabState, 'choice' | 'dtype' | 'device' | 'prompt' | 'systemPrompt' | 'seed' | 'temperature' | 'maxTokens' | 'slots' | 'traitName' | 'contrastPos' | 'contrastNeg' | 'contrastVectorId' | 'showPrompted'>>;
  /** Whether a model was loaded: a reload loads it again (not for a local folder, which needs the user to pick it). */
  loaded: boolean;
  views: Partial<Pick<ViewsState, 'tab' | 'packKey'>> & { forms?: Record<string, Record<string, unknown>> };
  /** The Seed 002 view's settings (its own store). A picked adapter's files are not kept: it comes back as the demo organism. */
  seed002?: Partial<Pick<Seed002State, SeedField | 'adapter'>>;
  /** Model B's source and weights, and whether it was loaded: a reload loads it again once model A is back (it is checked against A). */
  modelB?: Partial<Pick<ModelBState, 'choice' | 'hubId' | 'dtype'>> & { loaded: boolean };
}

const SEED_TEXT = ['questions', 'prompts', 'seeds'] as const;
type SeedField = (typeof SEED_TEXT)[number] | 'maxNewTokens';

/** View sections whose settings are kept; their results, steps and run status are not. */
const SECTIONS = ['pipeline', 'sweep', 'monitor', 'geometry', 'detection'] as const;
const TRANSIENT = new Set(['steps', 'result', 'status', 'ablation', 'ablationSteps']);
const TABS: Tab[] = ['steer', 'pipeline', 'sweep', 'monitor', 'geometry', 'detection', 'seed002'];

export function captureSession(lab: LabState, views: ViewsState, seed002?: Seed002State, modelB?: ModelBState): Session {
  const forms: Record<string, Record<string, unknown>> = {};
  for (const k of SECTIONS) forms[k] = Object.fromEntries(Object.entries(views[k] as object).filter(([f]) => !TRANSIENT.has(f)));
  return {
    lab: {
      choice: lab.choice, dtype: lab.dtype, device: lab.device, prompt: lab.prompt, systemPrompt: lab.systemPrompt, seed: lab.seed,
      temperature: lab.temperature, maxTokens: lab.maxTokens, slots: lab.slots, traitName: lab.traitName,
      contrastPos: lab.contrastPos, contrastNeg: lab.contrastNeg, contrastVectorId: lab.contrastVectorId, showPrompted: lab.showPrompted,
    },
    loaded: lab.modelStatus === 'ready' && lab.choice.kind !== 'local',
    views: { tab: views.tab, packKey: views.packKey, forms },
    ...(seed002 ? { seed002: { adapter: 'demo' as const, questions: seed002.questions, prompts: seed002.prompts, seeds: seed002.seeds, maxNewTokens: seed002.maxNewTokens } } : {}),
    ...(modelB ? { modelB: { choice: modelB.choice, hubId: modelB.hubId, dtype: modelB.dtype, loaded: modelB.status === 'ready' } } : {}),
  };
}

const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Same JSON type as `base`; for plain objects, every key of `base` present with the same shape. */
function sameShape(val: unknown, base: unknown): boolean {
  if (Array.isArray(base)) return Array.isArray(val);
  if (isObj(base)) return isObj(val) && Object.keys(base).every((k) => k in val && sameShape(val[k], base[k]));
  if (base === null) return val === null || typeof val === 'string';
  return typeof val === typeof base && (typeof val !== 'number' || Number.isFinite(val));
}

function checkChoice(x: unknown): ModelChoice | undefined {
  if (!isObj(x) || !isStr(x.kind)) return undefined;
  if (x.kind === 'preset' && isStr(x.key)) return { kind: 'preset', key: x.key };
  if (x.kind === 'hub' && isStr(x.id)) return { kind: 'hub', id: x.id };
  if (['tiny', 'demo', 'demo-decomposed', 'local'].includes(x.kind)) return { kind: x.kind } as ModelChoice;
  return undefined;
}

/** One saved slot back as a SteerSlot, or undefined when its core fields are not valid; also used by run history (runSlots.ts). */
export function checkSlot(x: unknown): SteerSlot | undefined {
  if (!isObj(x)) return undefined;
  const { key, vectorId, layer, coeff, mode, ablate, ablateStrength, enabled } = x;
  if (!isStr(key) || !isStr(vectorId) || !Number.isInteger(layer) || (layer as number) < 0 || !isNum(coeff) || !['all', 'prompt', 'response'].includes(mode as string)
    || typeof ablate !== 'boolean' || !isNum(ablateStrength) || typeof enabled !== 'boolean') return undefined;
  const slot: SteerSlot = { key, vectorId, layer: layer as number, coeff, mode: mode as SteerSlot['mode'], ablate, ablateStrength, enabled };
  // The cap and the condition are kept only as the kinds' own checks accept them; a bad one is dropped, the slot kept.
  const band = checkCapTexts(isNum(x.capMin) ? String(x.capMin) : '', isNum(x.capMax) ? String(x.capMax) : '');
  if (band.ok) Object.assign(slot, band.value);
  const w = x.when;
  if (isObj(w) && isStr(w.vectorId) && Number.isInteger(w.layer) && (w.layer as number) >= 0 && isNum(w.threshold) && POOLINGS.includes(w.pooling as Pooling)) {
    slot.when = { vectorId: w.vectorId, layer: w.layer as number, threshold: w.threshold, pooling: w.pooling as Pooling };
  }
  return slot;
}

/**
 * Parses what `captureSession` wrote. Each field is kept only if it has the right type; `defaults` gives the
 * type of each view form field (a field of another type, or one the form no longer has, is dropped).
 */
export function parseSession(text: string | null, defaults: ViewsState): Session | null {
  if (!text) return null;
  let x: unknown;
  try { x = JSON.parse(text); } catch { return null; }
  if (!isObj(x) || !isObj(x.lab) || !isObj(x.views)) return null;
  const l = x.lab, v = x.views;
  const lab: Session['lab'] = {};
  const choice = checkChoice(l.choice);
  if (choice) lab.choice = choice;
  if (isStr(l.dtype) && (DTYPES as string[]).includes(l.dtype)) lab.dtype = l.dtype as ModelDtype;
  if (['auto', 'webgpu', 'wasm'].includes(l.device as string)) lab.device = l.device as DevicePreference;
  for (const k of ['prompt', 'systemPrompt', 'traitName', 'contrastPos', 'contrastNeg'] as const) if (isStr(l[k])) lab[k] = l[k] as string;
  for (const k of ['seed', 'temperature', 'maxTokens'] as const) if (isNum(l[k])) lab[k] = l[k] as number;
  if (isStr(l.contrastVectorId) || l.contrastVectorId === null) lab.contrastVectorId = l.contrastVectorId as string | null;
  if (typeof l.showPrompted === 'boolean') lab.showPrompted = l.showPrompted;
  if (Array.isArray(l.slots)) lab.slots = l.slots.map(checkSlot).filter((s): s is SteerSlot => !!s).slice(0, 4);
  const views: Session['views'] = {};
  if (TABS.includes(v.tab as Tab)) views.tab = v.tab as Tab;
  if (isStr(v.packKey)) views.packKey = v.packKey;
  if (isObj(v.forms)) {
    views.forms = {};
    for (const k of SECTIONS) {
      const saved = v.forms[k], base = defaults[k] as unknown as Record<string, unknown>;
      if (!isObj(saved)) continue;
      views.forms[k] = Object.fromEntries(Object.entries(saved).filter(([f, val]) => !TRANSIENT.has(f) && f in base && sameShape(val, base[f])));
    }
  }
  let seed002: Session['seed002'];
  if (isObj(x.seed002)) {
    const q = x.seed002;
    seed002 = {};
    for (const k of SEED_TEXT) if (isStr(q[k])) seed002[k] = q[k] as string;
    // The view's own bounds for max tokens (1–256); a user adapter cannot come back without its files.
    if (isNum(q.maxNewTokens) && Number.isInteger(q.maxNewTokens) && q.maxNewTokens >= 1 && q.maxNewTokens <= 256) seed002.maxNewTokens = q.maxNewTokens;
    if (q.adapter === 'demo') seed002.adapter = 'demo';
  }
  let modelB: Session['modelB'];
  if (isObj(x.modelB)) {
    const b = x.modelB;
    modelB = { loaded: false };
    if (MODEL_B_CHOICES.includes(b.choice as ModelBChoice)) modelB.choice = b.choice as ModelBChoice;
    if (isStr(b.hubId)) modelB.hubId = b.hubId;
    if (isStr(b.dtype) && (DTYPES as string[]).includes(b.dtype)) modelB.dtype = b.dtype as ModelDtype;
    // Loaded again only from a source that can be: a known choice, a well-formed hub id for 'hub', and its weights.
    modelB.loaded = b.loaded === true && !!modelB.choice && !!modelB.dtype && (modelB.choice !== 'hub' || isValidHubId(modelB.hubId ?? ''));
  }
  return { lab, loaded: x.loaded === true && !!lab.choice && lab.choice.kind !== 'local', views, ...(seed002 ? { seed002 } : {}), ...(modelB ? { modelB } : {}) };
}

/* ---------- the browser side: read at startup, write on every change ---------- */

/** Which models a restored session loads again: model A, and model B after it. */
export interface Reload { modelA: boolean; modelB: boolean }

/** Puts a saved session back into the stores; says which models should be loaded again. */
export function restoreSession(): Reload {
  const none = { modelA: false, modelB: false };
  let text: string | null;
  try { text = localStorage.getItem(SESSION_KEY); } catch { return none; }
  const saved = parseSession(text, initialViews);
  if (!saved) return none;
  setLab(saved.lab);
  const { forms, ...rest } = saved.views;
  setViews((s) => ({ ...rest, ...Object.fromEntries(Object.entries(forms ?? {}).map(([k, f]) => [k, { ...(s[k as keyof ViewsState] as object), ...f }])) }));
  if (saved.seed002) setSeed002(saved.seed002);
  if (saved.modelB) { const { loaded: _loaded, ...b } = saved.modelB; setModelB(b); }
  // Model B is checked against model A, so it comes back only with A.
  return { modelA: saved.loaded, modelB: saved.loaded && !!saved.modelB?.loaded };
}

/** Writes the session after each change, at most every 300 ms (typing in a prompt is many changes). */
export function keepSession(): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const write = () => {
    timer = null;
    try { localStorage.setItem(SESSION_KEY, JSON.stringify(captureSession(useLab.getState(), useViews.getState(), useSeed002.getState(), useModelB.getState()))); } catch { /* storage full or denied: the session is simply not kept */ }
  };
  const schedule = () => { timer ??= setTimeout(write, 300); };
  useLab.subscribe(schedule);
  useViews.subscribe(schedule);
  useSeed002.subscribe(schedule);
  useModelB.subscribe(schedule);
  addEventListener('pagehide', () => { if (timer) { clearTimeout(timer); write(); } });
}
