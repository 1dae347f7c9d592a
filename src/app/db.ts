/** A small IndexedDB store for vectors and runs (structured clone keeps Float32Arrays as they are). */
import type { Positions } from '../engine/api';
import type { VectorSet } from '../engine/vectors/meta';

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

export interface RunRecord {
  id: string;
  createdAt: number;
  modelId: string;
  prompt: string;
  systemPrompt: string;
  seed: number;
  temperature: number;
  maxTokens: number;
  steering: { vectorName: string; layer: number; coeff: number; mode: Positions; ablate: number }[];
  texts: [string, string];
  projections: [number[], number[]];
}

const DB = 'steering-lab';
type StoreName = 'vectors' | 'runs';
export const MAX_RUNS = 50;

let opening: Promise<IDBDatabase> | null = null;
function db(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('vectors', { keyPath: 'id' });
      req.result.createObjectStore('runs', { keyPath: 'id' }).createIndex('createdAt', 'createdAt');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => { opening = null; reject(req.error ?? new Error('IndexedDB is unavailable')); };
  });
  return opening;
}

function tx<T>(store: StoreName, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return db().then((d) => new Promise<T>((resolve, reject) => {
    const t = d.transaction(store, mode);
    const req = fn(t.objectStore(store));
    t.oncomplete = () => resolve(req.result);
    t.onerror = () => reject(t.error ?? req.error);
  }));
}

export const listVectors = () => tx<VectorRecord[]>('vectors', 'readonly', (s) => s.getAll() as IDBRequest<VectorRecord[]>).then((v) => v.sort((a, b) => b.createdAt - a.createdAt));
export const putVector = (v: VectorRecord) => tx('vectors', 'readwrite', (s) => s.put(v)).then(() => undefined);
export const deleteVector = (id: string) => tx('vectors', 'readwrite', (s) => s.delete(id)).then(() => undefined);

export const listRuns = () => tx<RunRecord[]>('runs', 'readonly', (s) => s.getAll() as IDBRequest<RunRecord[]>).then((r) => r.sort((a, b) => b.createdAt - a.createdAt));
export const deleteRun = (id: string) => tx('runs', 'readwrite', (s) => s.delete(id)).then(() => undefined);

/** Keeps the newest MAX_RUNS: slider sessions would otherwise fill the disk with near-duplicates. */
export async function putRun(r: RunRecord): Promise<void> {
  await tx('runs', 'readwrite', (s) => s.put(r));
  const all = await listRuns();
  await Promise.all(all.slice(MAX_RUNS).map((x) => deleteRun(x.id)));
}
