/** One IndexedDB database opened lazily, with a promise-returning transaction helper (shared by the app's stores). */
export interface Idb<S extends string> {
  tx<T>(store: S, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T>;
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
  return {
    tx: (store, mode, fn) => db().then((d) => new Promise((resolve, reject) => {
      const t = d.transaction(store, mode);
      const req = fn(t.objectStore(store));
      t.oncomplete = () => resolve(req.result);
      t.onerror = () => reject(t.error ?? req.error);
      t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
    })),
  };
}
