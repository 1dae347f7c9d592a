/**
 * WebGPU in Node through Dawn (the npm package `webgpu`'s dawn.node): installs `navigator.gpu` and the
 * WebGPU globals so that onnxruntime-web's WebGPU execution provider and the engine's probeWebGPU find
 * them as in a browser. Dawn picks its Vulkan driver from the loader's environment (VK_DRIVER_FILES).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AdapterSummary { vendor: string; architecture: string; device: string; description: string; features: string[]; maxBufferSize: number }

interface DawnModule { create(flags: string[]): { requestAdapter(o?: unknown): Promise<DawnAdapter | null> }; globals: Record<string, unknown> }
interface DawnAdapter { info: Record<string, string>; features: Iterable<string>; limits: { maxBufferSize: number } }

/** Where dawn.node is: $DAWN_NODE, else beside this script (the kit), else the `webgpu` package's linux-x64 build. */
function dawnPath(): string {
  if (process.env.DAWN_NODE) return process.env.DAWN_NODE;
  const here = join(dirname(fileURLToPath(import.meta.url)), 'dawn.node');
  if (existsSync(here)) return here;
  throw new Error('dawn.node not found: set DAWN_NODE to the dawn.node of the npm package `webgpu` (node_modules/webgpu/dist/<platform>-<arch>/dawn.node).');
}

export interface QueueLike { writeBuffer(buffer: unknown, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void }

/**
 * onnxruntime-web's threaded wasm build keeps its heap in a SharedArrayBuffer and uploads straight from
 * views of it (`queue.writeBuffer(buf, off, HEAPU8.subarray(...), 0, n)`); browsers accept that, dawn.node
 * throws "Invalid argument". Copy such views into a plain buffer first (same bytes, one extra copy).
 */
export function copySharedWrites(queue: { prototype: QueueLike }): void {
  const write = queue.prototype.writeBuffer;
  queue.prototype.writeBuffer = function (buffer, offset, data, dataOffset = 0, size) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const per = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
      const from = dataOffset * per;
      const copy = bytes.slice(from, size === undefined ? undefined : from + size * per);
      return write.call(this, buffer, offset, copy, 0, copy.length);
    }
    return write.call(this, buffer, offset, data, dataOffset, size);
  };
}

/** Loads Dawn, sets navigator.gpu, and returns what the default adapter says about itself (null: no adapter). */
export async function installDawn(flags: string[] = []): Promise<AdapterSummary | null> {
  const dawn = createRequire(import.meta.url)(dawnPath()) as DawnModule;
  Object.assign(globalThis, dawn.globals);
  copySharedWrites(dawn.globals.GPUQueue as { prototype: QueueLike });
  const gpu = dawn.create(flags);
  // Node 20 has no navigator; Node 21+ has one without `gpu`.
  const nav = ((globalThis as { navigator?: object }).navigator ?? {}) as Record<string, unknown>;
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  if (!(globalThis as { navigator?: object }).navigator) Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
  const adapter = await gpu.requestAdapter();
  if (!adapter) return null;
  const { vendor = '', architecture = '', device = '', description = '' } = adapter.info;
  return { vendor, architecture, device, description, features: [...adapter.features], maxBufferSize: adapter.limits.maxBufferSize };
}
