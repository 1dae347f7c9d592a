/**
 * IndexedDB persistence of the experiment views, in its own database (the library's 'steering-lab' database
 * keeps its version): the pipeline's StepStore (content-addressed step results, so a cancelled or reloaded run
 * resumes), the experiment history, and the user's saved trait packs.
 * Values go through structured clone, which keeps typed arrays as they are and copies on every read and write,
 * so a caller mutating a returned value cannot corrupt the cache.
 */
import type { StepStore } from '../../engine/clients/eval/cache';
import type { TraitPack } from '../../engine/clients/eval/traitPack';
import { openIdb } from '../idb';

const DB = 'steering-lab-experiments';
type StoreName = 'steps' | 'experiments' | 'packs';

const { tx, putBounded } = openIdb<StoreName>(DB, 1, (db) => {
  db.createObjectStore('steps');
  db.createObjectStore('experiments', { keyPath: 'id' });
  db.createObjectStore('packs', { keyPath: 'name' });
});

/** The StepStore of src/engine/clients/eval/cache.ts on IndexedDB (one object store, keys as given). */
export function createIdbStepStore(): StepStore & { clear(): Promise<void>; count(): Promise<number> } {
  return {
    get: (key) => tx<unknown>('steps', 'readonly', (s) => s.get(key)),
    set: (key, value) => tx('steps', 'readwrite', (s) => s.put(value, key)).then(() => undefined),
    has: (key) => tx<number>('steps', 'readonly', (s) => s.count(key)).then((n) => n > 0),
    clear: () => tx('steps', 'readwrite', (s) => s.clear()).then(() => undefined),
    count: () => tx<number>('steps', 'readonly', (s) => s.count()),
  };
}

/* ---------- experiment history ---------- */

export type ExperimentKind = 'pipeline' | 'sweep' | 'monitor' | 'detection' | 'seed002';

export interface ExperimentRecord<R = unknown> {
  id: string;
  kind: ExperimentKind;
  title: string;
  /** One line for the history list. */
  summary: string;
  modelId: string;
  createdAt: number;
  status: 'done' | 'cancelled' | 'error';
  /** The view's result object (plain data and typed arrays). */
  result: R;
}

export const MAX_EXPERIMENTS = 40;

export const listExperiments = () =>
  tx<ExperimentRecord[]>('experiments', 'readonly', (s) => s.getAll() as IDBRequest<ExperimentRecord[]>).then((r) => r.sort((a, b) => b.createdAt - a.createdAt));
export const deleteExperiment = (id: string) => tx('experiments', 'readwrite', (s) => s.delete(id)).then(() => undefined);

/** Keeps the newest MAX_EXPERIMENTS. */
export const putExperiment = (r: ExperimentRecord): Promise<void> => putBounded('experiments', r, MAX_EXPERIMENTS);

/* ---------- saved trait packs ---------- */

export interface SavedPack { name: string; pack: TraitPack; savedAt: number }

export const listPacks = () =>
  tx<SavedPack[]>('packs', 'readonly', (s) => s.getAll() as IDBRequest<SavedPack[]>).then((r) => r.sort((a, b) => a.name.localeCompare(b.name)));
export const putPack = (p: SavedPack) => tx('packs', 'readwrite', (s) => s.put(p)).then(() => undefined);
export const deletePack = (name: string) => tx('packs', 'readwrite', (s) => s.delete(name)).then(() => undefined);
