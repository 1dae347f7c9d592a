/**
 * What a loaded model costs in memory, from numbers this host can actually read:
 *  - the bytes of the model's files (graph + external data, as downloaded or read);
 *  - the runtime's wasm heap: onnxruntime-web's linear memory (WebAssembly.Memory) is created by its
 *    Emscripten glue, which we cannot reach, so the constructor is watched from this module on (installed
 *    before onnxruntime creates it) and the largest memory's current size is read. It holds the weights
 *    (on wasm), activations and the KV cache; a wasm heap only grows, so it is a high-water mark;
 *  - the WebGPU buffers alive: bytes passed to GPUDevice.createBuffer minus those of destroyed buffers.
 * Per model only where one runtime holds one model: the lab runs each model in its own worker, so there the
 * figures are that model's; in one Node process every engine shares the heap.
 */
import type { Device, ModelMemory } from '../../shared/api';

const memories: WebAssembly.Memory[] = [];
let gpuLive = 0;
let gpuWatched = false;

function watchWasm(): void {
  const g = globalThis as { WebAssembly?: typeof WebAssembly };
  const Original = g.WebAssembly?.Memory;
  if (!Original || (Original as { watched?: boolean }).watched) return;
  const Watched = new Proxy(Original, {
    construct(target, args, newTarget) {
      const m = Reflect.construct(target, args, newTarget === Watched ? target : newTarget) as WebAssembly.Memory;
      memories.push(m);
      return m;
    },
    get: (target, key, receiver) => (key === 'watched' ? true : Reflect.get(target, key, receiver)),
  });
  g.WebAssembly!.Memory = Watched;
}

/** createBuffer / destroy of this realm's GPUDevice, counted once per buffer. */
function watchGpu(): void {
  const D = (globalThis as { GPUDevice?: { prototype: GPUDevice } }).GPUDevice;
  const B = (globalThis as { GPUBuffer?: { prototype: GPUBuffer } }).GPUBuffer;
  if (!D || !B || gpuWatched) return;
  gpuWatched = true;
  const sizes = new WeakMap<GPUBuffer, number>();
  const create = D.prototype.createBuffer;
  D.prototype.createBuffer = function (this: GPUDevice, desc: GPUBufferDescriptor) {
    const buf = create.call(this, desc);
    sizes.set(buf, desc.size);
    gpuLive += desc.size;
    return buf;
  };
  const destroy = B.prototype.destroy;
  B.prototype.destroy = function (this: GPUBuffer) {
    const n = sizes.get(this);
    if (n !== undefined) { gpuLive -= n; sizes.delete(this); }
    return destroy.call(this);
  };
}

/** Installs the watchers; ort.ts calls it before onnxruntime is imported. Idempotent. */
export function watchRuntimeMemory(): void {
  watchWasm();
  watchGpu();
}

/** The wasm heap now: the largest linear memory created since the watcher was installed (null if none seen). */
export function wasmHeapBytes(): number | null {
  let max: number | null = null;
  for (const m of memories) {
    const n = m.buffer.byteLength;
    if (max === null || n > max) max = n;
  }
  return max;
}

export function measureMemory(fileBytes: number, device: Device): ModelMemory {
  return {
    fileBytes,
    wasmHeapBytes: wasmHeapBytes(),
    gpuBufferBytes: device === 'webgpu' && gpuWatched ? gpuLive : null,
    measuredAt: 'load',
  };
}
