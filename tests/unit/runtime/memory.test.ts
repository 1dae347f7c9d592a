/**
 * The runtime memory watchers (core/runtime/memory.ts): a wasm memory created after they are installed is
 * seen at its current size, growth included; GPU buffers count from creation to destroy, once each.
 * The GPU classes are plain stand-ins with WebGPU's method names (Node has no WebGPU); sizes are hand counted.
 */
import { describe, expect, it } from 'vitest';
import { measureMemory, wasmHeapBytes, watchRuntimeMemory } from '../../../src/engine/core/runtime/memory';

const PAGE = 65536;

describe('runtime memory', () => {
  it('reads the largest wasm memory created since install, as it grows', () => {
    watchRuntimeMemory();
    watchRuntimeMemory(); // idempotent: not wrapped twice
    const before = wasmHeapBytes() ?? 0;
    const m = new WebAssembly.Memory({ initial: Math.ceil(before / PAGE) + 3 });
    expect(m).toBeInstanceOf(WebAssembly.Memory);
    expect(wasmHeapBytes()).toBe(m.buffer.byteLength);
    m.grow(2);
    expect(wasmHeapBytes()).toBe(m.buffer.byteLength);
    expect(m.buffer.byteLength).toBe((Math.ceil(before / PAGE) + 5) * PAGE);
  });

  it('counts GPU buffers alive: created minus destroyed, a buffer destroyed twice counted once; null on wasm', () => {
    class GPUBuffer { destroyed = 0; destroy() { this.destroyed++; } }
    class GPUDevice { createBuffer(_: { size: number }) { return new GPUBuffer(); } }
    const g = globalThis as Record<string, unknown>;
    g.GPUBuffer = GPUBuffer;
    g.GPUDevice = GPUDevice;
    try {
      watchRuntimeMemory();
      const dev = new GPUDevice();
      const a = dev.createBuffer({ size: 1000 });
      const b = dev.createBuffer({ size: 24 });
      expect(measureMemory(7, 'webgpu').gpuBufferBytes).toBe(1024);
      a.destroy();
      a.destroy();
      expect(a.destroyed).toBe(2);
      expect(measureMemory(7, 'webgpu')).toMatchObject({ fileBytes: 7, gpuBufferBytes: 24, measuredAt: 'load' });
      b.destroy();
      expect(measureMemory(7, 'webgpu').gpuBufferBytes).toBe(0);
      expect(measureMemory(7, 'wasm').gpuBufferBytes).toBeNull();
    } finally {
      delete g.GPUBuffer;
      delete g.GPUDevice;
    }
  });
});
