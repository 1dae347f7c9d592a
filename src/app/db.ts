/** A small IndexedDB store for vectors and runs (structured clone keeps Float32Arrays as they are). */
import type { Positions } from '../engine/shared/api';
import type { Pooling } from '../engine/shared/interventions/add';
import type { VectorSet } from '../engine/clients/vectors/meta';
import { openIdb } from './idb';

export interface VectorRecord {
  id: string;
  name: string;
  /** [numLayers, hiddenSize] with metadata (model, tap, layer convention); rows not in meta.layers are zero. */
  set: VectorSet;
  /** Per-layer separation when built here by quick contrast. */
  separation?: number[];
  source: 'contrast' | 'import' | 'link';
  createdAt: number;
}

/** One slot of a run; `cap` and `when` only when the slot had them (runs saved before them have neither). */
export interface RunSteering {
  vectorName: string; layer: number; coeff: number; mode: Positions; ablate: number;
  /** The coefficient as a multiple of the layer's mean residual norm on this run's prompt, and `basis` what that norm was (absent in older runs, or when it could not be measured). */
  strength?: number; basis?: string;
  cap?: { min?: number; max?: number };
  /** The condition and, when the run got that far, its outcome on the steered row. */
  when?: { vectorName: string; layer: number; threshold: number; pooling: Pooling; fired?: boolean; projection?: number };
}

export interface RunRecord {
  id: string;
  createdAt: number;
  modelId: string;
  prompt: string;
  systemPrompt: string;
  seed: number;
  temperature: number;
  maxTokens: number;
  steering: RunSteering[];
  texts: [string, string];
  projections: [number[], number[]];
}

const DB = 'steering-lab';
type StoreName = 'vectors' | 'runs';
export const MAX_RUNS = 50;

const { tx, putBounded } = openIdb<StoreName>(DB, 1, (db) => {
  db.createObjectStore('vectors', { keyPath: 'id' });
  db.createObjectStore('runs', { keyPath: 'id' }).createIndex('createdAt', 'createdAt');
});

export const listVectors = () => tx<VectorRecord[]>('vectors', 'readonly', (s) => s.getAll() as IDBRequest<VectorRecord[]>).then((v) => v.sort((a, b) => b.createdAt - a.createdAt));
export const putVector = (v: VectorRecord) => tx('vectors', 'readwrite', (s) => s.put(v)).then(() => undefined);
export const deleteVector = (id: string) => tx('vectors', 'readwrite', (s) => s.delete(id)).then(() => undefined);

export const listRuns = () => tx<RunRecord[]>('runs', 'readonly', (s) => s.getAll() as IDBRequest<RunRecord[]>).then((r) => r.sort((a, b) => b.createdAt - a.createdAt));
export const deleteRun = (id: string) => tx('runs', 'readwrite', (s) => s.delete(id)).then(() => undefined);

/** Keeps the newest MAX_RUNS: slider sessions would otherwise fill the disk with near-duplicates. */
export const putRun = (r: RunRecord): Promise<void> => putBounded('runs', r, MAX_RUNS);
