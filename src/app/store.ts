/** The lab's state. Async workflows live in actions.ts; components read it with useLab (whole, or a slice by selector). */
import { create } from 'zustand';
import type { DevicePreference, ModelDtype, ModelInfo, Positions, ProgressEvent } from '../engine/shared/api';
import type { ErrorCode } from '../engine/shared/errors';
import type { SchedulerState } from '../engine/clients/scheduler';
import type { TraitPack } from '../engine/clients/eval/traitPack';
import type { RunRecord, VectorRecord } from './db';
import type { LocalFolder } from './localFolder';
import type { ModelChoice } from './presets';
import type { ConditionView, SlotCondition } from './slotKinds';

export interface StageProgress extends ProgressEvent { startedAt: number; anchorAt: number; anchorLoaded: number; bytesPerSec: number }

export interface SteerSlot {
  key: string;
  vectorId: string;
  layer: number;
  coeff: number;
  mode: Positions;
  /** Directional ablation instead of / on top of addition. */
  ablate: boolean;
  ablateStrength: number;
  /** Cap h·u (u = unit(v)) into [capMin, capMax] after the add (interventions/cap.ts); either absent = unbounded, both = no cap. */
  capMin?: number;
  capMax?: number;
  /** Apply the add only to prompts that pass this condition (CAST-style; slotKinds.ts). */
  when?: SlotCondition;
  enabled: boolean;
}

/** The Steer view's third column: the question with the active vector's trait instruction as system prompt, unsteered. */
export interface PromptedColumn {
  pack: string;
  instruction: string;
  text: string;
  projections: number[];
  pieces: string[];
}

export type RunStatus = 'idle' | 'running' | 'done' | 'error' | 'cancelled';

export interface LabError { id: number; code: ErrorCode; message: string; detail?: string; where: string }

export interface LabState {
  choice: ModelChoice;
  dtype: ModelDtype;
  device: DevicePreference;
  local: LocalFolder | null;
  modelStatus: 'idle' | 'loading' | 'ready' | 'error';
  /** Name of what is loaded or loading (hub id or folder name). */
  modelId: string | null;
  info: ModelInfo | null;
  progress: Record<string, StageProgress>;

  vectors: VectorRecord[];
  slots: SteerSlot[];
  traitName: string;
  /** The last imported trait pack (it filled the quick-contrast form). */
  traitPack: TraitPack | null;
  /** How the pack's questions were split: its own fields, halves of one persona_vectors file, or an extract + eval pair. */
  traitPackSplit: 'own' | 'halves' | 'pair' | null;
  /** The single persona_vectors file behind a 'halves' pack, kept so its eval file can be added. */
  traitPackPersona: unknown;

  prompt: string;
  systemPrompt: string;
  seed: number;
  temperature: number;
  maxTokens: number;

  runStatus: RunStatus;
  texts: [string, string];
  projections: [number[], number[]];
  runStartedAt: number;
  tokensPerSec: number;
  hasMonitor: boolean;
  /** Baseline and steered text token by token (tokenPieces.ts), for the per-token heatmap. */
  pieces: [string[], string[]];
  /** Whether the Steer view generates the prompted column (kept in the session); null: on whenever the vector in play has a pack instruction. */
  showPrompted: boolean | null;
  prompted: PromptedColumn | null;
  /** The steered row's conditions from the last run: fired or not, and the pooled projection against the threshold. */
  conditions: ConditionView[];
  /** Why there is no prompted column (no vector in play, no pack for it), when it is switched on. */
  promptedNote: string | null;

  contrastPos: string;
  contrastNeg: string;
  contrastStatus: 'idle' | 'running' | 'done' | 'error';
  contrastDone: number;
  contrastTotal: number;
  /** Vector id of the last quick-contrast result (its separation drives the chart). */
  contrastVectorId: string | null;

  runs: RunRecord[];
  errors: LabError[];
  shareNote: string | null;
  /** A vector file the importer could read once the user answers (its layer, or what its indices mean). Nothing is saved until then. */
  importQuestion: ImportQuestion | null;
  /** What the last import decided (rows to layers, dropped rows), for the user to read. */
  importNote: string | null;
  /** The scheduler's queue, mirrored for the UI: what runs and what waits. */
  schedule: SchedulerState;
}

export interface ImportQuestion {
  name: string;
  bytes: Uint8Array;
  need: 'layer' | 'convention';
  message: string;
  /** Answers given so far (a file can need both). */
  answers: { layer?: number; convention?: 'layers' | 'hidden-states' };
}

export const initialState: LabState = {
  // The trained demo model: served by the app, offline, loads in seconds, and its styles steer visibly.
  choice: { kind: 'demo' },
  dtype: 'q4',
  device: 'auto',
  local: null,
  modelStatus: 'idle',
  modelId: null,
  info: null,
  progress: {},
  vectors: [],
  slots: [],
  traitName: 'scripture',
  traitPack: null,
  traitPackSplit: null,
  traitPackPersona: null,
  prompt: 'What can you tell me about the sea?',
  systemPrompt: 'You are a helpful assistant.',
  seed: 1,
  temperature: 0,
  maxTokens: 48,
  runStatus: 'idle',
  texts: ['', ''],
  projections: [[], []],
  runStartedAt: 0,
  tokensPerSec: 0,
  hasMonitor: false,
  pieces: [[], []],
  // On by default where there is an instruction to compare with (a teaching lab shows prompting beside steering);
  // the toggle sets it for good. A slider move costs one row either way: baseline and prompted rows are kept.
  showPrompted: null,
  prompted: null,
  conditions: [],
  promptedNote: null,
  // Defaults for the demo model: archaic scripture-style lines against plain ones (our own sentences).
  contrastPos: [
    'Behold, thou shalt walk in the ways of thy fathers, and it shall be well with thee.',
    'And he spake unto them, saying, Lo, the day cometh when ye shall rejoice.',
    'Blessed is the man that keepeth his word, for the LORD hath seen it.',
    'Hearken unto me, O ye people, and incline thine ear unto my sayings.',
  ].join('\n'),
  contrastNeg: [
    'Most people think about this at some point, and that is normal.',
    'Here is a short and practical summary of the topic.',
    'It depends on who you ask and what they need.',
    'A good book or a patient expert can help you learn more.',
  ].join('\n'),
  contrastStatus: 'idle',
  contrastDone: 0,
  contrastTotal: 0,
  contrastVectorId: null,
  runs: [],
  errors: [],
  shareNote: null,
  importQuestion: null,
  importNote: null,
  schedule: { running: null, waiting: [], sessions: [] },
};

export const useLab = create<LabState>()(() => initialState);
export const setLab = useLab.setState;
export const getLab = useLab.getState;

let errorSeq = 0;
export function pushError(where: string, e: { code: ErrorCode; message: string; detail?: string }): void {
  const err = { id: ++errorSeq, code: e.code, message: e.message, detail: e.detail, where };
  setLab((s) => ({ errors: [...s.errors.slice(-4), err] }));
}
export const dismissError = (id: number) => setLab((s) => ({ errors: s.errors.filter((e) => e.id !== id) }));

export const updateSlot = (key: string, patch: Partial<SteerSlot>) =>
  setLab((s) => ({ slots: s.slots.map((x) => (x.key === key ? { ...x, ...patch } : x)) }));
