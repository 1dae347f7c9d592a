/**
 * A content-addressed cache for expensive pipeline steps (generations, captures, judge calls).
 * key = step name + SHA-256 of the canonical JSON of the step's inputs, so a re-run with the same model,
 * prompts, seed and settings is free, and any change to an input is a different key.
 * Stores are pluggable: memory (tests, one session), files (Node: CLI, tests); the UI adds IndexedDB.
 */
import { EngineError } from '../../shared/errors';
import { base64ToBytes, bytesToBase64 } from '../io/base64';

export interface StepStore {
  get(key: string): Promise<unknown | undefined>;
  set(key: string, value: unknown): Promise<void>;
  has(key: string): Promise<boolean>;
}

type Typed = Float32Array | Float64Array | Int32Array | Uint32Array | Uint16Array | Int16Array | Uint8Array | Int8Array;
const TYPED: Record<string, new (b: ArrayBuffer) => Typed> = {
  Float32Array, Float64Array, Int32Array, Uint32Array, Uint16Array, Int16Array, Uint8Array, Int8Array,
};

/** Byte copy of a typed array's own window (not the whole underlying buffer). */
const bytesOf = (t: Typed): Uint8Array => new Uint8Array(t.buffer.slice(t.byteOffset, t.byteOffset + t.byteLength) as ArrayBuffer);

/**
 * Plain-data encoding that JSON can carry losslessly: typed arrays become {$typed, b64} (host byte order,
 * which is little-endian everywhere we run), non-finite numbers and -0 become tagged, undefined fields are dropped.
 */
export function toPlain(v: unknown): unknown {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $num: 'NaN' };
    if (!Number.isFinite(v)) return { $num: v > 0 ? 'Infinity' : '-Infinity' };
    return Object.is(v, -0) ? { $num: '-0' } : v;
  }
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const name = v.constructor.name;
    if (!(name in TYPED)) throw new EngineError('bad-input', `Cannot cache a ${name}.`);
    return { $typed: name, b64: bytesToBase64(bytesOf(v as Typed)) };
  }
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : toPlain(x)));
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    // A Map or class instance would silently encode as {}; refuse rather than hash two different inputs alike.
    if (proto !== Object.prototype && proto !== null) throw new EngineError('bad-input', `Cannot cache a ${(v as object).constructor?.name ?? 'non-plain object'}; use plain objects and arrays.`);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = toPlain(x);
    }
    return out;
  }
  throw new EngineError('bad-input', `Cannot cache a value of type ${typeof v}.`);
}

export function fromPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (typeof o.$num === 'string' && Object.keys(o).length === 1) return o.$num === '-0' ? -0 : Number(o.$num);
  if (typeof o.$typed === 'string' && typeof o.b64 === 'string' && Object.keys(o).length === 2) {
    const Ctor = TYPED[o.$typed];
    if (!Ctor) throw new EngineError('bad-input', `Unknown cached array type ${o.$typed}.`);
    const bytes = base64ToBytes(o.b64, 'cached array');
    return new Ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = fromPlain(x);
  return out;
}

/** Canonical JSON: sorted keys at every level, typed arrays by content, so equal inputs hash equally. */
export const canonicalJson = (v: unknown): string => JSON.stringify(toPlain(v));

/** Hex SHA-256 of the canonical JSON (WebCrypto: present in browsers, workers and Node 20). */
export async function stableHash(inputs: unknown): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalJson(inputs)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export const stepKey = async (step: string, inputs: unknown): Promise<string> => `${step}-${await stableHash(inputs)}`;

/** Runs compute() unless the store already has the result for these inputs. */
export async function cachedStep<T>(store: StepStore, step: string, inputs: unknown, compute: () => Promise<T>): Promise<T> {
  const key = await stepKey(step, inputs);
  const hit = await store.get(key);
  if (hit !== undefined) return hit as T;
  const value = await compute();
  await store.set(key, value);
  return value;
}

/** Values are stored encoded so a caller mutating a returned array cannot corrupt the cache. */
export function createMemoryStore(): StepStore {
  const map = new Map<string, string>();
  return {
    get: async (k) => (map.has(k) ? fromPlain(JSON.parse(map.get(k)!)) : undefined),
    set: async (k, v) => void map.set(k, JSON.stringify(toPlain(v))),
    has: async (k) => map.has(k),
  };
}

/** Keys become file names; anything outside a safe alphabet is hashed so a key can never escape the folder. */
async function fileName(key: string): Promise<string> {
  return /^[A-Za-z0-9._-]{1,200}$/.test(key) && !key.startsWith('.') ? `${key}.json` : `h-${await stableHash(key)}.json`;
}

/** One JSON file per key under `dir`. node:fs is imported lazily so this module stays browser-safe. */
export function createFileStore(dir: string): StepStore {
  const fs = async () => {
    const [f, p] = await Promise.all([import('node:fs/promises'), import('node:path')]);
    await f.mkdir(dir, { recursive: true });
    return { f, p };
  };
  return {
    async get(key) {
      const { f, p } = await fs();
      try {
        return fromPlain(JSON.parse(await f.readFile(p.join(dir, await fileName(key)), 'utf8')));
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async set(key, value) {
      const { f, p } = await fs();
      const target = p.join(dir, await fileName(key));
      // Write then rename: a crash mid-write never leaves a truncated entry that would parse as a hit.
      const tmp = `${target}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`;
      await f.writeFile(tmp, JSON.stringify(toPlain(value)));
      await f.rename(tmp, target);
    },
    async has(key) {
      const { f, p } = await fs();
      try {
        await f.access(p.join(dir, await fileName(key)));
        return true;
      } catch {
        return false;
      }
    },
  };
}
