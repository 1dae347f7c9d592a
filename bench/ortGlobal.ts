/**
 * Makes transformers.js run on the SAME onnxruntime as the engine: onnxruntime-web 1.30 (wasm) in
 * Node, one module instance, one `env` (so one thread count), instead of its Node default,
 * onnxruntime-node (native).
 *
 * transformers.js (src/backends/onnx.js) uses `globalThis[Symbol.for('onnxruntime')]` when it is set
 * at the moment its module is evaluated, so this module must be imported before anything that imports
 * `@huggingface/transformers` (the engine's tokenizer does). Import it FIRST in every bench entry.
 *
 * One shim is needed: in Node transformers.js hands `InferenceSession.create` a file PATH, which
 * onnxruntime-web can only `fetch` (a bare path fails with "Failed to parse URL"). The shim reads the
 * file into bytes; sessions, tensors and `run` are onnxruntime-web's own, untouched.
 */
import { readFileSync } from 'node:fs';
// The bench must hand transformers.js the very module instance the engine uses in Node (ort.ts loads
// onnxruntime-web's Node build there and does not export it).
import * as ort from 'onnxruntime-web';
// The engine's ort.ts sets this too (before any session); repeat it so the order of imports cannot matter.
if (typeof process !== 'undefined' && process.versions?.node) ort.env.wasm.numThreads = 1;

type Create = typeof ort.InferenceSession.create;
const create = ((model: string | Uint8Array | ArrayBuffer, options?: ort.InferenceSession.SessionOptions) =>
  ort.InferenceSession.create(typeof model === 'string' ? new Uint8Array(readFileSync(model)) : (model as Uint8Array), options)) as Create;

const key = Symbol.for('onnxruntime');
const g = globalThis as unknown as Record<symbol, unknown>;
if (!(key in g)) g[key] = { ...ort, InferenceSession: { ...ort.InferenceSession, create } };

/**
 * transformers.js points `env.wasm.wasmPaths` at a CDN when it finds it unset (it is, in Node: the
 * bundle carries its runtime), and this machine is offline. Call after every import has been
 * evaluated and before the first session is created.
 */
export function undoCdnWasmPaths(): void {
  const p = ort.env.wasm.wasmPaths as unknown;
  const url = typeof p === 'string' ? p : (p as { mjs?: unknown } | undefined)?.mjs;
  if (typeof url === 'string' && /^https?:/.test(url)) ort.env.wasm.wasmPaths = undefined;
}
export const ortWeb = ort;
