/**
 * One IndexedDB database opened lazily, with a promise-returning transaction helper and the one bounded put
 * (put, then keep the newest N) shared by the app's stores.
 */
export interface Idb<S extends string> {
  tx<T>(store: S, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T>;
  /** Puts a record and, in the same transaction, deletes all but the newest `keep` of the store (keyPath 'id'). */
  putBounded(store: S, record: Dated, keep: number): Promise<void>;
}

export interface Dated { id: string; createdAt: number }

/** Ids of the records beyond the newest `keep` (by createdAt; ties keep the earlier-listed): what a bounded store drops. */
export function overflowIds(records: readonly Dated[], keep: number): string[] {
  return records.map((r, i) => [r, i] as const).sort(([a, i], [b, j]) => b.createdAt - a.createdAt || i - j).slice(Math.max(0, keep)).map(([r]) => r.id);
}

export function openIdb<S extends string>(name: string, version: number, upgrade: (db: IDBDatabase) => void): Idb<S> {
  let opening: Promise<IDBDatabase> | null = null;
  const db = (): Promise<IDBDatabase> => {
    opening ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(name, version);
      req.onupgradeneeded = () => upgrade(req.result);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => { opening = null; reject(req.error ?? new Error('IndexedDB is unavailable')); };
    });
    return opening;
  };
  const run = <T>(store: S, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> => db().then((d) => new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const req = fn(t.objectStore(store));
    t.oncomplete = () => resolve(req.result);
    t.onerror = () => reject(t.error ?? req.error);
    t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
  }));
  return {
    tx: run,
    putBounded: (store, record, keep) => run(store, 'readwrite', (s) => {
      s.put(record);
      const all = s.getAll() as IDBRequest<Dated[]>;
      all.onsuccess = () => { for (const id of overflowIds(all.result, keep)) s.delete(id); };
      return all;
    }).then(() => undefined),
  };
}
